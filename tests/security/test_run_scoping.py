"""Rows an agent reports (trace entries, reports) belong to its run — the command *on that
agent*: a command sent to two agents keeps two trace trees and two reports, whichever protocol
version the agents speak, and no agent can write over, hang entries under, or take over a row of
another run; nor add anything to a run after its own COMMAND_COMPLETE. Refused messages get an
ERROR naming them, are counted on the agent, and are not stored.

Real app (port 0), real store, agents speaking the protocol by hand.
"""

from __future__ import annotations

import uuid
from typing import Any

from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus, CommandType, TraceType

from .conftest import Live, RawAgent


async def _broadcast(live: Live, *names: str) -> uuid.UUID:
    ids = [live.core.agents.by_name(n).id for n in names]  # type: ignore[union-attr]
    info = live.core.commands.submit(
        "investigate", agent_ids=ids, command_type=CommandType.INVESTIGATE
    )
    return info.id


def _node(node_id: uuid.UUID, name: str, parent: uuid.UUID | None = None) -> m.TraceNode:
    return m.TraceNode(
        id=node_id,
        parent_id=parent,
        type=TraceType.TOOL_CALL if parent else TraceType.LLM_PROMPT,
        name=name,
        started_at=codec.now_ms(),
    )


async def _report_run(
    agent: RawAgent, command_id: uuid.UUID, scope: uuid.UUID, *, complete: bool = True
) -> int:
    """What an AI agent reports on a run: a root, a tool call under it, its report."""
    root = uuid.uuid5(scope, "root")
    for node in (
        _node(root, f"{agent.name} turn"),
        _node(uuid.uuid5(scope, "tool:1"), f"{agent.name} tool", root),
    ):
        await agent.send(m.TraceEvent(seq=agent.next_seq(), command_id=command_id, entry=node))
    await agent.send(
        m.InvestigationReport(
            seq=agent.next_seq(),
            command_id=command_id,
            report_id=uuid.uuid5(scope, "report"),
            title=f"{agent.name}'s findings",
        )
    )
    if complete:
        await agent.send(
            m.CommandComplete(
                seq=agent.next_seq(), command_id=command_id, status=CommandStatus.COMPLETED
            )
        )
    await agent.ack_reaching(agent.seq)
    return agent.seq


async def _traces_and_reports(live: Live, command_id: uuid.UUID) -> tuple[Any, Any]:
    ctl = await live.control()
    tree = await ctl.call("traces.get", commandId=str(command_id))
    reports = await ctl.call("reports.list", commandId=str(command_id))
    return tree, reports


async def test_a_command_on_two_agents_keeps_two_trees_and_two_reports(live: Live) -> None:
    a1, a2 = await live.agent("a1"), await live.agent("a2")
    command_id = await _broadcast(live, "a1", "a2")
    requests = [await a.expect(m.CommandRequest) for a in (a1, a2)]
    scopes = [r.run_id for r in requests]
    assert None not in scopes and scopes[0] != scopes[1]  # each its run's own namespace
    for agent, scope in zip((a1, a2), scopes, strict=True):
        assert scope is not None
        await _report_run(agent, command_id, scope)
    tree, reports = await _traces_and_reports(live, command_id)
    assert sorted((r["agent"], r["name"], len(r["children"])) for r in tree["roots"]) == [
        ("a1", "a1 turn", 1),
        ("a2", "a2 turn", 1),
    ]
    assert sorted((r["agent"], r["title"]) for r in reports) == [
        ("a1", "a1's findings"),
        ("a2", "a2's findings"),
    ]


async def test_protocol_1_agents_sending_the_same_ids_keep_two_of_each(live: Live) -> None:
    """Agents of protocol 1 derive ids from the command alone (the same for both): the app
    moves each run's ids into its own namespace, parents included."""
    a1 = await live.agent("a1", protocol_version=1)
    a2 = await live.agent("a2", protocol_version=1)
    command_id = await _broadcast(live, "a1", "a2")
    for agent in (a1, a2):
        await agent.expect(m.CommandRequest)
        await _report_run(agent, command_id, command_id)  # uuid5(command, key), as version 1
    tree, reports = await _traces_and_reports(live, command_id)
    assert sorted((r["agent"], len(r["children"])) for r in tree["roots"]) == [("a1", 1), ("a2", 1)]
    assert len({r["id"] for r in tree["roots"]}) == 2
    assert sorted(r["agent"] for r in reports) == ["a1", "a2"]
    assert live.core.agents.by_name("a1").refused == 0  # type: ignore[union-attr]


