"""``/ws/agent``: the hello, refusals that leave the connection open, fatal ones, heartbeats."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from onsembl_desktop.gateway import agent_endpoint
from onsembl_desktop.protocol import PROTOCOL_VERSION, codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import AgentStatus, CommandStatus

from .conftest import HEARTBEAT_S, Live, RawAgent, submit


async def wait_until(predicate, within: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def still_serves(live: Live, agent: RawAgent) -> None:
    """The connection works: a command reaches the agent and its output is stored and acked."""
    command_id = await submit(live, agent.name, "still there?")
    request = await agent.expect(m.CommandRequest)
    assert request.command_id == command_id
    seq = await agent.output(command_id, "yes")
    assert (await agent.ack_reaching(seq)).seq == seq
    assert seq in live.stored_seqs(command_id)


async def test_welcome(live: Live) -> None:
    agent = await live.agent("sh1")
    welcome = agent.welcome
    assert welcome is not None
    assert welcome.acked_seq == 0 and welcome.protocol_version == PROTOCOL_VERSION
    assert welcome.heartbeat_interval_ms == int(HEARTBEAT_S * 1000)
    info = live.core.agents.by_name("sh1")
    assert info is not None and info.status is AgentStatus.ONLINE and info.id == welcome.agent_id


@pytest.mark.parametrize(
    "bad",
    [
        "not json at all",
        '{"type": "TERMINAL_OUTPUT"}',
        '{"type":"TERMINAL_OUTPUT","id":"bad-1","timestamp":1,"payload":{"seq":"x","data":"d"}}',
        '{"type":"TERMINAL_OUTPUT","id":"bad-1","timestamp":1,"payload":{"seq":1e99,"data":"d"}}',
        '{"type":"TERMINAL_OUTPUT","id":"bad-1","timestamp":1,'
        '"payload":{"seq":9223372036854775808,"data":"d"}}',
        '{"type":"TERMINAL_OUTPUT","id":"bad-1","timestamp":1,"payload":{"seq":1,"data":"\\ud800"}}',
        '{"type":"NO_SUCH_TYPE","id":"bad-1","timestamp":1,"payload":{}}',
        '{"type":"COMMAND_REQUEST","id":"bad-1","timestamp":1,"payload":{}}',
        '{"type":"AGENT_CONNECT","id":"bad-1","timestamp":1,"payload":{"name":"x"}}',
        b"\xff\xfe binary frame",
    ],
)
async def test_malformed_message_gets_an_error_and_everyone_carries_on(
    live: Live, bad: str | bytes
) -> None:
    agent = await live.agent("sh1")
    bystander = await live.agent("sh2")
    if isinstance(bad, bytes):
        await agent.ws.send(bad)  # a binary frame that is not even UTF-8
    else:
        await agent.send_raw(bad)
    error = await agent.expect(m.Error)
    assert not error.fatal and error.code in {c.value for c in codec.ErrorCode}
    if "bad-1" in str(bad) and "ud800" not in str(bad):  # (an unreadable JSON has no id)
        assert error.ref_id == "bad-1"  # names the message it refuses
    await still_serves(live, agent)
    await still_serves(live, bystander)


async def test_unknown_type_and_wrong_direction_codes(live: Live) -> None:
    agent = await live.agent()
    await agent.send_raw('{"type":"TELEPORT","id":"t1","timestamp":1,"payload":{}}')
    error = await agent.expect(m.Error)
    assert (error.code, error.ref_id) == ("UNKNOWN_TYPE", "t1") and "TELEPORT" in error.message
    await agent.send(m.OutputAck(seq=1))
    error = await agent.expect(m.Error)
    assert error.code == "WRONG_DIRECTION" and "OUTPUT_ACK" in error.message


async def test_messages_before_agent_connect_are_refused(live: Live) -> None:
    agent = await live.agent("early", hello=False)
    await agent.send(m.AgentHeartbeat())
    error = await agent.expect(m.Error)
    assert error.code == "NOT_CONNECTED" and not error.fatal
    assert "AGENT_HEARTBEAT" in error.message
    await agent.send(m.TerminalOutput(seq=1, data="too soon"))
    assert (await agent.expect(m.Error)).code == "NOT_CONNECTED"
    assert live.core.agents.by_name("early") is None
    agent.welcome = await agent.hello()  # and it may still say hello
    assert live.core.agents.by_name("early") is not None


async def test_a_second_agent_connect_is_refused(live: Live) -> None:
    agent = await live.agent("sh1")
    await agent.send(
        m.AgentConnect(
            name="sh1", agent_type="SHELL", instance_id=agent.instance_id, protocol_version=1
        )
    )
    error = await agent.expect(m.Error)
    assert error.code == "INVALID_MESSAGE" and "AGENT_CONNECT" in error.message
    await still_serves(live, agent)


async def test_unsupported_protocol_version_is_fatal(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent_endpoint, "MIN_PROTOCOL_VERSION", PROTOCOL_VERSION + 1)
    agent = await live.agent("old", hello=False)
    await agent.send(
        m.AgentConnect(
            name="old",
            agent_type="SHELL",
            instance_id=agent.instance_id,
            protocol_version=PROTOCOL_VERSION,
        )
    )
    error = await agent.expect(m.Error)
    assert error.code == "UNSUPPORTED_VERSION" and error.fatal
    assert "Update onsembl-agent" in error.message
    with pytest.raises(ConnectionClosed) as info:
        await agent.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1008
    assert live.core.agents.by_name("old") is None


async def test_a_newer_agent_speaks_our_version(live: Live) -> None:
    agent = await live.agent("new", protocol_version=PROTOCOL_VERSION + 5)
    assert agent.welcome is not None and agent.welcome.protocol_version == PROTOCOL_VERSION
    session = live.core.agents.session(agent.welcome.agent_id)
    assert session is not None and session.protocol_version == PROTOCOL_VERSION
    await still_serves(live, agent)


async def test_name_in_use_by_another_process_is_fatal(live: Live) -> None:
    first = await live.agent("sh1")
    second = await live.agent("sh1", hello=False)
    await second.send(
        m.AgentConnect(name="sh1", agent_type="SHELL", instance_id=uuid.uuid4(), protocol_version=1)
    )
    error = await second.expect(m.Error)
    assert error.code == "NAME_IN_USE" and error.fatal and "sh1" in error.message
    with pytest.raises(ConnectionClosed):
        await second.recv()
    await still_serves(live, first)  # the first one is untouched


async def test_same_process_reconnecting_replaces_its_old_connection(live: Live) -> None:
    first = await live.agent("sh1")
    second = await live.agent("sh1", instance_id=first.instance_id)
    assert second.welcome is not None and first.welcome is not None
    assert second.welcome.agent_id == first.welcome.agent_id
    with pytest.raises(ConnectionClosed):
        await first.expect(m.AgentWelcome)  # the old connection is closed by the app
    await still_serves(live, second)


async def test_silent_agent_is_offline_after_three_missed_beats(live: Live) -> None:
    agent = await live.agent("quiet", beat=False)
    assert agent.welcome is not None
    agent_id = agent.welcome.agent_id
    loop = asyncio.get_running_loop()
    started = loop.time()
    info = live.core.agents.get(agent_id)
    await wait_until(
        lambda: (
            (info := live.core.agents.get(agent_id)) is not None
            and info.status is AgentStatus.OFFLINE
        ),
        within=10 * HEARTBEAT_S + 2,
    )
    assert loop.time() - started >= 3 * HEARTBEAT_S  # not before three beats were missed
    with pytest.raises(ConnectionClosed):  # and the app hung up
        while True:
            await agent.recv()
    assert info is not None


async def test_beating_agent_stays_online_and_hears_the_server(live: Live) -> None:
    agent = await live.agent("beats", beat=False)
    assert agent.welcome is not None
    server_beats = 0
    loop = asyncio.get_running_loop()
    until = loop.time() + 8 * HEARTBEAT_S
    while loop.time() < until:
        await agent.send(m.AgentHeartbeat())
        try:
            msg = await agent.recv(within=HEARTBEAT_S)
        except TimeoutError:
            continue
        server_beats += isinstance(msg, m.ServerHeartbeat)
    info = live.core.agents.get(agent.welcome.agent_id)
    assert info is not None and info.status is AgentStatus.ONLINE
    assert server_beats >= 3


async def test_output_for_a_command_not_assigned_is_refused_but_acknowledged(live: Live) -> None:
    agent = await live.agent("sh1")
    stranger = uuid.uuid4()
    seq = await agent.output(stranger, "who am I")
    error = await agent.expect(m.Error)
    assert error.code == "UNKNOWN_COMMAND" and str(stranger) in error.message
    # Acknowledged all the same, or the agent would resend it after every reconnect.
    assert (await agent.ack_reaching(seq)).seq == seq
    assert live.stored_seqs(stranger) == []
    await still_serves(live, agent)


async def test_a_refused_command_fails_and_the_queue_moves_on(live: Live) -> None:
    agent = await live.agent("busy")
    first = await submit(live, "busy", "first")
    second = await submit(live, "busy", "second")
    request = await agent.expect(m.CommandRequest)
    assert request.command_id == first
    await agent.send(
        m.CommandAck(seq=agent.next_seq(), command_id=first, accepted=False, reason="agent busy")
    )
    request = await agent.expect(m.CommandRequest)
    assert request.command_id == second
    info = live.core.commands.get(first)
    assert info is not None and info.status is CommandStatus.FAILED and info.error == "agent busy"


async def test_closed_connection_marks_the_agent_offline(live: Live) -> None:
    agent = await live.agent("bye")
    assert agent.welcome is not None
    await agent.close()
    await wait_until(
        lambda: (
            (i := live.core.agents.get(agent.welcome.agent_id)) is not None  # type: ignore[union-attr]
            and i.status is AgentStatus.OFFLINE
        )
    )
