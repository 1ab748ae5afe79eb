"""Hostile input over real sockets: the socket fuzzer (a few thousand messages by default,
100,000 with ``-m slow``) and property-based messages, while well-behaved agents stream beside
them. The app must answer every bad message with the right ERROR, never crash, and keep serving."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as sync_connect

from onsembl_desktop.app import OnsemblApp
from onsembl_desktop.protocol import PROTOCOL_VERSION, codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.codec import Direction
from tests.protocol.strategies import JSON_VALUES
from tests.support import AppProcess

from .conftest import Live, RawAgent, start_app, submit
from .fuzzer import fuzz

AGENT_TYPES = [s.type for s in codec.SPECS if s.direction is Direction.AGENT_TO_SERVER]
ANSWERS = {"INVALID_MESSAGE", "UNKNOWN_TYPE", "WRONG_DIRECTION", "UNKNOWN_COMMAND"}


async def _stream(live: Live, agent: RawAgent, count: int) -> list[int]:
    """A well-behaved agent: a command, ``count`` outputs at 50/s, each acknowledged."""
    command_id = await submit(live, agent.name, "stream")
    await agent.expect(m.CommandRequest)
    for i in range(count):
        await agent.output(command_id, f"line {i}\n")
        await asyncio.sleep(0.02)
    await agent.ack_reaching(agent.seq, within=20)
    return live.stored_seqs(command_id)


async def test_socket_fuzzer_a_few_thousand(live: Live) -> None:
    good = [await live.agent(f"good{i}") for i in range(3)]
    fuzzing = asyncio.create_task(fuzz(live.agent_url, live.agent_token, 3000, 12, seed=7))
    streams = await asyncio.gather(*(_stream(live, a, 100) for a in good))
    result = await fuzzing
    assert result.sent >= 3000 and result.mismatches == [] and result.closed is None
    assert len(result.by_kind) == 11  # every kind of bad message was sent (oversized too)
    assert result.rate_warnings == 0  # (paced under the limit: each answer is about the message)
    for agent, seqs in zip(good, streams, strict=True):
        assert seqs == list(range(1, agent.seq + 1))  # everything, once
    ctl = await live.control()
    agents = {a["name"]: a for a in await ctl.call("agents.list")}
    assert all(agents[a.name]["status"] == "ONLINE" for a in good)


@pytest.mark.slow
def test_socket_fuzzer_100k_against_the_app_process(tmp_path: Path) -> None:
    """100,000 fuzz messages over 40 connections against ``onsembl --headless``, with a real
    agent running a command alongside."""
    from tests.support import AgentProcess

    app = AppProcess(tmp_path / "data", ["--heartbeat", "2"]).start()
    agent = AgentProcess(app.url, app.agent_token, "bystander", log_path=tmp_path / "a.log")
    try:
        agent.start()
        app.wait_agent("bystander")
        ticker = "for i in $(seq 1 600); do echo tick $i; sleep 0.05; done"
        command_id = app.send("bystander", ticker)
        result = asyncio.run(fuzz(app.url + "/ws/agent", app.agent_token, 100_000, 40, seed=11))
        assert result.sent >= 100_000, result.sent
        assert result.mismatches == [] and result.closed is None
        assert app.proc is not None and app.proc.poll() is None  # never crashed
        view = app.wait_status(command_id, timeout=120)
        assert view["status"] == "COMPLETED"
        lines = "".join(o["data"] for o in view["output"]).split()
        assert [int(n) for n in lines[1::2]] == list(range(1, 601))
    finally:
        agent.stop()
        app.stop()


# --- property-based: any envelope of any agent type, with any JSON payload ----------------------


class ThreadApp:
    """The app on its own loop in a thread, for hypothesis' synchronous examples."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app: OnsemblApp = self._run(start_app(data_dir, heartbeat_interval_s=5.0))
        self.token = (data_dir / "agent_token").read_text().strip()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self._run(self.app.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def thread_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadApp]:
    app = ThreadApp(tmp_path_factory.mktemp("prop") / "data")
    yield app
    app.stop()


@pytest.fixture(scope="module")
def prop_agent(thread_app: ThreadApp) -> Iterator[SyncConnection]:
    with sync_connect(
        thread_app.app.url + "/ws/agent",
        additional_headers={"Authorization": f"Bearer {thread_app.token}"},
        compression=None,
    ) as ws:
        hello = m.AgentConnect(
            name="prop",
            agent_type="SHELL",
            instance_id=uuid.uuid4(),
            protocol_version=PROTOCOL_VERSION,
        )
        ws.send(codec.encode(hello).decode())
        assert isinstance(codec.decode(ws.recv(5)).payload, m.AgentWelcome)
        yield ws


def _answers(ws: SyncConnection, data: str) -> list[m.Error]:
    """Send ``data``, then a heartbeat (resets the bad-message count) and a sentinel whose refusal
    marks the end of the answers to ``data``."""
    sentinel = f"sentinel-{uuid.uuid4()}"
    ws.send(data)
    ws.send(codec.encode(m.AgentHeartbeat()).decode())
    ws.send(json.dumps({"type": "SENTINEL", "id": sentinel, "timestamp": 1, "payload": {}}))
    errors = []
    while True:
        msg = codec.decode(ws.recv(10), expect=Direction.SERVER_TO_AGENT).payload
        if isinstance(msg, m.Error):
            if msg.ref_id == sentinel:
                return errors
            if msg.code != "RATE_LIMIT":
                errors.append(msg)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    type_=st.sampled_from([*AGENT_TYPES, "TELEPORT", "OUTPUT_ACK", "COMMAND_REQUEST"]),
    payload=JSON_VALUES,
    msg_id=st.text(min_size=1, max_size=40),
)
def test_any_envelope_gets_at_most_one_right_answer(
    prop_agent: SyncConnection, type_: str, payload: Any, msg_id: str
) -> None:
    data = json.dumps({"type": type_, "id": msg_id, "timestamp": 1, "payload": payload})
    errors = _answers(prop_agent, data)
    assert len(errors) <= 1
    for error in errors:
        assert error.code in ANSWERS and not error.fatal
        assert error.ref_id == msg_id[:128]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(st.text(max_size=300), JSON_VALUES.map(json.dumps)))
def test_any_text_gets_a_right_answer(prop_agent: SyncConnection, data: str) -> None:
    errors = _answers(prop_agent, data)
    assert len(errors) <= 1
    assert all(e.code in ANSWERS and not e.fatal for e in errors)
