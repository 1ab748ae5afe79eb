"""Facts the Linux packages need, computed from the bundle (used by build-linux.sh).

python packaging/linux_meta.py glibc BUNDLE_DIR      # oldest glibc the bundle runs on
python packaging/linux_meta.py copyright LICENSES    # debian/copyright from the licence list
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?\x00")


def glibc_needed(bundle: Path) -> str:
    """The highest ``GLIBC_x.y`` symbol version any ELF file in ``bundle`` asks for."""
    best = (2, 17, 0)
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
            data = f.read()
        for match in _GLIBC.finditer(data):
            best = max(best, tuple(int(g or 0) for g in match.groups()))  # type: ignore[assignment]
    return ".".join(str(n) for n in (best if best[2] else best[:2]))


def copyright_text(licences_json: Path) -> str:
    """usr/share/doc/onsembl-desktop/copyright: ours, then every bundled component and its text."""
    lines = [
        "Onsembl Desktop",
        "Copyright: Onsembl contributors",
        "License: MIT",
        "",
        "This package bundles the following open-source components, each under its own licence.",
    ]
    for item in json.loads(licences_json.read_text(encoding="utf-8")):
        lines += ["", "=" * 78, f"{item['name']} {item['version']}: {item['licence'] or '-'}"]
        if item["url"]:
            lines.append(item["url"])
        if item["text"].strip():
            lines += ["", item["text"].strip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("glibc", "copyright"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "glibc":
        print(glibc_needed(Path(argv[1])))
    else:
        sys.stdout.write(copyright_text(Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
