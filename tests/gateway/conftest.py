"""An in-process app (the real OnsemblApp, on the test's own event loop, port 0, temp data dir)
and raw WebSocket clients that speak the protocol by hand."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from onsembl_desktop.app import AppConfig, OnsemblApp
from onsembl_desktop.core.service import Core
from onsembl_desktop.protocol import PROTOCOL_VERSION, codec
from onsembl_desktop.protocol import control as c
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.codec import Direction
from onsembl_desktop.protocol.enums import AgentType

HEARTBEAT_S = 0.2


@dataclass
class Live:
    app: OnsemblApp
    data_dir: Path
    clients: list[ClientConnection] = field(default_factory=list)
    agents: list[RawAgent] = field(default_factory=list)

    @property
    def core(self) -> Core:
        assert self.app.core is not None
        return self.app.core

    @property
    def agent_url(self) -> str:
        return self.app.url + "/ws/agent"

    @property
    def control_url(self) -> str:
        return self.app.url + "/ws/control"

    @property
    def agent_token(self) -> str:
        return (self.data_dir / "agent_token").read_text().strip()

    @property
    def control_token(self) -> str:
        return (self.data_dir / "control_token").read_text().strip()

    async def ws(self, url: str, token: str | None) -> ClientConnection:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        ws = await connect(url, additional_headers=headers, open_timeout=5, compression=None)
        self.clients.append(ws)
        return ws

    async def agent(
        self,
        name: str = "raw1",
        *,
        instance_id: uuid.UUID | None = None,
        hello: bool = True,
        beat: bool = True,
        **connect_fields: Any,
    ) -> RawAgent:
        ws = await self.ws(self.agent_url, self.agent_token)
        agent = RawAgent(ws, name, instance_id or uuid.uuid4())
        self.agents.append(agent)
        if hello:
            agent.welcome = await agent.hello(**connect_fields)
            if beat:
                agent.start_beating()
        return agent

    async def control(self) -> RawControl:
        return RawControl(await self.ws(self.control_url, self.control_token))

    def db(self) -> sqlite3.Connection:
        """A separate reader of the app's database file, as another process would see it."""
        con = sqlite3.connect(f"file:{self.data_dir / 'onsembl.db'}?mode=ro", uri=True)
        return con

    def stored_seqs(self, command_id: uuid.UUID | None = None) -> list[int]:
        con = self.db()
        try:
            if command_id is None:
                rows = con.execute("SELECT sequence FROM terminal_outputs ORDER BY sequence")
            else:
                rows = con.execute(
                    "SELECT sequence FROM terminal_outputs WHERE command_id = ? ORDER BY sequence",
                    (command_id.hex,),
                )
            return [r[0] for r in rows]
        finally:
            con.close()


class RawAgent:
    """An agent speaking the protocol by hand over a real WebSocket."""

    def __init__(self, ws: ClientConnection, name: str, instance_id: uuid.UUID) -> None:
        self.ws = ws
        self.name = name
        self.instance_id = instance_id
        self.welcome: m.AgentWelcome | None = None
        self.seq = 0
        self.inbox: list[Any] = []
        self._beats: asyncio.Task[None] | None = None

    def start_beating(self) -> None:
        """Send AGENT_HEARTBEAT in the background, as a live agent does."""

        async def beat() -> None:
            while True:
                await self.send(m.AgentHeartbeat())
                await asyncio.sleep(HEARTBEAT_S)

        self._beats = asyncio.create_task(beat())

    async def send(self, payload: m.Payload) -> None:
        await self.ws.send(codec.encode(payload), text=True)

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data, text=True)

    async def hello(self, **fields: Any) -> m.AgentWelcome:
        values: dict[str, Any] = {
            "name": self.name,
            "agent_type": AgentType.SHELL,
            "instance_id": self.instance_id,
            "protocol_version": PROTOCOL_VERSION,
        }
        values.update(fields)
        await self.send(m.AgentConnect(**values))
        welcome = await self.expect(m.AgentWelcome)
        assert isinstance(welcome, m.AgentWelcome)
        return welcome

    async def recv(self, within: float = 5.0) -> Any:
        raw = await asyncio.wait_for(self.ws.recv(), within)
        return codec.decode(raw, expect=Direction.SERVER_TO_AGENT).payload

    async def expect(self, kind: type[Any], within: float = 5.0) -> Any:
        """The next message of ``kind``, skipping heartbeats (and keeping the others in inbox)."""
        async with asyncio.timeout(within):
            while True:
                msg = await self.recv(within)
                if isinstance(msg, kind):
                    return msg
                if isinstance(msg, m.Error) and kind is not m.Error:
                    raise AssertionError(f"unexpected ERROR {msg}")
                if not isinstance(msg, m.ServerHeartbeat):
                    self.inbox.append(msg)

    async def ack_reaching(self, seq: int, within: float = 5.0) -> m.OutputAck:
        async with asyncio.timeout(within):
            while True:
                ack = await self.expect(m.OutputAck, within)
                if ack.seq >= seq:
                    return ack  # type: ignore[no-any-return]

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def output(self, command_id: uuid.UUID, data: str, seq: int | None = None) -> int:
        seq = seq if seq is not None else self.next_seq()
        await self.send(m.TerminalOutput(seq=seq, command_id=command_id, data=data))
        return seq

    async def close(self) -> None:
        if self._beats is not None:
            self._beats.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await self._beats
        await self.ws.close()


class RawControl:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[c.ControlEvent] = []

    async def request(
        self, method: str, *, req_id: str | None = None, timestamp: int | None = None, **params: Any
    ) -> c.ControlResponse:
        req = c.ControlRequest(
            id=req_id or str(uuid.uuid4()),
            method=method,
            params=params,
            timestamp=codec.now_ms() if timestamp is None else timestamp,
        )
        await self.ws.send(c.encode(req), text=True)
        return await self.response(req.id)

    async def response(self, req_id: str, within: float = 5.0) -> c.ControlResponse:
        async with asyncio.timeout(within):
            while True:
                reply = c.decode_reply(await self.ws.recv())
                if isinstance(reply, c.ControlEvent):
                    self.events.append(reply)
                elif reply.id == req_id:
                    return reply

    async def call(self, method: str, **params: Any) -> Any:
        reply = await self.request(method, **params)
        assert reply.ok, reply.error
        return reply.result

    async def event(self, within: float = 10.0) -> c.ControlEvent:
        if self.events:
            return self.events.pop(0)
        reply = c.decode_reply(await asyncio.wait_for(self.ws.recv(), within))
        assert isinstance(reply, c.ControlEvent), reply
        return reply


async def start_app(data_dir: Path, port: int = 0, **config: Any) -> OnsemblApp:
    values: dict[str, Any] = {"heartbeat_interval_s": HEARTBEAT_S, "grace_s": 5.0}
    values.update(config)
    app = OnsemblApp(AppConfig(data_dir=data_dir, port=port, **values))
    await app.start()
    return app


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    data_dir = tmp_path / "data"
    app = await start_app(data_dir)
    state = Live(app, data_dir)
    try:
        yield state
    finally:
        for agent in state.agents:
            await agent.close()
        for ws in state.clients:
            await ws.close()
        await state.app.stop()


async def submit(live: Live, agent: str, content: str = "work", **kw: Any) -> uuid.UUID:
    info = live.core.agents.by_name(agent)
    assert info is not None
    return live.core.commands.submit(content, agent_ids=[info.id], **kw).id
