"""Restart safety: commands queued when the app restarts are still queued afterwards, in the same
order, and each runs exactly once; paused queues and an emergency stop survive a restart too."""

from __future__ import annotations

import time
from collections import Counter

from tests.orchestration.conftest import Orch, lines_of
from tests.support import AppProcess


def restart(orch: Orch) -> None:
    port = orch.app.port
    orch.app.stop()
    orch.app = AppProcess(orch.app.data_dir, orch.app.extra_args).start(port=port)


def test_queued_commands_survive_a_restart_in_order_and_run_once(orch: Orch) -> None:
    orch.start_agents("r1", "r2")
    order = orch.tmp_path / "order.txt"
    orch.agents[1].stop()  # r2 is known but offline: its command waits for it
    orch.wait_online("r2", status="OFFLINE")
    # The blocker runs until the test opens its gate (a fixed sleep raced the restart on a busy
    # machine: the queue had already moved on when it was looked at).
    gate = orch.tmp_path / "gate"
    blocker = orch.send(
        "r1", f"while [ ! -e {gate} ]; do sleep 0.05; done; echo blocker >> {order}"
    )
    orch.wait_status(blocker, "EXECUTING")
    a = orch.send("r1", f"echo a >> {order}")
    b = orch.send("r1", f"echo b >> {order}")
    c = orch.send("r1", f"echo c >> {order}", priority=90)
    orch.call("queue.move", commandId=b, position=1)
    d = orch.send("r2", f"echo d >> {order}")
    before = orch.waiting_ids("r1")
    assert before == [b, c, a]

    restart(orch)
    assert orch.waiting_ids("r1") == before
    assert orch.waiting_ids("r2") == [d]
    assert orch.show(a)["status"] == "QUEUED"

    gate.touch()
    for command_id in (blocker, b, c, a):
        assert orch.wait_status(command_id, timeout=30)["status"] == "COMPLETED"
    assert lines_of(order) == ["blocker", "b", "c", "a"]
    orch.start_agents("r2")
    assert orch.wait_status(d)["status"] == "COMPLETED"
    assert lines_of(order) == ["blocker", "b", "c", "a", "d"]

    completions = Counter(e["commandId"] for e in orch.audit("COMMAND_COMPLETED"))
    assert completions == {blocker: 1, a: 1, b: 1, c: 1, d: 1}
    runs = orch.db("SELECT status, COUNT(*) FROM command_runs GROUP BY status")
    assert runs == [("COMPLETED", 5)]
    assert orch.db("SELECT COUNT(*) FROM command_queue") == [(0,)]


def test_pauses_and_the_emergency_stop_survive_a_restart(orch: Orch) -> None:
    orch.start_agents("p1", "p2")
    marker = orch.tmp_path / "ran.txt"
    orch.call("agents.control", name="p2", action="PAUSE")
    orch.call("emergency.stopAll")
    first = orch.send("p1", f"echo p1 >> {marker}")
    second = orch.send("p2", f"echo p2 >> {marker}")

    restart(orch)
    orch.wait_online("p1", "p2")
    listing = orch.call("queue.list")
    assert listing["halted"] is True and all(q["paused"] for q in listing["queues"])
    time.sleep(0.5)
    assert orch.show(first)["status"] == orch.show(second)["status"] == "QUEUED"

    # Resuming one agent runs its queue even during the emergency stop: the user chose so.
    orch.call("agents.control", name="p1", action="RESUME")
    assert orch.wait_status(first)["status"] == "COMPLETED"
    assert orch.show(second)["status"] == "QUEUED"
    orch.call("emergency.resumeAll")
    assert orch.wait_status(second)["status"] == "COMPLETED"
    assert sorted(lines_of(marker)) == ["p1", "p2"]
