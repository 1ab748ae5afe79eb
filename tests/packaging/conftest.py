from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "onsembl_desktop" / "resources"


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
