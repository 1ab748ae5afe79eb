from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"  # installed as onsembl_desktop/resources (setup.py)
# The source assets (what packaging/build-*.sh install beside the bundle, and the app reads).
SOURCE_ASSETS = (
    "icons/onsembl.svg",
    "linux/dev.onsembl.Desktop.desktop",
    "linux/dev.onsembl.Desktop.metainfo.xml",
)


def load_tool(name: str) -> ModuleType:
    """A helper script from packaging/ (not importable by name: PyPI's ``packaging`` owns it)."""
    spec = importlib.util.spec_from_file_location(
        f"onsembl_packaging_{name}", PACKAGING / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_icons(out: Path) -> Path:
    """Run packaging/make_icons.py in its own process (it makes a QGuiApplication, and the
    Qt tests of this run need theirs to be a QApplication); returns ``out``."""
    subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), str(out)],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return out
