"""The icon set, the desktop entry and the AppStream metainfo (cheap: nothing is frozen; the
wheel build is `slow`)."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from onsembl_desktop import about

from .conftest import RESOURCES, ROOT, SOURCE_ASSETS, load_tool, make_icons

DESKTOP = RESOURCES / "linux" / "dev.onsembl.Desktop.desktop"
METAINFO = RESOURCES / "linux" / "dev.onsembl.Desktop.metainfo.xml"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_svg_source_is_a_square_svg() -> None:
    root = ET.parse(about.app_icon_path()).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height


def test_icon_set_is_complete(tmp_path: Path) -> None:
    make_icons(tmp_path)
    for size in (16, 24, 32, 48, 64, 128, 256, 512, 1024):
        assert png_size((tmp_path / "png" / f"onsembl-{size}.png").read_bytes()) == (size, size)

    ico = (tmp_path / "onsembl.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for i in range(count):
        dim, _, _, _, _, bpp, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * i : 22 + 16 * i]
        )
        assert bpp == 32
        sizes.add(png_size(ico[offset : offset + length])[0])
        assert (dim or 256) in sizes
    assert {16, 24, 32, 48, 256} <= sizes

    icns = (tmp_path / "onsembl.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    found: dict[bytes, int] = {}
    pos = 8
    while pos < len(icns):
        kind_b, length = icns[pos : pos + 4], struct.unpack(">I", icns[pos + 4 : pos + 8])[0]
        found[kind_b] = png_size(icns[pos + 8 : pos + length])[0]
        pos += length
    assert found == {kind_b: size for kind_b, size in load_tool("make_icons").ICNS_TYPES}


def test_desktop_entry() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    group = entry["Desktop Entry"]
    assert group["Type"] == "Application"
    assert group["Name"] == about.APP_NAME
    assert group["Exec"].split()[0] == "onsembl"
    assert group["Icon"] == "onsembl-desktop"
    assert group["Terminal"] == "false"
    assert group["Categories"].endswith(";")
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(
            ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True
        )
        assert result.returncode == 0 and "error" not in result.stdout, result.stdout


def test_metainfo_names_the_desktop_entry() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == DESKTOP.name.removesuffix(".desktop")
    assert root.findtext("launchable") == DESKTOP.name
    binaries = {b.text for b in root.iter("binary")}
    assert binaries == {"onsembl", "onsembl-agent"}


def test_packaging_tools_are_not_runtime_dependencies() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = " ".join(config["project"]["dependencies"]).lower()
    assert "pyinstaller" not in runtime
    assert any("pyinstaller" in d for d in config["project"]["optional-dependencies"]["packaging"])


def test_the_checkout_finds_its_resources() -> None:
    """From a source checkout (this editable install) the app reads the top-level resources/."""
    assert about.resources_dir() == RESOURCES
    assert about.app_icon_path() == RESOURCES / "icons" / "onsembl.svg"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_wheel_carries_the_resources(tmp_path: Path) -> None:
    """A real wheel of this checkout: resources/ inside the package (setup.py's package-dir), the
    package data, and the runtime requirements without the test-only ones (pyte)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=540,
    )
    (wheel,) = tmp_path.glob("onsembl_desktop-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for asset in SOURCE_ASSETS:
            data = z.read(f"onsembl_desktop/resources/{asset}")
            assert data == (RESOURCES / asset).read_bytes(), asset
        (meta,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in z.read(meta).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert "onsembl_desktop/py.typed" in names
    assert any(n.startswith("onsembl_desktop/store/sql/") for n in names)
    assert any(n.startswith("onsembl_desktop/demo/streams/") for n in names)
    assert not any(n.startswith("resources/") for n in names)  # not a top-level package
    runtime = [r for r in requires if "extra ==" not in r]
    assert any(r.startswith("PySide6-Essentials") for r in runtime)
    assert not any(r.startswith("pyte") for r in runtime)
    assert any(r.startswith("pyte") and 'extra == "test"' in r for r in requires)


@pytest.mark.parametrize("script", ["build-linux.sh", "build-macos.sh", "fetch-appimagetool.sh"])
def test_shell_scripts_parse(script: str) -> None:
    from .conftest import PACKAGING

    path = PACKAGING / script
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
