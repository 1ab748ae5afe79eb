"""The spine's black-box acceptance: app + shell agent + ctl."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from tests.support import AgentProcess, AppProcess


def test_send_wait_prints_output_and_stores_it(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent("sh1")
    assert app.wait_agent("sh1")["activity"] == "IDLE"
    result = app.ctl(
        "send", "--agent", "sh1", "--wait", 'printf "\\033[31mred\\033[0m\\n"; echo done'
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines[0]) == 36  # the command id first
    assert "\x1b[31mred\x1b[0m" in result.stdout
    assert "done" in lines[-1]
    con = sqlite3.connect(app.data_dir / "onsembl.db")
    stored = "".join(
        r[0] for r in con.execute("SELECT content FROM terminal_outputs ORDER BY sequence")
    )
    assert "\x1b[31mred\x1b[0m" in stored and "done" in stored
    assert app.agents()["sh1"]["status"] == "ONLINE"


def test_failing_command_exits_nonzero(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent("sh1")
    app.wait_agent("sh1")
    result = app.ctl("send", "--agent", "sh1", "--wait", "echo oops; exit 3")
    assert result.returncode == 1
    assert "FAILED" in result.stderr and "exited with code 3" in result.stderr
