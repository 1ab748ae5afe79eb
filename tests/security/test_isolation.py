"""An agent connection speaks only the agent protocol: nothing it sends creates, targets or
touches a command of another agent (a token for one agent drives no other)."""

from __future__ import annotations

import uuid

import pytest

from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus, ControlAction, TraceType

from .conftest import Live, submit


@pytest.mark.parametrize(
    "payload",
    [
        m.CommandRequest(command_id=uuid.uuid4(), content="rm -rf /"),
        m.CommandCancel(command_id=uuid.uuid4()),
        m.AgentControl(action=ControlAction.STOP),
        m.TerminalInput(data="x"),
        m.OutputAck(seq=1),
        m.AgentWelcome(
            agent_id=uuid.uuid4(), acked_seq=0, heartbeat_interval_ms=1, protocol_version=1
        ),
    ],
    ids=lambda p: type(p).__name__,
)
async def test_server_messages_from_an_agent_are_refused(live: Live, payload: m.Payload) -> None:
    agent = await live.agent("a1")
    victim = await live.agent("victim")
    await agent.send(payload)
    error = await agent.expect(m.Error)
    assert error.code == "WRONG_DIRECTION"
    assert live.core.commands.queue_of(live.core.agents.by_name("victim").id) == []  # type: ignore[union-attr]
    await victim.send(m.AgentHeartbeat())


async def test_reports_on_another_agents_command_are_refused(live: Live) -> None:
    attacker = await live.agent("attacker")
    victim = await live.agent("victim")
    command_id = await submit(live, "victim", "work")
    await victim.expect(m.CommandRequest)
    now = codec.now_ms()
    forged: list[m.Sequenced] = [
        m.TerminalOutput(seq=1, command_id=command_id, data="forged output"),
        m.CommandAck(seq=2, command_id=command_id),
        m.TraceEvent(
            seq=3,
            command_id=command_id,
            entry=m.TraceNode(id=uuid.uuid4(), type=TraceType.TOOL_CALL, name="x", started_at=now),
        ),
        m.UsageUpdate(seq=4, command_id=command_id, usage=m.Usage(total_tokens=10**9)),
        m.InvestigationReport(seq=5, command_id=command_id, report_id=uuid.uuid4(), title="t"),
        m.CommandComplete(seq=6, command_id=command_id, status=CommandStatus.FAILED),
        m.AgentError(seq=7, command_id=command_id, code="X", message="boom"),
    ]
    for payload in forged:
        await attacker.send(payload)
        error = await attacker.expect(m.Error)
        assert error.code == "UNKNOWN_COMMAND", payload
    await attacker.ack_reaching(7)  # refused, yet acknowledged: they are not resent forever
    assert live.core.agents.by_name("attacker").refused == 7  # type: ignore[union-attr]
    assert live.stored_seqs(command_id) == []
    assert await live.core.audit.query(command_id=command_id, agent_id=attacker_id(live)) == []
    info = live.core.commands.get(command_id)
    assert info is not None and info.status.value == "EXECUTING"
    (run,) = info.runs
    assert run.error is None and run.tokens.total == 0
    # The real agent still owns it.
    seq = await victim.output(command_id, "real output")
    await victim.ack_reaching(seq)
    assert live.stored_seqs(command_id) == [seq]


def attacker_id(live: Live) -> uuid.UUID:
    info = live.core.agents.by_name("attacker")
    assert info is not None
    return info.id
