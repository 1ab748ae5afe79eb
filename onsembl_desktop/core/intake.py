"""What a connected agent reports about its runs, taken only when it is about a run of its own.

A reliable message that names a command (output, trace entries, usage, a report, an error, the
acknowledgement and the completion) must name one of *this agent's* runs, one it has not said
was over (its COMMAND_COMPLETE); a row it names (a trace entry, the entry's parent, a report)
must be one of that run's rows, or a new one. Anything else is refused with an ERROR naming the
message, counted on the agent (``AgentInfo.refused``, ``ctl agents --json``: ``refused``) and
not stored: one agent cannot overwrite, extend or take over another agent's records, nor add to
a run after it said it was over.

Rows the agent names exist in the database only (trace trees are too large to hold), so whether
an id belongs to another run is decided by the store in the write itself
(``queries.upsert_trace`` / ``upsert_report`` return why they refused), and the refusal is sent
once that write is done.

Row ids come from the agent. From protocol 2 on, it derives them from the run
(``COMMAND_REQUEST.runId``, the run's random id, which only that agent is told); an agent of
protocol 1 derives them from the command alone, so the app moves them into the run's own
namespace (:func:`scoped`) before storing them: a command sent to two such agents also keeps two
trace trees and two reports.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import msgspec

from ..protocol import messages as m
from ..protocol.codec import BY_PAYLOAD, ErrorCode, ProtocolError
from ..protocol.enums import AuditEventType
from ..store import queries
from ..store.store import Store
from ..store.types import utcnow
from ..store.writer import OutputRow
from .agents import AgentRegistry, AgentSession
from .audit import Audit
from .commands import CommandService
from .events import EventBus, Notice, OutputReceived, ReportChanged, SessionOutput, TraceChanged
from .model import Run

log = logging.getLogger("onsembl.core.intake")

# The protocol version from which row ids arrive scoped to the run (protocol/version.py).
RUN_SCOPED_IDS = 2


def scoped(run: Run, row_id: uuid.UUID) -> uuid.UUID:
    """The id a protocol-1 agent's row id stands for in its run (a stable, private mapping)."""
    return uuid.uuid5(run.id, str(row_id))


