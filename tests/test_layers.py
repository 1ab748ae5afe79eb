"""The layering rules hold: import-linter's contracts (pyproject.toml) and, checked directly, that
nothing below the UI loads Qt when imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_FREE = [
    "onsembl_desktop.app",
    "onsembl_desktop.cli",
    "onsembl_desktop.core.service",
    "onsembl_desktop.gateway.server",
    "onsembl_desktop.store.store",
    "onsembl_desktop.agent.cli",
    "onsembl_desktop.agent.client",
    "onsembl_desktop.terminal",
    "onsembl_desktop.protocol",
    "onsembl_desktop.sync",
    "onsembl_desktop.ctl",
]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    command = [str(lint_imports)] if lint_imports.exists() else ["lint-imports"]
    result = subprocess.run(
        [*command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module", QT_FREE)
def test_importing_does_not_load_qt(module: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync') "
        "or m.startswith('onsembl_desktop.ui'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], f"{module} loads Qt"


PRESENTATION = sorted(
    f"onsembl_desktop.ui.presentation.{p.stem}"
    for p in (ROOT / "onsembl_desktop" / "ui" / "presentation").glob("*.py")
    if p.stem != "__init__"
)


@pytest.mark.parametrize("module", PRESENTATION)
def test_presentation_does_not_load_qt(module: str) -> None:
    """ui/presentation is the UI's Qt-free part: importing any of it loads no Qt and no other
    part of ui/ (the package's own __init__ aside)."""
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync') "
        "or (m.startswith('onsembl_desktop.ui.') "
        "and not m.startswith('onsembl_desktop.ui.presentation')))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], f"{module} loads Qt or a Qt part of ui/"


def test_the_check_would_see_qt() -> None:
    """The direct check above is not vacuous: a module that imports Qt shows in sys.modules."""
    code = "import sys, PySide6.QtCore; print('PySide6' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "True", result.stderr
