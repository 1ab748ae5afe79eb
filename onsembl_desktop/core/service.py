"""The core: what the gateway calls when agents talk, and what the UI and control clients drive.

Agent messages arrive here already decoded. Reliable ones (those with ``seq``) pass through
:meth:`Core.agent_message` which drops what was already taken, hands the rest to storage and the
subscribers, and acknowledges each ``seq`` only once the writer has committed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from functools import partial
from typing import Any

from ..protocol import PROTOCOL_VERSION
from ..protocol import messages as m
from ..protocol.codec import BY_PAYLOAD, ErrorCode, ProtocolError
from ..store.retention import RetentionScheduler
from ..store.store import Store
from ..store.types import utcnow
from ..store.writer import Cursor
from ..sync.engine import SyncEngine
from .agents import AgentRegistry, AgentSession
from .audit import Audit
from .commands import CommandService, Timing
from .constraints import ConstraintProfiles
from .control import AgentControls
from .emergency import EmergencyStop
from .events import (
    EventBus,
    Notice,
    PresetsChanged,
    ProfilesChanged,
    StorageStatus,
)
from .intake import Intake
from .jsonfile import JsonFile
from .presets import Presets
from .queues import QueueControl
from .sending import Sender, SendRequest
from .state import AgentLink, CommandInfo

log = logging.getLogger("onsembl.core")


class Core:
    def __init__(
        self,
        store: Store,
        *,
        heartbeat_interval_s: float = 10.0,
        timing: Timing | None = None,
        server_version: str = "",
    ) -> None:
        self.store = store
        self.bus = EventBus()
        self.audit = Audit(store, self.bus)
        self.agents = AgentRegistry(store, self.bus, self.audit)
        self.commands = CommandService(store, self.bus, self.audit, self.agents, timing)
        # Orchestration: what the UI and the control endpoint drive (see docs/ARCHITECTURE.md).
        state_file = JsonFile(store.path.parent / "queues.json")
        self.queues = QueueControl(self.commands, self.agents, self.audit, state_file)
        self.emergency = EmergencyStop(
            self.commands, self.queues, self.agents, self.audit, self.bus
        )
        self.profiles = ConstraintProfiles(store, self.bus, self.audit)
        self.presets = Presets(store, self.bus, self.audit)
        self.control = AgentControls(self.commands, self.queues, self.agents, self.audit)
        self._sender = Sender(self.commands, self.agents, self.profiles, self.presets)
        self._intake = Intake(store, self.bus, self.audit, self.agents, self.commands)
        self._queue_state = state_file
        self.heartbeat_interval_s = heartbeat_interval_s
        self.server_version = server_version
        self._monitor: asyncio.Task[None] | None = None
        # Retention jobs, hourly (store.retention); agents connected now are never marked offline.
        self.retention = RetentionScheduler(
            store, lambda: [s.agent_id for s in self.agents.sessions()]
        )
        store.on_status(self._storage_status)
        # Sync with PostgreSQL when configured (sync.engine); idle otherwise.
        self.sync = SyncEngine(
            store,
            on_status=self.bus.publish,
            on_applied=self._sync_applied,
            version=server_version,
        )

    async def start(self) -> None:
        await self.agents.load()
        await self.commands.load()
        await self.queues.load()
        await self.profiles.load()
        await self.presets.load()
        self._monitor = asyncio.create_task(self._watch_heartbeats(), name="heartbeat-monitor")
        self.retention.start()
        self.sync.start()

    async def stop(self) -> None:
        await self.sync.stop()
        await self.retention.stop()
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        await self._queue_state.flush()
        await self.store.flush()

    # --- agent connections ------------------------------------------------------------------------

    def agent_connected(self, link: AgentLink, hello: m.AgentConnect) -> AgentSession:
        """Register an agent; sends it AGENT_WELCOME and then any work waiting for it."""
        loop = asyncio.get_running_loop()
        session = self.agents.connect(link, hello, loop.time())
        unknown = self.commands.agent_online(session, hello.commands)
        link.send(
            m.AgentWelcome(
                agent_id=session.agent_id,
                acked_seq=session.durable_seq,
                heartbeat_interval_ms=int(self.heartbeat_interval_s * 1000),
                protocol_version=min(hello.protocol_version, PROTOCOL_VERSION),
                server_version=self.server_version,
                unknown_commands=unknown,
                session=self.agents.conversation(session.agent_id, hello),
            )
        )
        log.info(
            "agent %s connected from %s (resuming after seq %d)",
            hello.name,
            link.remote,
            session.durable_seq,
        )
        self.queues.agent_online(session)
        self.commands.pump_all()
        return session

    def send(self, request: SendRequest) -> CommandInfo:
        """Send a command as the user asked (text or preset, targets, profile, limits)."""
        return self._sender.send(request)

    def agent_disconnected(self, session: AgentSession, reason: str) -> None:
        if self.agents.disconnect(session, reason):
            log.info("agent %s disconnected: %s", session.name, reason)
            self.commands.agent_offline(session.agent_id)

    def agent_message(self, session: AgentSession, envelope_id: str, payload: m.Payload) -> None:
        """Handle one decoded message of a connected agent; raises ProtocolError to reply ERROR."""
        if not session.open:
            # A connection that was replaced or timed out may still deliver what it had read;
            # its reliable messages will come again on the agent's current connection.
            return
        session.last_heard = asyncio.get_running_loop().time()
        if isinstance(payload, m.AgentHeartbeat):
            self.agents.heartbeat(session, payload)
            return
        if not isinstance(payload, m.Sequenced):
            kind = BY_PAYLOAD[type(payload)].type
            raise ProtocolError(
                ErrorCode.INVALID_MESSAGE,
                f"{kind} is not expected on a connected agent",
                ref_id=envelope_id,
                msg_type=kind,
            )
        if payload.seq <= session.received_seq:
            # Already taken (a resend after reconnect). Re-acknowledge if it is already stored.
            if payload.seq <= session.durable_seq:
                self._schedule_ack(session)
            return
        session.received_seq = payload.seq
        try:
            self._intake.take(session, envelope_id, payload)
        except ProtocolError as exc:
            self.agents.refused(session, exc.message)
            raise
        finally:
            # Advance the cursor even for refused messages, or the agent would resend them forever.
            self.store.submit(
                Cursor(
                    session.agent_id,
                    session.instance_id,
                    payload.seq,
                    partial(self._durable, session.agent_id, session.instance_id),
                )
            )

    # --- interactive terminals --------------------------------------------------------------------

    def terminal_input(self, agent_id: uuid.UUID, data: str) -> bool:
        """Keystrokes typed into the agent's terminal (TERMINAL_INPUT); False if it is offline."""
        session = self.agents.session(agent_id)
        if session is None or not data:
            return False
        session.link.send(m.TerminalInput(data=data))
        return True

    def terminal_resize(self, agent_id: uuid.UUID, cols: int, rows: int) -> bool:
        """The agent's terminal view changed size (TERMINAL_RESIZE); False if it is offline."""
        session = self.agents.session(agent_id)
        if session is None:
            return False
        session.link.send(
            m.TerminalResize(cols=max(2, min(cols, 1000)), rows=max(2, min(rows, 1000)))
        )
        return True

    # --- acknowledgements -------------------------------------------------------------------------

    def _durable(self, agent_id: uuid.UUID, instance_id: uuid.UUID, seq: Any, exc: Any) -> None:
        if exc is not None:
            return
        session = self.agents.durable(agent_id, instance_id, int(seq))
        if session is not None:
            self._schedule_ack(session)

    def _schedule_ack(self, session: AgentSession) -> None:
        # One OUTPUT_ACK per loop iteration, however many seqs a batch committed.
        if session.ack_pending:
            return
        session.ack_pending = True
        asyncio.get_running_loop().call_soon(self._send_ack, session)

    def _send_ack(self, session: AgentSession) -> None:
        session.ack_pending = False
        if session.open:
            session.link.send(m.OutputAck(seq=session.durable_seq))

    # --- heartbeats -------------------------------------------------------------------------------

    async def _watch_heartbeats(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.heartbeat_interval_s
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = loop.time()
            # However late this tick came is time the app itself was held up (a busy machine, a
            # long pause): what agents sent meanwhile may still wait unread in their sockets, so
            # it is not their silence. (Judged without this, every agent of an app that stalled
            # for a moment was cut off as "missed 3 heartbeats".)
            late = now - due
            due = now + interval
            beat = m.ServerHeartbeat(server_time=int(utcnow().timestamp() * 1000))
            for session in self.agents.stale_sessions(now, 3 * interval + late):
                log.warning("agent %s missed 3 heartbeats; marking it offline", session.name)
                session.link.close(1011, "missed 3 heartbeats")
                self.agent_disconnected(session, "missed 3 heartbeats")
            for session in self.agents.sessions():
                session.link.send(beat)

    async def _sync_applied(self, tables: set[str]) -> None:
        """Other devices' presets and profiles (or the person they belong to) arrived."""
        if tables & {"command_presets", "users"}:
            await self.presets.load()
            self.bus.publish(PresetsChanged())
        if "execution_constraints" in tables:
            await self.profiles.load()
            self.bus.publish(ProfilesChanged())

    def _storage_status(self, error: str | None) -> None:
        self.bus.publish(StorageStatus(error))
        if error:
            self.bus.publish(Notice("error", error, key="storage"))
        else:
            self.bus.publish(Notice("info", "The database is writable again.", key="storage"))
