"""Write the licences of everything a bundle ships, from the build environment's package metadata.

    python packaging/collect_licenses.py OUT.json

The list is ``onsembl-desktop``'s runtime dependencies (as installed here), Python, and the
PyInstaller bootloader that starts the bundle; ``about.bundled_licences()`` reads it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from onsembl_desktop.about import (
    Licence,
    distribution_licence,
    installed_licences,
    write_licences,
)


def bundle_licences() -> list[Licence]:
    licences = installed_licences()
    freezer = distribution_licence("pyinstaller")
    if freezer is not None:
        licences.append(freezer)
    return sorted(licences, key=lambda lic: lic.name.lower())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    licences = bundle_licences()
    write_licences(Path(argv[0]), licences)
    print(f"{argv[0]}: {len(licences)} components")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
