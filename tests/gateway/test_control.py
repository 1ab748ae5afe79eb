"""``/ws/control``: requests and refusals, the replay guard, and the ``commands.watch`` stream."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from onsembl_desktop.agent.client import AgentClient, ClientOptions
from onsembl_desktop.agent.executor import AgentSettings
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import control as c
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import AgentType, CommandStatus

from .conftest import Live, RawAgent, RawControl


async def test_agents_list_and_send(live: Live) -> None:
    await live.agent("sh1")
    ctl = await live.control()
    agents = await ctl.call("agents.list")
    assert [(a["name"], a["status"]) for a in agents] == [("sh1", "ONLINE")]
    view = await ctl.call("commands.send", content="echo hi", agents=["sh1"])
    uuid.UUID(view["id"])
    assert view["runs"][0]["agent"] == "sh1"


async def test_bad_requests_are_answered_and_the_connection_carries_on(live: Live) -> None:
    ctl = await live.control()
    await ctl.ws.send("this is not json", text=True)
    reply = await ctl.response("")
    assert not reply.ok and reply.error is not None and reply.error.code == "INVALID_MESSAGE"
    reply = await ctl.request("no.such.method")
    assert reply.error is not None and reply.error.code == "UNKNOWN_TYPE"
    assert "no.such.method" in reply.error.message
    reply = await ctl.request("commands.send", content="x", agnets=["typo"])
    assert reply.error is not None and reply.error.code == "INVALID_MESSAGE"
    reply = await ctl.request("commands.send", content="x", agents=["nobody"])
    assert reply.error is not None and reply.error.code == "REFUSED"
    assert "nobody" in reply.error.message
    reply = await ctl.request("commands.show", commandId=str(uuid.uuid4()))
    assert reply.error is not None and reply.error.code == "REFUSED"
    assert await ctl.call("agents.list") == []


async def test_a_nul_in_a_commands_text_is_refused_clearly(live: Live) -> None:
    """It reached the agent, which failed it as an "internal error in onsembl-agent"."""
    await live.agent("sh1")
    ctl = await live.control()
    reply = await ctl.request("commands.send", content="echo a\x00b", agents=["sh1"])
    assert reply.error is not None and reply.error.code == "REFUSED"
    assert "NUL" in reply.error.message
    assert live.core.commands.open_commands() == []


async def test_a_request_id_is_used_once(live: Live) -> None:
    ctl = await live.control()
    assert (await ctl.request("agents.list", req_id="once")).ok
    reply = await ctl.request("agents.list", req_id="once")
    assert reply.error is not None and reply.error.code == "FORBIDDEN"
    assert "already used" in reply.error.message
    other = await live.control()  # the guard is the app's, not the connection's
    reply = await other.request("agents.list", req_id="once")
    assert reply.error is not None and reply.error.code == "FORBIDDEN"


async def test_stale_or_future_requests_are_refused(live: Live) -> None:
    ctl = await live.control()
    for skew in (-c.MAX_REQUEST_AGE_MS - 60_000, c.MAX_REQUEST_AGE_MS + 60_000):
        reply = await ctl.request("agents.list", timestamp=codec.now_ms() + skew)
        assert reply.error is not None and reply.error.code == "FORBIDDEN"
        assert "timestamp" in reply.error.message
    assert (await ctl.request("agents.list", timestamp=codec.now_ms() - 60_000)).ok


async def test_replay_guard_forgets_nothing_that_could_still_be_replayed() -> None:
    from onsembl_desktop.gateway.control import ReplayGuard

    guard = ReplayGuard(window_ms=1000)
    future = c.ControlRequest(id="f", method="agents.list", timestamp=codec.now_ms() + 900)
    guard.check(future)
    guard._seen = {k: v - 1500 for k, v in guard._seen.items()}  # as if 1.5 s had passed
    for i in range(10_001):  # enough to make the guard prune
        guard.check(c.ControlRequest(id=f"r{i}", method="x", timestamp=codec.now_ms()))
    # The captured request is still inside its window (its timestamp is in the future): still
    # refused as a replay.
    try:
        guard.check(future)
    except codec.ProtocolError as exc:
        assert exc.code is codec.ErrorCode.FORBIDDEN
    else:
        raise AssertionError("a replay inside its window was accepted")


async def watch(ctl: RawControl, command_id: uuid.UUID, **params: object) -> list[c.ControlEvent]:
    await ctl.call("commands.watch", commandId=str(command_id), **params)
    events = []
    while True:
        event = await ctl.event()
        events.append(event)
        if event.event == "done":
            return events


def output_seqs(events: list[c.ControlEvent]) -> list[int]:
    return [e.data["seq"] for e in events if e.event == "output"]


async def sent_through_control(live: Live) -> tuple[RawAgent, RawControl, uuid.UUID]:
    """A raw agent sh1, a control client, and a command it sent to sh1 (received by sh1)."""
    agent = await live.agent("sh1")
    ctl = await live.control()
    view = await ctl.call("commands.send", content="stream", agents=["sh1"])
    command_id = uuid.UUID(view["id"])
    assert (await agent.expect(m.CommandRequest)).command_id == command_id
    return agent, ctl, command_id


async def test_watch_from_the_middle_gets_every_output_once_in_order(live: Live) -> None:
    agent, ctl, command_id = await sent_through_control(live)
    ack_seq = agent.next_seq()
    await agent.send(m.CommandAck(seq=ack_seq, command_id=command_id))
    seqs = []
    for i in range(50):
        seqs.append(await agent.output(command_id, f"line {i}\n"))
    await agent.ack_reaching(seqs[-1])  # these are stored
    live.core.store.write(lambda _c: __import__("time").sleep(0.2))
    for i in range(50, 100):  # these are still on their way to the disk
        seqs.append(await agent.output(command_id, f"line {i}\n"))
    watching = asyncio.create_task(watch(ctl, command_id))
    for i in range(100, 150):  # and these come after the watch started
        seqs.append(await agent.output(command_id, f"line {i}\n"))
        if i % 10 == 0:
            await asyncio.sleep(0.01)
    await agent.send(
        m.CommandComplete(
            seq=agent.next_seq(), command_id=command_id, status=CommandStatus.COMPLETED
        )
    )
    events = await asyncio.wait_for(watching, 10)
    assert output_seqs(events) == seqs
    assert "".join(e.data["data"] for e in events if e.event == "output") == "".join(
        f"line {i}\n" for i in range(150)
    )
    assert events[-1].event == "done" and events[-1].data["status"] == "COMPLETED"


async def test_watch_of_a_finished_command_replays_it(live: Live) -> None:
    agent, ctl, command_id = await sent_through_control(live)
    await agent.output(command_id, "one ")
    await agent.output(command_id, "two")
    await agent.send(
        m.CommandComplete(
            seq=agent.next_seq(), command_id=command_id, status=CommandStatus.FAILED, exit_code=2
        )
    )
    await agent.ack_reaching(3)
    events = await watch(ctl, command_id)
    assert [e.data["data"] for e in events if e.event == "output"] == ["one ", "two"]
    assert events[-1].data["status"] == "FAILED"
    events = await watch(ctl, command_id, fromStart=False)
    assert [e.event for e in events] == ["done"]


async def test_watch_with_a_real_agent_client(live: Live, tmp_path: Path) -> None:
    client = AgentClient(
        ClientOptions(server=live.agent_url, token=live.agent_token, name="real"),
        AgentSettings(agent_type=AgentType.SHELL, cwd=str(tmp_path), shell="/bin/sh"),
    )
    running = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(client.connected.wait(), 10)
        ctl = await live.control()
        view = await ctl.call(
            "commands.send",
            content="for i in $(seq 1 200); do echo line $i; done; printf '\\033[31mred\\033[0m'",
            agents=["real"],
        )
        events = await watch(ctl, uuid.UUID(view["id"]))
        seqs = output_seqs(events)
        assert seqs == sorted(set(seqs))
        text = "".join(e.data["data"] for e in events if e.event == "output")
        assert text.startswith("line 1\r\nline 2\r\n") and "line 200\r\n" in text
        assert text.endswith("\x1b[31mred\x1b[0m")
        assert events[-1].data["status"] == "COMPLETED"
    finally:
        client.request_stop()
        assert await asyncio.wait_for(running, 10) is None
