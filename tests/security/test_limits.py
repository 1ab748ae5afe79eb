"""Per-connection limits over real sockets: size, rate (delayed, never dropped), unstored output,
and an agent that stops reading; each answered with its code, none slowing anyone else."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from dataclasses import replace

import pytest
from websockets.exceptions import ConnectionClosed

from onsembl_desktop.gateway import limits
from onsembl_desktop.gateway.limits import RateLimit, TokenBucket, Unstored
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m

from .conftest import Live, RawAgent, submit


def test_token_bucket_allows_bursts_and_holds_the_rate() -> None:
    bucket = TokenBucket(rate=100, burst=10, stamp=0.0)
    assert [bucket.take(0.0) for _ in range(10)] == [0.0] * 10
    assert bucket.take(0.0) == pytest.approx(0.01)  # the 11th waits one token's time
    # Taking on credit keeps the long-run rate: 100 more at once wait up to ~1 s in all.
    waits = [bucket.take(0.0) for _ in range(100)]
    assert waits[-1] == pytest.approx(1.01)


def test_rate_limit_warns_once_a_second_and_closes_when_it_persists() -> None:
    rate = RateLimit(TokenBucket(rate=10, burst=1, stamp=0.0), persist_s=2.0)
    assert rate.check(0.0) == (0.0, False, False)
    wait, warn, close = rate.check(0.0)
    assert wait > 0 and warn and not close
    assert rate.check(0.5)[1:] == (False, False)  # no second warning within the second
    now, closed = 0.5, False
    while now < 5 and not closed:  # keeps sending faster than allowed
        now += 0.01
        closed = rate.check(now)[2]
    assert closed and now < 3


def test_unstored_bound_has_hysteresis() -> None:
    u = Unstored(limit=100)
    for seq in range(1, 12):
        u.taken(seq, 10)
    assert u.over and not u.relieved
    u.stored(3)
    assert not u.over and not u.relieved  # 80 bytes: under the bound, not yet under half
    u.stored(7)
    assert u.relieved and u.bytes == 40


def _set_limits(live: Live, **changes: float) -> None:
    assert live.app.gateway is not None
    live.app.gateway.limits = replace(live.app.gateway.limits, **changes)


async def _acked(agent: RawAgent, seq: int, within: float) -> list[str]:
    """Wait for OUTPUT_ACK reaching ``seq``; returns the codes of the ERRORs seen meanwhile."""
    codes = []
    async with asyncio.timeout(within):
        while True:
            msg = await agent.recv(within)
            if isinstance(msg, m.Error):
                codes.append(msg.code)
            elif isinstance(msg, m.OutputAck) and msg.seq >= seq:
                return codes


async def _command_for(live: Live, agent: RawAgent) -> uuid.UUID:
    command_id = await submit(live, agent.name, "stream")
    await agent.expect(m.CommandRequest)
    return command_id


async def test_oversized_message_is_refused_and_the_connection_carries_on(live: Live) -> None:
    agent = await live.agent("big")
    command_id = await _command_for(live, agent)
    body = "x" * (limits.MAX_MESSAGE_BYTES + 10)
    await agent.send(m.TerminalOutput(seq=agent.next_seq(), command_id=command_id, data=body))
    error = await agent.expect(m.Error)
    assert error.code == "INVALID_MESSAGE" and "byte limit" in error.message
    assert live.stored_seqs(command_id) == []
    seq = await agent.output(command_id, "small again")
    assert (await agent.ack_reaching(seq)).seq == seq


async def test_the_size_limit_counts_bytes_not_characters(live: Live) -> None:
    agent = await live.agent("wide")
    command_id = await _command_for(live, agent)
    body = "\u00e9" * (limits.MAX_MESSAGE_BYTES // 2 + 100)  # fewer characters than bytes
    await agent.send(m.TerminalOutput(seq=agent.next_seq(), command_id=command_id, data=body))
    error = await agent.expect(m.Error)
    assert error.code == "INVALID_MESSAGE" and "byte limit" in error.message


async def test_a_frame_beyond_the_hard_cap_closes_the_connection(live: Live) -> None:
    agent = await live.agent("huge")
    bystander = await live.agent("calm")
    await agent.send_raw("y" * (limits.HARD_MAX_FRAME_BYTES + 1))
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await agent.recv(5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    command_id = await _command_for(live, bystander)
    seq = await bystander.output(command_id, "still here")
    await bystander.ack_reaching(seq)


async def test_a_burst_over_the_rate_is_delayed_not_dropped(live: Live) -> None:
    """Past the burst, the app reads the agent at the sustained rate: the agent is warned with
    RATE_LIMIT, every message is still stored once, and the agent next to it is served at once."""
    flood = await live.agent("flood", beat=False)
    calm = await live.agent("calm")
    command_id = await _command_for(live, flood)
    calm_command = await _command_for(live, calm)
    count = int(limits.BURST) + 150  # ~1.5 s over the burst
    raws = [
        codec.encode(m.TerminalOutput(seq=s, command_id=command_id, data=f"{s}\n"))
        for s in range(1, count + 1)
    ]
    for raw in raws:
        await flood.send_raw(raw)
    flood.seq = count
    # While the flood is still being read at 100/s, the calm agent gets its ack.
    seq = await calm.output(calm_command, "hello")
    await calm.ack_reaching(seq, within=5)
    assert len(live.stored_seqs(command_id)) < count  # the flood is not through yet
    codes = await _acked(flood, count, within=15)
    assert codes and set(codes) == {"RATE_LIMIT"}
    assert live.stored_seqs(command_id) == list(range(1, count + 1))


async def test_a_rate_kept_too_high_ends_the_connection(live: Live) -> None:
    _set_limits(live, persist_s=1.0, burst=50)
    flood = await live.agent("flood", beat=False)
    beat = codec.encode(m.AgentHeartbeat())
    codes: list[tuple[str, bool]] = []

    async def read() -> None:
        try:
            while True:
                msg = await flood.recv(15)
                if isinstance(msg, m.Error):
                    codes.append((msg.code, msg.fatal))
        except ConnectionClosed:
            pass

    reader = asyncio.create_task(read())
    with pytest.raises(ConnectionClosed):
        for _ in range(5000):  # ~2x the rate for over 3 s
            await flood.send_raw(beat)
            await asyncio.sleep(0.005)
    await asyncio.wait_for(reader, 15)
    assert ("RATE_LIMIT", False) in codes and codes[-1] == ("RATE_LIMIT", True)
    info = live.core.agents.by_name("flood")
    assert info is not None and info.status.value == "OFFLINE"


async def test_unstored_output_pauses_reading_and_loses_nothing(live: Live) -> None:
    """With the database locked by another program, an agent's output piles up unstored: past
    the bound the app stops reading it (RESOURCE_EXHAUSTED) instead of holding more; once the
    lock goes everything is stored, once."""
    _set_limits(live, max_unstored_bytes=64 * 1024)
    agent = await live.agent("busy")
    command_id = await _command_for(live, agent)
    con = sqlite3.connect(live.data_dir / "onsembl.db", timeout=10)
    con.execute("BEGIN EXCLUSIVE")  # (a real lock, held by another connection)
    try:
        chunk = "z" * 8000
        for _ in range(30):  # 240 KB: well past the 64 KB bound
            await agent.output(command_id, chunk)
        error = await agent.expect(m.Error, within=10)
        assert error.code == "RESOURCE_EXHAUSTED" and "nothing is lost" in error.message
        assert live.stored_seqs(command_id) == []
    finally:
        con.rollback()
        con.close()
    codes = await _acked(agent, agent.seq, within=20)
    assert set(codes) <= {"RESOURCE_EXHAUSTED"}
    assert live.stored_seqs(command_id) == list(range(1, agent.seq + 1))


async def test_an_agent_that_stops_reading_is_disconnected(live: Live) -> None:
    agent = await live.agent("deaf")
    info = live.core.agents.by_name("deaf")
    assert info is not None
    session = live.core.agents.session(info.id)
    assert session is not None
    big = "i" * 60_000
    # Flood its send queue faster than the socket drains, as if the agent never read.
    agent.ws.transport.pause_reading()
    for _ in range(400):  # 24 MB queued: past the 16 MB bound
        live.core.terminal_input(info.id, big)
    async with asyncio.timeout(5):
        while live.core.agents.by_name("deaf").status.value != "OFFLINE":  # type: ignore[union-attr]  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def test_error_codes_are_the_protocol_ones() -> None:
    codes = {c.value for c in codec.ErrorCode}
    assert {"RATE_LIMIT", "INVALID_MESSAGE", "RESOURCE_EXHAUSTED"} <= codes
    assert json.loads(codec.encode(m.Error(code="RATE_LIMIT", message="x")))["type"] == "ERROR"
