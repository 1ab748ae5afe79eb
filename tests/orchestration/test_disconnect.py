"""Disconnects: an agent back within the grace period resumes its command; one that stays away
longer has it FAILED with a clear reason, and its queue moves on when it returns.

The agent process is frozen with SIGSTOP: its heartbeats stop, the app drops the connection after
three missed ones, and the command's own process group (a separate session) keeps running, as it
would across a network outage. SIGCONT brings the agent back; it reconnects on its own.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from tests.orchestration.conftest import Orch, details, lines_of

GRACE = ["--heartbeat", "0.5", "--grace", "2"]


def freeze(orch: Orch, index: int = 0) -> int:
    pid = orch.agents[index].proc.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGSTOP)
    return pid


def test_back_within_the_grace_period_resumes_the_command(
    orch_factory: Callable[..., Orch],
) -> None:
    orch = orch_factory(*GRACE)
    orch.start_agents("d1")
    command_id = orch.send("d1", "sleep 3; echo survived")
    orch.wait_status(command_id, "EXECUTING")
    pid = freeze(orch)
    try:
        orch.wait_online("d1", status="OFFLINE", timeout=10)
        time.sleep(0.5)  # gone for a while, but well within the 2 s grace
        assert orch.show(command_id)["status"] == "EXECUTING"
    finally:
        os.kill(pid, signal.SIGCONT)
    orch.wait_online("d1")
    view = orch.wait_status(command_id, timeout=15)
    assert view["status"] == "COMPLETED", view
    assert "survived" in orch.output(command_id)
    agent_id = view["runs"][0]["agentId"]
    assert len(orch.audit("AGENT_DISCONNECT", commandId=None, agent="d1")) == 1
    reconnect = [details(e)["reconnect"] for e in orch.audit("AGENT_CONNECT", agent="d1")]
    assert sorted(reconnect) == [False, True]
    assert not orch.audit("COMMAND_FAILED")
    assert agent_id


def test_away_longer_than_the_grace_period_fails_the_command_and_the_queue_moves(
    orch_factory: Callable[..., Orch],
) -> None:
    orch = orch_factory(*GRACE)
    orch.start_agents("d2")
    marker = orch.tmp_path / "next.txt"
    lost = orch.send("d2", "sleep 30")
    orch.wait_status(lost, "EXECUTING")
    waiting = orch.send("d2", f"echo next >> {marker}")
    pid = freeze(orch)
    try:
        view = orch.wait_status(lost, timeout=15)
        assert view["status"] == "FAILED"
        run = view["runs"][0]
        assert run["reason"] == "AGENT_LOST"
        assert run["error"] == "agent d2 disconnected and did not return within 2 s"
        assert orch.show(waiting)["status"] == "QUEUED"  # it waits for the agent
    finally:
        os.kill(pid, signal.SIGCONT)
    # Back again: the agent drops the command the app gave up on, and takes the next one.
    assert orch.wait_status(waiting, timeout=15)["status"] == "COMPLETED"
    assert lines_of(marker) == ["next"]
    [failed] = orch.audit("COMMAND_FAILED", commandId=lost)
    assert details(failed)["reason"] == "AGENT_LOST"
