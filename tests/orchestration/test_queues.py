"""Queues with real agents: priority order, moving, re-prioritising and cancelling waiting entries,
interrupting the running command (the next one starts), offline agents, broadcast."""

from __future__ import annotations

from collections import Counter

from tests.orchestration.conftest import Orch, details, lines_of
from tests.support import wait_for


def test_priority_move_cancel_and_interrupt(orch: Orch) -> None:
    orch.start_agents("q1")
    order = orch.tmp_path / "order.txt"
    blocker = orch.send("q1", "sleep 30")
    orch.wait_status(blocker, "EXECUTING")

    def queued(name: str, priority: int) -> str:
        return orch.send("q1", f"echo {name} >> {order}", priority=priority)

    low, high1 = queued("low", 10), queued("high1", 90)
    mid, high2 = queued("mid", 50), queued("high2", 90)
    # Priority first, then arrival.
    assert orch.waiting_ids("q1") == [high1, high2, mid, low]
    listing = orch.queue("q1")
    assert listing["current"]["commandId"] == blocker and listing["current"]["position"] == 0
    assert [e["position"] for e in listing["waiting"]] == [1, 2, 3, 4]
    assert orch.show(low)["status"] == "QUEUED"
    assert orch.agent_view("q1")["queueLength"] == 4  # type: ignore[index]

    # Move (with the real command line, and a short id prefix).
    result = orch.app.ctl("move", low[:8], "--position", "1")
    assert result.returncode == 0, result.stderr
    assert orch.waiting_ids("q1") == [low, high1, high2, mid]
    # A new priority re-sorts: nothing waiting has 95 or more, so it goes first.
    result = orch.app.ctl("priority", mid[:8], "95")
    assert result.returncode == 0, result.stderr
    assert orch.waiting_ids("q1") == [mid, low, high1, high2]
    # Cancel a waiting one: it leaves the queue.
    result = orch.app.ctl("cancel", high2)
    assert result.returncode == 0 and "CANCELLED" in result.stdout, result.stderr
    assert orch.waiting_ids("q1") == [mid, low, high1]
    # A newcomer never overtakes an entry of its own priority or higher.
    new = queued("new", 60)
    assert orch.waiting_ids("q1") == [mid, low, high1, new]

    # Interrupt: cancelling the running command stops it, and the agent takes the next one.
    orch.call("queue.cancel", commandId=blocker)
    view = orch.wait_status(blocker)
    assert view["status"] == "CANCELLED" and view["runs"][0]["reason"] == "CANCELLED"
    for command_id in (mid, low, high1, new):
        assert orch.wait_status(command_id)["status"] == "COMPLETED"
    assert lines_of(order) == ["mid", "low", "high1", "new"]
    assert orch.show(high2)["status"] == "CANCELLED"
    final = orch.queue("q1")
    assert final["current"] is None and final["waiting"] == []

    moves = orch.audit("QUEUE_MOVED")
    by_action = {details(e)["action"]: e for e in moves}
    move = details(by_action["move"])
    assert (move["agent"], move["from_position"], move["to_position"]) == ("q1", 4, 1)
    assert by_action["move"]["commandId"] == low and by_action["move"]["agentId"]
    prio = details(by_action["priority"])
    assert (prio["from_priority"], prio["to_priority"], prio["positions"]) == (50, 95, {"q1": 1})
    cancels = {e["commandId"]: details(e) for e in orch.audit("COMMAND_CANCELLED")}
    assert set(cancels) == {blocker, high2}
    completed = Counter(e["commandId"] for e in orch.audit("COMMAND_COMPLETED"))
    assert all(completed[c] == 1 for c in (blocker, low, high1, mid, high2, new))


def test_offline_agent_queues_until_it_returns_or_fails_at_once(orch: Orch) -> None:
    [agent] = orch.start_agents("off1")
    agent.stop()
    orch.wait_online("off1", status="OFFLINE")
    marker = orch.tmp_path / "ran.txt"
    queued = orch.send("off1", f"echo ran >> {marker}")
    failed = orch.send("off1", "echo never", failIfOffline=True)
    assert orch.show(queued)["status"] == "QUEUED"
    assert orch.waiting_ids("off1") == [queued]
    view = orch.show(failed)
    assert view["status"] == "FAILED" and "offline" in view["runs"][0]["error"]

    orch.start_agents("off1")
    assert orch.wait_status(queued)["status"] == "COMPLETED"
    assert lines_of(marker) == ["ran"]
    failures = {e["commandId"] for e in orch.audit("COMMAND_FAILED")}
    assert failed in failures and queued not in failures


def test_broadcast_to_five_agents(orch: Orch) -> None:
    names = [f"b{i}" for i in range(5)]
    orch.start_agents(*names)
    result = orch.app.ctl("send", "--all", "--wait", 'echo "hello from $PPID"')
    assert result.returncode == 0, result.stderr
    command_id = result.stdout.splitlines()[0]
    view = orch.show(command_id)
    assert view["broadcast"] is True and view["status"] == "COMPLETED"
    assert sorted(r["agent"] for r in view["runs"]) == names
    assert all(r["status"] == "COMPLETED" and r["exitCode"] == 0 for r in view["runs"])
    per_agent = Counter(o["agent"] for o in view["output"] if "hello from" in o["data"])
    assert set(per_agent) == set(names)

    sent = orch.audit("COMMAND_SENT", commandId=command_id)  # one row per target agent
    assert all(details(e)["broadcast"] is True and details(e)["targets"] == 5 for e in sent)
    assert sorted(details(e)["agent"] for e in sent) == names
    done = orch.audit("COMMAND_COMPLETED", commandId=command_id)
    assert sorted(details(e)["agent"] for e in done) == names

    # Broadcast means the agents online now: one that left gets nothing.
    orch.agents[0].stop()
    orch.wait_online("b0", status="OFFLINE")
    again = orch.call("commands.send", content="true", all=True)
    assert sorted(r["agent"] for r in again["runs"]) == names[1:]
    wait_for(lambda: orch.show(again["id"])["status"] == "COMPLETED", 20)
