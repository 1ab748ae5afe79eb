"""``onsembl --demo`` from the bundle: the app's entry point runs the demo stand-in by ``-m``
(its agents' CLI), and the recordings it replays are package data the spec collects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

from onsembl_desktop.demo.agents import STANDIN_MODULE
from onsembl_desktop.demo.recordings import manifest

from .conftest import PACKAGING, ROOT

ENTRY = PACKAGING / "entry" / "onsembl_app.py"


def test_the_app_entry_runs_the_demo_standin() -> None:
    env = {**os.environ, "ONSEMBL_DEMO_DELAY": "0"}
    argv = ["-m", STANDIN_MODULE, "claude", "-p", "list typescript files"]
    result = subprocess.run(
        [sys.executable, str(ENTRY), *argv, "--output-format", "stream-json", "--verbose"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["type"] == "system" and events[-1]["type"] == "result"
    refused = subprocess.run(
        [sys.executable, str(ENTRY), "-m", "os"], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2 and "cannot run module 'os'" in refused.stderr


def test_recordings_are_package_data() -> None:
    # The spec collects every non-Python file of the installed package (collect_data_files), and
    # the installed package has the recordings only if package-data lists them.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "demo/streams/*" in config["tool"]["setuptools"]["package-data"]["onsembl_desktop"]
    assert 'collect_data_files("onsembl_desktop"' in (PACKAGING / "onsembl.spec").read_text()
    entries = manifest()
    assert {e["cli"] for e in entries} == {"claude", "codex", "gemini"}
