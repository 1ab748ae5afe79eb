"""``onsembl-agent``'s exit status on start-up errors, from the real program.

The app's supervisor restarts an agent that exits with any status but 0 and 2, and leaves one that
exits 2 FAILED with its last line as the reason: a mistake in its configuration (a bad
``--fingerprint``, no token) must exit 2, or the supervisor retries it forever, each time in vain.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FATAL = 2


def agent(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ONSEMBL_TOKEN", "ONSEMBL_FINGERPRINT")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "onsembl_desktop.agent",
            "--name",
            "a1",
            "--data-dir",
            str(tmp_path),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--server", "ws://127.0.0.1:9", "--token", "t", "--fingerprint", "ab" * 32],
            "onsembl-agent: --fingerprint needs a wss:// server",
        ),
        (
            ["--server", "wss://127.0.0.1:9", "--token", "t", "--fingerprint", "not-hex"],
            "onsembl-agent: --fingerprint: ",
        ),
        (
            ["--server", "ws://127.0.0.1:9"],
            "onsembl-agent: no --token given (run `onsembl token` on the app's machine)",
        ),
        (
            ["--server", "ws://127.0.0.1:9", "--token", "t", "--cwd", "/nonexistent"],
            "onsembl-agent: --cwd /nonexistent is not a directory",
        ),
    ],
    ids=["fingerprint-without-tls", "bad-fingerprint", "no-token", "bad-cwd"],
)
def test_configuration_errors_are_fatal(tmp_path: Path, args: list[str], message: str) -> None:
    result = agent(tmp_path, *args)
    assert result.returncode == FATAL, result.stderr
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.stderr


def test_no_running_app_is_not_fatal(tmp_path: Path) -> None:
    # The app may simply not be up yet: a supervisor (systemd, a script) that retries is right to.
    result = agent(tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("onsembl-agent: no --server given and no running app found")
