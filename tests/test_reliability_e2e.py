"""Black-box reliability: the real app and a real agent as processes, the app killed or restarted
while a command streams. Nothing acknowledged is lost; nothing is stored twice."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator

import pytest

from tests.support import AgentProcess, AppProcess, wait_for

# A numbered line every 10 ms (printed by Python so the pace does not depend on forking).
TICKER = (
    f"{sys.executable} -u -c "
    "'import sys, time\n"
    "for i in range(1, int(sys.argv[1]) + 1):\n"
    '    print(f"line {i}", flush=True); time.sleep(0.01)\' '
)
FAST_RECONNECT = ["--reconnect-initial", "0.1", "--reconnect-max", "0.5"]


@pytest.fixture
def restarts(app: AppProcess) -> Iterator[list[AppProcess]]:
    """Apps started again on the fixture app's data dir and port; stopped afterwards."""
    started: list[AppProcess] = []
    yield started
    for proc in started:
        proc.stop()


def restart(app: AppProcess, restarts: list[AppProcess]) -> AppProcess:
    again = AppProcess(app.data_dir, app.extra_args)
    restarts.append(again)
    again.start(port=app.port)  # the same port: the agent knows no other
    assert again.url == app.url
    return again


def stored_lines(app: AppProcess, command_id: str) -> list[str]:
    view = app.show(command_id)
    seqs = [o["seq"] for o in view["output"]]
    assert seqs == sorted(set(seqs)), "output stored twice or out of order"
    text = "".join(o["data"] for o in view["output"])
    return text.replace("\r\n", "\n").splitlines()


def db_sequences(app: AppProcess, command_id: str) -> list[int]:
    con = sqlite3.connect(app.data_dir / "onsembl.db")
    try:
        rows = con.execute(
            "SELECT sequence FROM terminal_outputs WHERE command_id = ? ORDER BY sequence",
            (command_id.replace("-", ""),),
        )
        return [r[0] for r in rows]
    finally:
        con.close()


def output_so_far(app: AppProcess, command_id: str) -> int:
    return len(app.show(command_id)["output"])


def interrupted_run(
    app: AppProcess,
    start_agent: Callable[..., AgentProcess],
    restarts: list[AppProcess],
    *,
    lines: int,
    hard: bool,
) -> None:
    start_agent("sh1", extra_args=FAST_RECONNECT)
    app.wait_agent("sh1")
    command_id = app.send("sh1", TICKER + str(lines))
    # Let some output be stored, then take the app away in the middle of the stream.
    wait_for(lambda: output_so_far(app, command_id) >= 5, timeout=15, interval=0.1)
    if hard:
        app.kill()
    else:
        assert app.stop() == 0
    again = restart(app, restarts)
    view = again.wait_status(command_id, timeout=60)
    assert view["status"] == "COMPLETED", view
    assert stored_lines(again, command_id) == [f"line {i}" for i in range(1, lines + 1)]
    seqs = db_sequences(again, command_id)
    assert len(seqs) == len(set(seqs))
    assert again.agents()["sh1"]["status"] == "ONLINE"


def test_app_killed_mid_command_loses_and_duplicates_nothing(
    app: AppProcess, start_agent: Callable[..., AgentProcess], restarts: list[AppProcess]
) -> None:
    """The issue's acceptance: SIGKILL during a 10 s command printing a line every 10 ms."""
    interrupted_run(app, start_agent, restarts, lines=1000, hard=True)


def test_app_restarted_gracefully_mid_command_loses_and_duplicates_nothing(
    app: AppProcess, start_agent: Callable[..., AgentProcess], restarts: list[AppProcess]
) -> None:
    interrupted_run(app, start_agent, restarts, lines=300, hard=False)


def test_after_a_restart_the_agent_returns_and_history_is_kept(
    app: AppProcess, start_agent: Callable[..., AgentProcess], restarts: list[AppProcess]
) -> None:
    start_agent("sh1", extra_args=FAST_RECONNECT)
    app.wait_agent("sh1")
    result = app.ctl("send", "--agent", "sh1", "--wait", "printf '\\033[32mok\\033[0m\\n'")
    assert result.returncode == 0, result.stderr
    command_id = result.stdout.splitlines()[0].strip()
    assert app.stop() == 0
    again = restart(app, restarts)
    again.wait_agent("sh1")  # it came back by itself
    view = again.show(command_id)
    assert view["status"] == "COMPLETED"
    assert "".join(o["data"] for o in view["output"]) == "\x1b[32mok\x1b[0m\r\n"
    # And it still works.
    result = again.ctl("send", "--agent", "sh1", "--wait", "echo again")
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "again"
