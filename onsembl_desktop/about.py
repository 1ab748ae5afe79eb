"""What the About dialog shows: the version, the icon and the open-source licences (Qt-free).

A frozen bundle ships ``resources/third_party_licenses.json``, written at build time from the
build environment's package metadata (``packaging/collect_licenses.py``); a pip install has no such
file and reads the same metadata from the installed distributions with ``importlib.metadata``.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from . import __version__

__all__ = [
    "APP_NAME",
    "DISTRIBUTION",
    "Licence",
    "__version__",
    "app_icon_path",
    "bundled_licences",
    "distribution_licence",
    "installed_licences",
    "read_licences",
    "resources_dir",
    "write_licences",
]

APP_NAME = "Onsembl Desktop"
DISTRIBUTION = "onsembl-desktop"
LICENSES_FILE = "third_party_licenses.json"

_LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_MARKER_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


@dataclass(frozen=True)
class Licence:
    """One open-source component and the terms it is distributed under."""

    name: str
    version: str
    licence: str  # an SPDX expression or the project's own short name ("" if none declared)
    url: str
    text: str  # the licence file(s), as shipped by the component ("" if none)


def resources_dir() -> Path:
    """The app's resources (icon, desktop entry, metainfo; the licence list when frozen).

    Installed (a wheel, the frozen bundle) they are the package's ``resources`` folder; in a
    source checkout they are the top-level ``resources/`` that setup.py maps there.
    """
    package = Path(__file__).resolve().parent
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"


def app_icon_path() -> Path:
    """The application icon (SVG); Qt scales it to every size it needs."""
    return resources_dir() / "icons" / "onsembl.svg"


def bundled_licences() -> list[Licence]:
    """The licences of everything shipped with this app: the build-time list, else the installed."""
    shipped = resources_dir() / LICENSES_FILE
    if shipped.is_file():
        return read_licences(shipped)
    return installed_licences()


def installed_licences(root: str = DISTRIBUTION) -> list[Licence]:
    """``root``'s runtime dependencies (recursively, with requested extras), and Python itself."""
    found = [_licence(dist) for dist in _closure(root) if _norm(_field(dist, "Name")) != root]
    found.append(_python_licence())
    return sorted(found, key=lambda lic: lic.name.lower())


def distribution_licence(name: str) -> Licence | None:
    """One installed distribution's licence, or None if it is not installed."""
    try:
        return _licence(metadata.distribution(name))
    except metadata.PackageNotFoundError:
        return None


def write_licences(path: Path, licences: list[Licence]) -> None:
    path.write_text(json.dumps([asdict(lic) for lic in licences], indent=1), encoding="utf-8")


def read_licences(path: Path) -> list[Licence]:
    return [Licence(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(root: str) -> list[metadata.Distribution]:
    """Installed distributions reachable from ``root``; a requirement not installed (another
    platform's, or an extra nobody asked for) is skipped."""
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = (_norm(name), extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.setdefault(key[0], dist)
        for req in dist.requires or []:
            spec, _, marker = req.partition(";")
            match = _REQ_NAME.match(spec)
            if match is None:
                continue
            wanted = set(_MARKER_EXTRA.findall(marker))
            if wanted and not wanted & extras:
                continue
            asked = (e.strip() for e in (match.group(2) or "").split(","))
            todo.append((match.group(1), frozenset(e for e in asked if e)))
    return list(found.values())


def _field(dist: metadata.Distribution, key: str) -> str:
    values = dist.metadata.get_all(key)
    return str(values[0]) if values else ""


def _licence(dist: metadata.Distribution) -> Licence:
    return Licence(
        name=_field(dist, "Name"),
        version=dist.version,
        licence=_licence_name(dist),
        url=_home_page(dist),
        text=_licence_text(dist),
    )


def _licence_name(dist: metadata.Distribution) -> str:
    expression = _field(dist, "License-Expression")
    if expression:
        return expression
    declared = _field(dist, "License").strip()
    if declared.upper() == "UNKNOWN":
        declared = ""
    if declared and "\n" not in declared and len(declared) <= 80:
        return declared
    classifiers = [
        c.rsplit("::", 1)[-1].strip()
        for c in dist.metadata.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return " / ".join(classifiers)
    return declared.splitlines()[0][:80] if declared else ""


def _home_page(dist: metadata.Distribution) -> str:
    home = _field(dist, "Home-page")
    if home:
        return home
    urls = [str(u).split(",", 1) for u in dist.metadata.get_all("Project-URL") or []]
    for label, url in urls:
        if label.strip().lower() in ("homepage", "home", "source", "repository"):
            return url.strip()
    return urls[0][1].strip() if urls and len(urls[0]) == 2 else ""


def _licence_text(dist: metadata.Distribution) -> str:
    texts: list[str] = []
    for file in dist.files or []:
        parts = file.parts
        in_info = len(parts) >= 2 and parts[0].endswith((".dist-info", ".egg-info"))
        if in_info and (_LICENCE_FILE.match(file.name) or "licenses" in parts[1:-1]):
            try:
                texts.append(file.read_text(encoding="utf-8").strip())
            except (OSError, UnicodeDecodeError):
                continue
    return "\n\n".join(t for t in texts if t)


def _python_licence() -> Licence:
    text = ""
    for candidate in (
        Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}",
        Path(sys.base_prefix),
    ):
        path = candidate / "LICENSE.txt"
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            break
    return Licence("Python", platform.python_version(), "PSF-2.0", "https://www.python.org", text)