class Intake:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        audit: Audit,
        agents: AgentRegistry,
        commands: CommandService,
    ) -> None:
        self._store = store
        self._bus = bus
        self._audit = audit
        self._agents = agents
        self._commands = commands

    def take(self, session: AgentSession, envelope_id: str, payload: m.Sequenced) -> None:
        """Check a reliable message against the agent's runs and hand it on; raises
        ProtocolError (which the gateway answers with an ERROR) for one that is refused."""
        command_id: uuid.UUID | None = getattr(payload, "command_id", None)
        run = None if command_id is None else self._run(session, envelope_id, payload, command_id)
        if isinstance(payload, m.TerminalOutput):
            self._output(session, payload)
        elif isinstance(payload, m.CommandAck):
            self._commands.on_ack(session, payload)
        elif isinstance(payload, m.TraceEvent):
            assert run is not None
            self._trace(session, envelope_id, run, payload)
        elif isinstance(payload, m.UsageUpdate):
            self._commands.on_usage(session, payload)
        elif isinstance(payload, m.CommandComplete):
            assert run is not None
            run.agent_done = True
            self._commands.on_complete(session, payload)
        elif isinstance(payload, m.InvestigationReport):
            assert run is not None
            self._report(session, envelope_id, run, payload)
        elif isinstance(payload, m.AgentError):
            self._agent_error(session, payload)

    def _run(
        self, session: AgentSession, envelope_id: str, payload: m.Sequenced, command_id: uuid.UUID
    ) -> Run:
        """The agent's run of ``command_id``, if the agent may still report on it."""
        run = self._commands.find_run(command_id, session.agent_id)
        kind = BY_PAYLOAD[type(payload)].type
        if run is None:
            raise ProtocolError(
                ErrorCode.UNKNOWN_COMMAND,
                f"command {command_id} is not assigned to {session.name}: {kind} refused",
                ref_id=envelope_id,
            )
        if run.agent_done:
            raise ProtocolError(
                ErrorCode.UNKNOWN_COMMAND,
                f"command {command_id} is over on {session.name} (it sent COMMAND_COMPLETE): "
                f"{kind} refused, not stored",
                ref_id=envelope_id,
            )
        return run

    # --- what is taken ----------------------------------------------------------------------------

    def _output(self, session: AgentSession, out: m.TerminalOutput) -> None:
        if out.command_id is None:
            # Interactive-session output outside a command is shown, not stored.
            self._bus.publish(SessionOutput(session.agent_id, out.data))
            return
        now = utcnow()
        self._store.submit(
            OutputRow(
                queries.output_row(
                    command_id=out.command_id,
                    agent_id=session.agent_id,
                    seq=out.seq,
                    stream=out.stream_type.value,
                    data=out.data,
                    timestamp=now,
                    raw=out.raw,
                )
            )
        )
        self._bus.publish(
            OutputReceived(
                agent_id=session.agent_id,
                agent_name=session.name,
                command_id=out.command_id,
                seq=out.seq,
                data=out.data,
                stream=out.stream_type,
                timestamp_ms=int(now.timestamp() * 1000),
            )
        )

    def _trace(
        self, session: AgentSession, envelope_id: str, run: Run, event: m.TraceEvent
    ) -> None:
        node = event.entry
        entry_id, parent_id = node.id, node.parent_id
        if session.protocol_version < RUN_SCOPED_IDS:
            entry_id = scoped(run, entry_id)
            parent_id = None if parent_id is None else scoped(run, parent_id)
        values: dict[str, Any] = {
            "id": entry_id,
            "command_id": event.command_id,
            "agent_id": session.agent_id,
            "parent_id": parent_id,
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
        changed = TraceChanged(event.command_id, session.agent_id, entry_id)
        self._store.write(
            partial(queries.upsert_trace, values=values),
            partial(self._stored, session, envelope_id, changed),
        )

    def _report(
        self, session: AgentSession, envelope_id: str, run: Run, report: m.InvestigationReport
    ) -> None:
        report_id = report.report_id
        if session.protocol_version < RUN_SCOPED_IDS:
            report_id = scoped(run, report_id)
        now = utcnow()
        values: dict[str, Any] = {
            "id": report_id,
            "command_id": report.command_id,
            "agent_id": session.agent_id,
            "title": report.title[:500],
            "summary": report.summary,
            "status": report.status,
            "content": msgspec.to_builtins(report.content),
            "created_at": now,
            "updated_at": now,
        }
        if report.status.value == "COMPLETE":
            values["completed_at"] = now
        self._store.write(
            partial(queries.upsert_report, values=values),
            partial(
                self._stored, session, envelope_id, ReportChanged(report_id, report.command_id)
            ),
        )

    def _agent_error(self, session: AgentSession, err: m.AgentError) -> None:
        self._commands.on_agent_error(session, err)
        self._audit.record(
            AuditEventType.AGENT_ERROR,
            agent_id=session.agent_id,
            command_id=err.command_id,
            by_user=False,
            code=err.code,
            message=err.message,
            fatal=err.fatal,
        )
        self._bus.publish(Notice("error", f"{session.name}: {err.message}"))

    def _stored(
        self,
        session: AgentSession,
        envelope_id: str,
        changed: TraceChanged | ReportChanged,
        refusal: str | None,
        exc: BaseException | None,
    ) -> None:
        """After the write: publish the change, or refuse the message that asked for it."""
        if exc is None and refusal is None:
            self._bus.publish(changed)
            return
        why = refusal or f"not stored: {exc}"
        self._agents.refused(session, why)
        if session.open:
            code = ErrorCode.FORBIDDEN if refusal else ErrorCode.INVALID_MESSAGE
            session.link.send(m.Error(code=code.value, message=why, ref_id=envelope_id))


def _from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
