"""Drop from a PyInstaller binaries list the shared libraries nothing in the bundle still links to.

Qt plugins we leave out (the GTK theme, CUPS printing, ...) had pulled in their own dependency trees
(GTK, cairo, CUPS, GnuTLS, ...). After removing the plugins, keep only what the remaining roots
(Python extension modules, Qt plugins, libpython) reach through their link-time imports.
Linux only: on macOS and Windows the wheels' libraries have no such host dependency trees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import PurePath

# (dest, src, typecode), as in PyInstaller's TOC lists.
Entry = tuple[str, str, str]
ImportsOf = Callable[[str], Iterable[str | None]]  # src path -> resolved src paths it links to

_SHARED_LIB = re.compile(r"^lib.*\.so(\.\d+)*$")


def is_root(dest: str) -> bool:
    """Loaded by Python or Qt rather than linked: extension modules, Qt plugins, libpython."""
    parts = PurePath(dest.replace("\\", "/"))
    if "plugins" in parts.parts or parts.name.startswith("libpython"):
        return True
    return not _SHARED_LIB.match(parts.name)


def prune_unreferenced(binaries: list[Entry], imports_of: ImportsOf) -> list[Entry]:
    """``binaries`` less the shared libraries that no root reaches."""
    by_src = {entry[1]: entry for entry in binaries}
    keep: set[str] = set()
    todo = [entry[1] for entry in binaries if entry[2] != "BINARY" or is_root(entry[0])]
    while todo:
        src = todo.pop()
        if src in keep:
            continue
        keep.add(src)
        todo.extend(dep for dep in imports_of(src) if dep in by_src and dep not in keep)
    return [entry for entry in binaries if entry[1] in keep]
