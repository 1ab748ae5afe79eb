"""The Windows installer script compiles (with Debian's makensis, if present) against a stand-in
bundle; the release workflow builds on each system's own runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import PACKAGING, make_icons

WORKFLOW = PACKAGING.parent / ".github" / "workflows" / "release.yml"


@pytest.mark.skipif(shutil.which("makensis") is None, reason="NSIS is not installed")
def test_nsis_script_compiles(tmp_path: Path) -> None:
    src = tmp_path / "onsembl"
    (src / "_internal").mkdir(parents=True)
    for name in ("onsembl.exe", "onsembl-agent.exe", "_internal/python311.dll"):
        (src / name).write_bytes(b"stand-in")
    icon = make_icons(tmp_path / "icons") / "onsembl.ico"
    out = tmp_path / "Onsembl_Desktop-1.2.3-setup.exe"
    result = subprocess.run(
        [
            "makensis",
            "-V2",
            "-WX",  # warnings are errors
            "-DVERSION=1.2.3",
            "-DVERSION_QUAD=1.2.3.0",
            f"-DSRCDIR={src}",
            f"-DOUTFILE={out}",
            f"-DICON={icon}",
            str(PACKAGING / "windows" / "onsembl.nsi"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_bytes()[:2] == b"MZ"


def test_release_workflow_builds_every_system() -> None:
    text = WORKFLOW.read_text()
    for needle in (
        "packaging/build-linux.sh",
        "packaging/build-macos.sh",
        "packaging\\build-windows.ps1",
        "runs-on: ubuntu-",
        "runs-on: ${{ matrix.runner }}",
        "runs-on: windows-",
    ):
        assert needle in text
