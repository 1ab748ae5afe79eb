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
from datetime import UTC, datetime
from functools import partial
from typing import Any

from ..protocol import PROTOCOL_VERSION
from ..protocol import messages as m
from ..protocol.codec import BY_PAYLOAD, ErrorCode, ProtocolError
from ..protocol.enums import AuditEventType
from ..store import queries
from ..store.retention import RetentionScheduler
from ..store.store import Store
from ..store.types import utcnow
from ..store.writer import Cursor, OutputRow
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
    OutputReceived,
    PresetsChanged,
    ProfilesChanged,
    ReportChanged,
    SessionOutput,
    StorageStatus,
    TraceChanged,
)
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
            self._apply(session, envelope_id, payload)
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

    def _apply(self, session: AgentSession, envelope_id: str, payload: m.Sequenced) -> None:
        command_id = getattr(payload, "command_id", None)
        if (
            command_id is not None
            and not self.commands.has_run(command_id, session.agent_id)
            and not isinstance(payload, m.AgentError)
        ):
            raise ProtocolError(
                ErrorCode.UNKNOWN_COMMAND,
                f"command {command_id} is not assigned to {session.name}",
                ref_id=envelope_id,
            )
        if isinstance(payload, m.TerminalOutput):
            self._output(session, payload)
        elif isinstance(payload, m.CommandAck):
            self.commands.on_ack(session, payload)
        elif isinstance(payload, m.TraceEvent):
            self._trace(session, payload)
        elif isinstance(payload, m.UsageUpdate):
            self.commands.on_usage(session, payload)
        elif isinstance(payload, m.CommandComplete):
            self.commands.on_complete(session, payload)
        elif isinstance(payload, m.InvestigationReport):
            self._report(session, payload)
        elif isinstance(payload, m.AgentError):
            self._agent_error(session, payload)

    def _output(self, session: AgentSession, out: m.TerminalOutput) -> None:
        if out.command_id is None:
            # Interactive-session output outside a command is shown, not stored.
            self.bus.publish(SessionOutput(session.agent_id, out.data))
            return
        now_ms = int(utcnow().timestamp() * 1000)
        self.store.submit(
            OutputRow(
                queries.output_row(
                    command_id=out.command_id,
                    agent_id=session.agent_id,
                    seq=out.seq,
                    stream=out.stream_type.value,
                    data=out.data,
                    timestamp=utcnow(),
                    raw=out.raw,
                )
            )
        )
        self.bus.publish(
            OutputReceived(
                agent_id=session.agent_id,
                agent_name=session.name,
                command_id=out.command_id,
                seq=out.seq,
                data=out.data,
                stream=out.stream_type,
                timestamp_ms=now_ms,
            )
        )

    def _trace(self, session: AgentSession, event: m.TraceEvent) -> None:
        node = event.entry
        values: dict[str, Any] = {
            "id": node.id,
            "command_id": event.command_id,
            "agent_id": session.agent_id,
            "parent_id": node.parent_id,
            "type": node.type,
            "name": node.name,
            "content": node.content,
            "started_at": _from_ms(node.started_at),
            "completed_at": _from_ms(node.completed_at),
            "duration_ms": node.duration_ms,
            "tokens_used": node.tokens_used,
            "error": node.error,
            "metadata": node.metadata,
            "created_at": utcnow(),
        }
        self.store.call(queries.upsert_trace, values)
        self.bus.publish(TraceChanged(event.command_id, session.agent_id, node.id))

    def _report(self, session: AgentSession, report: m.InvestigationReport) -> None:
        now = utcnow()
        values: dict[str, Any] = {
            "id": report.report_id,
            "command_id": report.command_id,
            "agent_id": session.agent_id,
            "title": report.title[:500],
            "summary": report.summary,
            "status": report.status,
            "content": m_to_dict(report.content),
            "created_at": now,
            "updated_at": now,
        }
        if report.status.value == "COMPLETE":
            values["completed_at"] = now
        self.store.call(queries.upsert_report, values)
        self.bus.publish(ReportChanged(report.report_id, report.command_id))

    def _agent_error(self, session: AgentSession, err: m.AgentError) -> None:
        self.commands.on_agent_error(session, err)
        self.audit.record(
            AuditEventType.AGENT_ERROR,
            agent_id=session.agent_id,
            command_id=err.command_id,
            by_user=False,
            code=err.code,
            message=err.message,
            fatal=err.fatal,
        )
        self.bus.publish(Notice("error", f"{session.name}: {err.message}"))

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
        while True:
            await asyncio.sleep(self.heartbeat_interval_s)
            now = loop.time()
            beat = m.ServerHeartbeat(server_time=int(utcnow().timestamp() * 1000))
            for session in self.agents.stale_sessions(now, 3 * self.heartbeat_interval_s):
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


def _from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def m_to_dict(struct: m.Payload) -> dict[str, Any]:
    import msgspec

    result = msgspec.to_builtins(struct)
    assert isinstance(result, dict)
    return result
