"""The agent stays under the gateway's rate limit by itself: a program that writes in small
pieces faster than the outbox's 8 ms coalescing window would turn into >100 messages/s, and a
backlog resent after the app comes back, both go out paced — no RATE_LIMIT, nothing lost."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.agent.pacer import BURST, RATE_PER_S, Pacer
from onsembl_desktop.gateway import limits
from tests.support import AgentProcess, AppProcess, wait_for

from .conftest import FAST_RECONNECT, Restarts, lines_of, stored

# 300 writes a second, each a short line: without pacing that is ~125 messages/s.
DRIBBLE = (
    f"{sys.executable} -u -c "
    "'import sys, time\n"
    "for i in range(1, int(sys.argv[1]) + 1):\n"
    '    print(f"d {i}", flush=True); time.sleep(1 / 300)\' '
)


def test_the_agents_bucket_fits_inside_the_gateways() -> None:
    assert RATE_PER_S < limits.RATE_PER_S and BURST < limits.BURST


async def test_pacer_holds_the_rate() -> None:
    pacer = Pacer(rate=200, burst=5)
    started = time.monotonic()
    for _ in range(45):
        await pacer.take()
    # 5 at once, then 40 at 200/s: about 0.2 s.
    assert time.monotonic() - started >= 0.19


async def test_outbox_gathers_while_the_sender_cannot_send() -> None:
    buffer = ResumeBuffer()
    ready = [False]
    outbox = Outbox(buffer, lambda: None)
    outbox.ready = lambda: ready[0]
    for i in range(50):
        outbox.output(None, f"piece {i}\n")
        await asyncio.sleep(0.004)
    assert len(buffer) == 0  # held: the sender was busy
    ready[0] = True
    await asyncio.sleep(0.03)
    assert len(buffer) == 1  # one message, not fifty


def _no_rate_warnings(*logs: Path) -> None:
    for log in logs:
        text = log.read_text() if log.exists() else ""
        assert "RATE_LIMIT" not in text and "over the rate limit" not in text, log


def test_fast_small_writes_and_a_resent_backlog_stay_under_the_rate(
    app: AppProcess,
    start_agent: Callable[..., AgentProcess],
    restarts: Restarts,
    tmp_path: Path,
) -> None:
    lines = 1500  # ~5 s
    start_agent("drip", extra_args=FAST_RECONNECT)
    app.wait_agent("drip")
    started = time.monotonic()
    command_id = app.send("drip", f"{DRIBBLE}{lines}")
    wait_for(lambda: len(stored(app.data_dir, command_id)) > 20, 15)
    restarts.current.kill()
    time.sleep(1.5)  # a backlog builds up in the agent
    again = restarts.kill_and_restart()
    view = again.wait_status(command_id, timeout=60)
    took = time.monotonic() - started
    assert view["status"] == "COMPLETED"
    rows = stored(again.data_dir, command_id)
    assert lines_of(rows) == [f"d {i}" for i in range(1, lines + 1)]
    # The number of messages followed what could be sent, not the program's 300 writes/s.
    assert len(rows) / took < RATE_PER_S
    assert app.log_path is not None and again.log_path is not None
    _no_rate_warnings(tmp_path / "agent-drip.log", app.log_path, again.log_path)
