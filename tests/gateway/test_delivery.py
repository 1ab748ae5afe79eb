"""Reliable delivery through the real gateway, core and store: acks only after commit, no
duplicates after a reconnect (even with writes still in flight), resume after an app restart."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus

from .conftest import Live, RawAgent, start_app, submit


async def command_for(live: Live, agent: RawAgent) -> uuid.UUID:
    command_id = await submit(live, agent.name, "produce output")
    request = await agent.expect(m.CommandRequest)
    assert request.command_id == command_id
    return command_id


async def with_stored_output(live: Live, count: int) -> tuple[RawAgent, uuid.UUID]:
    """Agent sh1 with a command that has ``count`` outputs stored and acknowledged."""
    agent = await live.agent("sh1")
    command_id = await command_for(live, agent)
    for _ in range(count):
        await agent.output(command_id, "x")
    await agent.ack_reaching(count)
    return agent, command_id


def block_writer(live: Live, seconds: float) -> None:
    """Keep the store's writer busy, so what arrives next stays uncommitted for a while."""
    live.core.store.write(lambda _conn: time.sleep(seconds))


async def test_ack_only_after_the_rows_are_committed(live: Live) -> None:
    agent = await live.agent("sh1")
    command_id = await command_for(live, agent)
    acks: list[int] = []
    for i in range(1, 301):
        await agent.output(command_id, f"line {i}\n")
        if i % 50 == 0:
            block_writer(live, 0.05)  # commits lag behind receipt now and then
    while not acks or acks[-1] < 300:
        ack = await agent.expect(m.OutputAck)
        # Whenever an ack arrives, another reader of the database already sees everything it
        # covers, and the stream cursor is there too.
        stored = live.stored_seqs(command_id)
        assert stored[: ack.seq] == list(range(1, ack.seq + 1)), ack
        con = live.db()
        try:
            (cursor,) = con.execute("SELECT MAX(acked_seq) FROM agent_streams").fetchone()
        finally:
            con.close()
        assert cursor >= ack.seq
        assert not acks or ack.seq >= acks[-1]
        acks.append(ack.seq)
    assert live.stored_seqs(command_id) == list(range(1, 301))


async def test_resent_messages_are_stored_once_and_acknowledged_again(live: Live) -> None:
    agent, command_id = await with_stored_output(live, 10)
    await agent.close()
    again = await live.agent("sh1", instance_id=agent.instance_id)
    assert again.welcome is not None and again.welcome.acked_seq == 10
    for seq in range(5, 13):  # an overlap a confused agent might send, and two new ones
        await again.output(command_id, "x", seq=seq)
    await again.ack_reaching(12)
    assert live.stored_seqs(command_id) == list(range(1, 13))


async def test_no_duplicates_when_reconnecting_with_writes_in_flight(live: Live) -> None:
    agent = await live.agent("sh1")
    assert agent.welcome is not None
    command_id = await command_for(live, agent)
    block_writer(live, 1.0)
    for _ in range(20):
        await agent.output(command_id, "payload")
    session = live.core.agents.session(agent.welcome.agent_id)
    async with asyncio.timeout(5):
        while session is None or session.received_seq < 20:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await agent.close()
    # The same agent process reconnects while its output is still on the way to the disk.
    again = await live.agent("sh1", instance_id=agent.instance_id)
    assert again.welcome is not None
    assert again.welcome.acked_seq < 20, "the race did not happen; the writer was not blocked"
    for seq in range(again.welcome.acked_seq + 1, 21):  # what a real agent resends
        await again.output(command_id, "payload", seq=seq)
    # The commit of the first delivery is acknowledged on the new connection.
    assert (await again.ack_reaching(20)).seq == 20
    await live.core.store.flush()
    assert live.stored_seqs(command_id) == list(range(1, 21))


async def test_a_new_agent_process_starts_a_new_stream(live: Live) -> None:
    agent, _ = await with_stored_output(live, 3)
    await agent.close()
    restarted = await live.agent("sh1")  # a new instance: seq starts at 1 again
    assert restarted.welcome is not None and restarted.welcome.acked_seq == 0


async def test_resume_after_the_app_restarts(live: Live) -> None:
    agent, command_id = await with_stored_output(live, 5)
    port = live.app.port
    await live.app.stop()
    live.app = await start_app(live.data_dir, port=port)  # same data dir, same port
    assert live.app.port == port
    again = await live.agent(
        "sh1",
        instance_id=agent.instance_id,
        last_seq=7,
        commands=[m.CommandState(command_id=command_id, running=True)],
    )
    assert again.welcome is not None and again.welcome.acked_seq == 5
    assert again.welcome.unknown_commands == []
    for seq in range(6, 8):
        await again.output(command_id, "after", seq=seq)
    await again.send(
        m.CommandComplete(seq=8, command_id=command_id, status=CommandStatus.COMPLETED, exit_code=0)
    )
    await again.ack_reaching(8)
    assert live.stored_seqs(command_id) == list(range(1, 8))
    info = live.core.commands.get(command_id)
    assert info is not None and info.status.value == "COMPLETED"


async def test_unknown_commands_are_named_in_the_welcome(live: Live) -> None:
    stranger = uuid.uuid4()
    agent = await live.agent("sh1", commands=[m.CommandState(command_id=stranger, running=False)])
    assert agent.welcome is not None and agent.welcome.unknown_commands == [stranger]


async def test_a_command_given_up_on_is_dropped_by_the_returning_agent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    live = Live(await start_app(data_dir, grace_s=0.3), data_dir)
    try:
        agent = await live.agent("sh1")
        command_id = await command_for(live, agent)
        await agent.close()
        async with asyncio.timeout(5):  # the disconnect grace runs out
            while (info := live.core.commands.get(command_id)) is None or not info.status.is_final:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert info.status is CommandStatus.FAILED and info.runs[0].reason == "AGENT_LOST"
        # The agent comes back still running it: the app tells it to drop it, rather than let it
        # refuse every next command as busy.
        again = await live.agent(
            "sh1",
            instance_id=agent.instance_id,
            commands=[m.CommandState(command_id=command_id, running=True)],
        )
        assert again.welcome is not None and again.welcome.unknown_commands == [command_id]
        assert await command_for(live, again) != command_id
    finally:
        for raw in live.agents:
            await raw.close()
        await live.app.stop()