async def test_rows_of_another_run_cannot_be_touched(live: Live) -> None:
    victim, attacker = await live.agent("victim"), await live.agent("attacker")
    command_id = await _broadcast(live, "victim", "attacker")
    scope = (await victim.expect(m.CommandRequest)).run_id
    await attacker.expect(m.CommandRequest)
    await _report_run(victim, command_id, scope, complete=False)
    root, report = uuid.uuid5(scope, "root"), uuid.uuid5(scope, "report")
    # Another command of the attacker's alone: the victim's rows are not its rows either.
    own = live.core.commands.submit("later", agent_ids=[attacker_id(live)]).id
    forged: list[m.Sequenced] = [
        m.TraceEvent(seq=1, command_id=command_id, entry=_node(root, "overwritten")),
        m.TraceEvent(seq=2, command_id=command_id, entry=_node(uuid.uuid4(), "hung", root)),
        m.TraceEvent(seq=3, command_id=own, entry=_node(root, "taken over")),
        m.InvestigationReport(seq=4, command_id=command_id, report_id=report, title="mine now"),
    ]
    for payload in forged:
        await attacker.send(payload)
        error = await attacker.expect(m.Error)
        assert error.code == "FORBIDDEN" and "belongs to another run" in error.message, payload
    await attacker.ack_reaching(4)
    assert live.core.agents.by_name("attacker").refused == 4  # type: ignore[union-attr]
    assert live.core.agents.by_name("victim").refused == 0  # type: ignore[union-attr]
    tree, reports = await _traces_and_reports(live, command_id)
    (victim_root,) = tree["roots"]
    assert (victim_root["agent"], victim_root["name"]) == ("victim", "victim turn")
    assert [c["name"] for c in victim_root["children"]] == ["victim tool"]
    assert [(r["agent"], r["title"]) for r in reports] == [("victim", "victim's findings")]
    con = live.db()
    try:
        assert con.execute("SELECT count(*) FROM trace_entries").fetchone()[0] == 2
    finally:
        con.close()


async def test_nothing_is_taken_after_the_agents_own_completion(live: Live) -> None:
    agent = await live.agent("a1")
    command_id = await _broadcast(live, "a1")
    scope = (await agent.expect(m.CommandRequest)).run_id
    out = await agent.output(command_id, "before\n")
    done = await _report_run(agent, command_id, scope)
    late: list[m.Sequenced] = [
        m.TerminalOutput(seq=done + 1, command_id=command_id, data="after\n"),
        m.TraceEvent(
            seq=done + 2, command_id=command_id, entry=_node(uuid.uuid5(scope, "late"), "late")
        ),
        m.AgentError(seq=done + 3, command_id=command_id, code="X", message="late"),
        m.CommandComplete(seq=done + 4, command_id=command_id, status=CommandStatus.FAILED),
    ]
    for payload in late:
        await agent.send(payload)
        error = await agent.expect(m.Error)
        assert error.code == "UNKNOWN_COMMAND" and "COMMAND_COMPLETE" in error.message, payload
    await agent.ack_reaching(done + 4)
    assert live.core.agents.by_name("a1").refused == 4  # type: ignore[union-attr]
    assert live.stored_seqs(command_id) == [out]
    info = live.core.commands.get(command_id)
    assert info is not None and info.status is CommandStatus.COMPLETED
    tree, _ = await _traces_and_reports(live, command_id)
    assert [r["name"] for r in tree["roots"]] == ["a1 turn"]
    ctl = await live.control()
    (view,) = [a for a in await ctl.call("agents.list") if a["name"] == "a1"]
    assert view["refused"] == 4


def attacker_id(live: Live) -> uuid.UUID:
    info = live.core.agents.by_name("attacker")
    assert info is not None
    return info.id
