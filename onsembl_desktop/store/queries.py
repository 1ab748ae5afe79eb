"""Reads and writes the core needs, as plain functions of a Connection.

Writes run on the writer thread (wrapped in ``Apply``); reads on the store's read threads. Keeping
them as functions of a Connection keeps them testable against a real SQLite file with no loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    and_,
    delete,
    func,
    insert,
    literal_column,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..protocol.enums import AgentStatus, AuditEventType, CommandStatus, QueueStatus
from .models import (
    Agent,
    AgentStream,
    AuditLog,
    Command,
    CommandPreset,
    CommandQueueEntry,
    CommandRun,
    ExecutionConstraint,
    InvestigationReport,
    TerminalOutput,
    TraceEntry,
    table_of,
)
from .types import utcnow, uuid7

# --- agents --------------------------------------------------------------------------------------

# This data dir's agents: others are another app's, pulled by sync (``store.outbox``), shown in
# history but never connected, queued for, or marked offline here.
LOCAL_DEVICE: ColumnElement[Any] = literal_column(
    "(SELECT value FROM sync_state WHERE key = 'device_id')"
)


def local_agents() -> Any:
    return select(Agent.id).where(Agent.device_id == LOCAL_DEVICE)


def load_agents(conn: Connection) -> Sequence[Row[Any]]:
    return conn.execute(
        select(Agent).where(Agent.device_id == LOCAL_DEVICE).order_by(Agent.name)
    ).all()


def upsert_agent(conn: Connection, agent_id: uuid.UUID, values: dict[str, Any]) -> None:
    now = utcnow()
    table = table_of(Agent)
    updated = conn.execute(
        update(table).where(table.c.id == agent_id).values(**values, updated_at=now)
    ).rowcount
    if not updated:
        conn.execute(insert(table).values(id=agent_id, created_at=now, updated_at=now, **values))


def mark_all_agents_offline(conn: Connection) -> int:
    """At start-up nobody is connected yet, whatever the last run left behind."""
    now = utcnow()
    return conn.execute(
        update(Agent)
        .where(Agent.status != AgentStatus.OFFLINE, Agent.device_id == LOCAL_DEVICE)
        .values(status=AgentStatus.OFFLINE, disconnected_at=now, updated_at=now)
    ).rowcount


def load_cursors(conn: Connection) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    rows = conn.execute(
        select(AgentStream.agent_id, AgentStream.instance_id, AgentStream.acked_seq)
    )
    return {(r.agent_id, r.instance_id): r.acked_seq for r in rows}


def forget_other_instances(conn: Connection, agent_id: uuid.UUID, instance_id: uuid.UUID) -> None:
    conn.execute(
        delete(AgentStream).where(
            AgentStream.agent_id == agent_id, AgentStream.instance_id != instance_id
        )
    )


# --- commands ------------------------------------------------------------------------------------


def insert_command(conn: Connection, values: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    conn.execute(insert(Command).values(**values))
    if runs:
        conn.execute(insert(CommandRun), runs)


def update_command(conn: Connection, command_id: uuid.UUID, values: dict[str, Any]) -> None:
    conn.execute(update(Command).where(Command.id == command_id).values(**values))


def update_run(
    conn: Connection, command_id: uuid.UUID, agent_id: uuid.UUID, values: dict[str, Any]
) -> None:
    conn.execute(
        update(CommandRun)
        .where(CommandRun.command_id == command_id, CommandRun.agent_id == agent_id)
        .values(**values, updated_at=utcnow())
    )


@dataclass(frozen=True, slots=True)
class OpenWork:
    """Commands not yet finished, with their runs and queue entries, for rebuilding queues."""

    commands: list[Row[Any]]
    runs: list[Row[Any]]
    queue: list[Row[Any]]


def load_open_work(conn: Connection) -> OpenWork:
    """This app's unfinished commands: another app's (pulled by sync) run on its own agents."""
    final = [CommandStatus.COMPLETED, CommandStatus.FAILED, CommandStatus.CANCELLED]
    runs_of = select(CommandRun.id).where(CommandRun.command_id == Command.id)
    ours = runs_of.where(CommandRun.agent_id.in_(local_agents())).exists()
    commands = conn.execute(
        select(Command)
        .where(Command.status.not_in(final), ours | ~runs_of.exists())
        .order_by(Command.created_at)
    ).all()
    ids = [c.id for c in commands]
    runs: list[Row[Any]] = []
    queue: list[Row[Any]] = []
    for chunk in _chunks(ids, 500):
        runs.extend(conn.execute(select(CommandRun).where(CommandRun.command_id.in_(chunk))).all())
        queue.extend(
            conn.execute(
                select(CommandQueueEntry).where(CommandQueueEntry.command_id.in_(chunk))
            ).all()
        )
    return OpenWork(list(commands), runs, queue)


def get_command(conn: Connection, command_id: uuid.UUID) -> Row[Any] | None:
    return conn.execute(select(Command).where(Command.id == command_id)).first()


def get_runs(conn: Connection, command_id: uuid.UUID) -> list[Row[Any]]:
    rows = conn.execute(
        select(CommandRun, Agent.name.label("agent_name"))
        .join(Agent, Agent.id == CommandRun.agent_id)
        .where(CommandRun.command_id == command_id)
        .order_by(Agent.name)
    )
    return cast("list[Row[Any]]", list(rows.all()))


def get_outputs(
    conn: Connection,
    command_id: uuid.UUID,
    *,
    agent_id: uuid.UUID | None = None,
    after_seq: int = 0,
    limit: int | None = None,
) -> list[Row[Any]]:
    query = (
        select(
            TerminalOutput.agent_id,
            TerminalOutput.sequence,
            TerminalOutput.stream_type,
            TerminalOutput.content,
            TerminalOutput.timestamp,
        )
        .where(TerminalOutput.command_id == command_id, TerminalOutput.sequence > after_seq)
        .order_by(TerminalOutput.sequence, TerminalOutput.timestamp)
    )
    if agent_id is not None:
        query = query.where(TerminalOutput.agent_id == agent_id)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query))


def recent_commands(conn: Connection, limit: int = 200) -> list[Row[Any]]:
    return list(conn.execute(select(Command).order_by(Command.created_at.desc()).limit(limit)))


@dataclass(frozen=True, slots=True)
class IdMatch:
    """A command (or report) whose id starts with a prefix: its id, content (a report's title)
    and agents' names."""

    id: uuid.UUID
    content: str
    agents: list[str]


def commands_with_id_prefix(
    conn: Connection, digits: str, limit: int = 5
) -> tuple[int, list[IdMatch]]:
    """How many commands have an id whose hex starts with ``digits`` (lowercase hex, no dashes),
    and the newest ``limit`` of them.

    SQLite keeps a UUID as its 32 lowercase hex digits, so the ids starting with ``digits`` are
    those in ``[digits, digits + 'g')``: a range over the primary key's index, never a scan.
    """
    as_text = type_coerce(Command.id, String)  # compared as stored, no CAST to defeat the index
    in_range = and_(as_text >= digits, as_text < digits + "g")
    count = conn.execute(select(func.count()).select_from(Command).where(in_range)).scalar_one()
    rows = conn.execute(
        select(Command.id, Command.content)
        .where(in_range)
        .order_by(Command.created_at.desc())
        .limit(limit)
    ).all()
    return count, [
        IdMatch(r.id, r.content, [run.agent_name for run in get_runs(conn, r.id)]) for r in rows
    ]


# --- queue ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRow:
    entry_id: uuid.UUID
    command_id: uuid.UUID
    priority: int
    enqueued_at: datetime


def sync_waiting(conn: Connection, agent_id: uuid.UUID, entries: list[QueueRow]) -> None:
    """Make the agent's WAITING entries exactly ``entries``, at positions 1..n in that order."""
    table = table_of(CommandQueueEntry)
    keep = [e.entry_id for e in entries]
    conn.execute(
        delete(table).where(
            table.c.agent_id == agent_id,
            table.c.status == QueueStatus.WAITING,
            table.c.id.not_in(keep) if keep else true(),
        )
    )
    # Move everyone out of the way first: (agent, position) is unique among WAITING rows.
    conn.execute(
        update(table)
        .where(table.c.agent_id == agent_id, table.c.status == QueueStatus.WAITING)
        .values(position=table.c.position + 1_000_000)
    )
    existing = set(
        conn.execute(select(table.c.id).where(table.c.id.in_(keep))).scalars().all() if keep else ()
    )
    for position, e in enumerate(entries, start=1):
        if e.entry_id in existing:
            conn.execute(
                update(table)
                .where(table.c.id == e.entry_id)
                .values(position=position, priority=e.priority, status=QueueStatus.WAITING)
            )
        else:
            conn.execute(
                insert(table).values(
                    id=e.entry_id,
                    command_id=e.command_id,
                    agent_id=agent_id,
                    position=position,
                    priority=e.priority,
                    status=QueueStatus.WAITING,
                    enqueued_at=e.enqueued_at,
                )
            )


def start_queue_entry(
    conn: Connection, entry: QueueRow, agent_id: uuid.UUID, started_at: datetime
) -> None:
    """The entry is now PROCESSING (positions only matter among WAITING rows)."""
    table = table_of(CommandQueueEntry)
    values = {"status": QueueStatus.PROCESSING, "started_at": started_at, "position": 1}
    if not conn.execute(
        update(table).where(table.c.id == entry.entry_id).values(**values)
    ).rowcount:
        conn.execute(
            insert(table).values(
                id=entry.entry_id,
                command_id=entry.command_id,
                agent_id=agent_id,
                priority=entry.priority,
                enqueued_at=entry.enqueued_at,
                **values,
            )
        )


def remove_queue_entry(conn: Connection, entry_id: uuid.UUID) -> None:
    conn.execute(delete(CommandQueueEntry).where(CommandQueueEntry.id == entry_id))


def mark_interrupt(conn: Connection, entry_id: uuid.UUID, reason: str) -> None:
    conn.execute(
        update(CommandQueueEntry)
        .where(CommandQueueEntry.id == entry_id)
        .values(interrupt_requested=True, interrupt_reason=reason)
    )


# --- traces, reports, output ----------------------------------------------------------------------


def upsert_trace(conn: Connection, values: dict[str, Any]) -> str | None:
    """Insert a trace node, or update it when the agent sends it again (e.g. on completion).

    Only within its run: returns why not (and writes nothing) when the id, or the parent's, is
    a row of another command or agent (core.intake); None once written.
    """
    table = table_of(TraceEntry)
    refusal = _other_runs(conn, table, values, values["id"], "trace entry") or _other_runs(
        conn, table, values, values.get("parent_id"), "parent trace entry"
    )
    if refusal is not None:
        return refusal
    changes = {
        k: v for k, v in values.items() if k not in ("id", "created_at", "command_id", "agent_id")
    }
    conn.execute(
        sqlite_insert(table)
        .values(**values)
        .on_conflict_do_update(index_elements=[table.c.id], set_=changes)
    )
    return None


def upsert_report(conn: Connection, values: dict[str, Any]) -> str | None:
    """Insert or update a report, only within its run (as :func:`upsert_trace`)."""
    table = table_of(InvestigationReport)
    refusal = _other_runs(conn, table, values, values["id"], "report")
    if refusal is not None:
        return refusal
    report_id = values["id"]
    changes = {
        k: v for k, v in values.items() if k not in ("id", "created_at", "command_id", "agent_id")
    }
    if not conn.execute(update(table).where(table.c.id == report_id).values(**changes)).rowcount:
        conn.execute(insert(table).values(**values))
    return None


def update_report(conn: Connection, report_id: uuid.UUID, values: dict[str, Any]) -> None:
    """The user's edit of a stored report (title, summary, status, content)."""
    table = table_of(InvestigationReport)
    conn.execute(update(table).where(table.c.id == report_id).values(**values))


def _other_runs(
    conn: Connection, table: Any, values: dict[str, Any], row_id: uuid.UUID | None, what: str
) -> str | None:
    """Why ``row_id`` may not be written by this run: it is a row of another command or agent."""
    if row_id is None:
        return None
    owner = conn.execute(
        select(table.c.command_id, table.c.agent_id).where(table.c.id == row_id)
    ).first()
    if owner is None or (owner.command_id, owner.agent_id) == (
        values["command_id"],
        values["agent_id"],
    ):
        return None
    return f"{what} {row_id} belongs to another run (command or agent): refused, not stored"


def output_row(
    *,
    command_id: uuid.UUID,
    agent_id: uuid.UUID,
    seq: int,
    stream: str,
    data: str,
    timestamp: datetime,
    raw: str | None = None,
) -> dict[str, Any]:
    return {
        # Time-ordered: appends to the primary-key index instead of scattering (store.types.uuid7).
        "id": uuid7(),
        "command_id": command_id,
        "agent_id": agent_id,
        "stream_type": stream,
        "content": data,
        "ansi_codes": "\x1b" in data,
        "timestamp": timestamp,
        "sequence": seq,
        "created_at": timestamp,
        "raw": raw,
    }


# --- audit ---------------------------------------------------------------------------------------


def insert_audit(
    conn: Connection,
    event_type: AuditEventType,
    *,
    user_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    command_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    created_at: datetime | None = None,
) -> None:
    conn.execute(
        insert(AuditLog).values(
            id=uuid.uuid4(),
            event_type=event_type,
            user_id=user_id,
            agent_id=agent_id,
            command_id=command_id,
            details=details or {},
            ip_address=ip_address,
            user_agent=user_agent,
            created_at=created_at or utcnow(),
        )
    )


def audit_rows(
    conn: Connection,
    *,
    event_type: AuditEventType | None = None,
    since: datetime | None = None,
    agent_id: uuid.UUID | None = None,
    command_id: uuid.UUID | None = None,
    limit: int = 1000,
) -> list[Row[Any]]:
    query = select(AuditLog).order_by(AuditLog.created_at.desc()).limit(limit)
    conditions = []
    if event_type is not None:
        conditions.append(AuditLog.event_type == event_type)
    if since is not None:
        conditions.append(AuditLog.created_at >= since)
    if agent_id is not None:
        conditions.append(AuditLog.agent_id == agent_id)
    if command_id is not None:
        conditions.append(AuditLog.command_id == command_id)
    if conditions:
        query = query.where(and_(*conditions))
    return list(conn.execute(query))


def _chunks(items: list[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- execution-constraint profiles (core.constraints) ---------------------------------------------


def load_profiles(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(ExecutionConstraint).order_by(ExecutionConstraint.name)))


def get_profile(conn: Connection, profile_id: uuid.UUID) -> Row[Any] | None:
    return conn.execute(
        select(ExecutionConstraint).where(ExecutionConstraint.id == profile_id)
    ).first()


def insert_profile(conn: Connection, values: dict[str, Any]) -> Row[Any] | None:
    """Insert a profile; with ``is_default`` it takes the default from any other (one default)."""
    if values.get("is_default"):
        _clear_default_profile(conn)
    conn.execute(insert(ExecutionConstraint).values(**values))
    return get_profile(conn, values["id"])


def update_profile(
    conn: Connection, profile_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any] | None:
    if values.get("is_default"):
        _clear_default_profile(conn, but=profile_id)
    conn.execute(
        update(ExecutionConstraint)
        .where(ExecutionConstraint.id == profile_id)
        .values(**values, updated_at=utcnow())
    )
    return get_profile(conn, profile_id)


def delete_profile(conn: Connection, profile_id: uuid.UUID) -> int:
    return conn.execute(
        delete(ExecutionConstraint).where(ExecutionConstraint.id == profile_id)
    ).rowcount


def set_default_profile(conn: Connection, profile_id: uuid.UUID | None) -> None:
    """Make ``profile_id`` the one default (None: no default at all)."""
    _clear_default_profile(conn, but=profile_id)
    if profile_id is not None:
        conn.execute(
            update(ExecutionConstraint)
            .where(ExecutionConstraint.id == profile_id)
            .values(is_default=True, updated_at=utcnow())
        )


def _clear_default_profile(conn: Connection, but: uuid.UUID | None = None) -> None:
    # Cleared first: the partial unique index allows one default at any moment.
    query = update(ExecutionConstraint).where(ExecutionConstraint.is_default.is_(True))
    if but is not None:
        query = query.where(ExecutionConstraint.id != but)
    conn.execute(query.values(is_default=False, updated_at=utcnow()))


# --- command presets (core.presets) ---------------------------------------------------------------


def load_presets(conn: Connection, user_id: uuid.UUID) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(CommandPreset)
            .where(CommandPreset.user_id == user_id)
            .order_by(CommandPreset.name)
        )
    )


def get_preset(conn: Connection, preset_id: uuid.UUID) -> Row[Any] | None:
    return conn.execute(select(CommandPreset).where(CommandPreset.id == preset_id)).first()


def insert_preset(conn: Connection, values: dict[str, Any]) -> Row[Any] | None:
    conn.execute(insert(CommandPreset).values(**values))
    return get_preset(conn, values["id"])


def update_preset(
    conn: Connection, preset_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any] | None:
    conn.execute(
        update(CommandPreset)
        .where(CommandPreset.id == preset_id)
        .values(**values, updated_at=utcnow())
    )
    return get_preset(conn, preset_id)


def delete_preset(conn: Connection, preset_id: uuid.UUID) -> int:
    return conn.execute(delete(CommandPreset).where(CommandPreset.id == preset_id)).rowcount


def record_preset_use(conn: Connection, preset_id: uuid.UUID, used_at: datetime) -> None:
    conn.execute(
        update(CommandPreset)
        .where(CommandPreset.id == preset_id)
        .values(usage_count=CommandPreset.usage_count + 1, last_used_at=used_at)
    )


# --- trace trees and reports (ctl traces / reports) -----------------------------------------------


def command_traces(conn: Connection, command_id: uuid.UUID) -> list[Row[Any]]:
    """Every TraceEntry of a command, oldest first (a parent starts no later than its children),
    each with its agent's name (``agent_name``: each agent the command ran on has its tree)."""
    return list(
        conn.execute(
            select(TraceEntry, Agent.name.label("agent_name"))
            .join(Agent, Agent.id == TraceEntry.agent_id)
            .where(TraceEntry.command_id == command_id)
            .order_by(TraceEntry.started_at, TraceEntry.created_at)
        )
    )


def list_reports(
    conn: Connection, *, command_id: uuid.UUID | None = None, limit: int = 100
) -> list[Row[Any]]:
    """Reports, most recently updated first, each with its agent's name (``agent_name``)."""
    query = (
        select(InvestigationReport, Agent.name.label("agent_name"))
        .join(Agent, Agent.id == InvestigationReport.agent_id)
        .order_by(InvestigationReport.updated_at.desc())
        .limit(limit)
    )
    if command_id is not None:
        query = query.where(InvestigationReport.command_id == command_id)
    return list(conn.execute(query))


def reports_with_id_prefix(
    conn: Connection, digits: str, limit: int = 5
) -> tuple[int, list[IdMatch]]:
    """How many reports have an id starting with ``digits`` (lowercase hex, no dashes), and the
    most recently updated ``limit`` of them (``content``: the title; ``agents``: its agent):
    a range over the primary key, as :func:`commands_with_id_prefix`."""
    as_text = type_coerce(InvestigationReport.id, String)
    in_range = and_(as_text >= digits, as_text < digits + "g")
    count = conn.execute(
        select(func.count()).select_from(InvestigationReport).where(in_range)
    ).scalar_one()
    rows = conn.execute(
        select(InvestigationReport.id, InvestigationReport.title, Agent.name)
        .join(Agent, Agent.id == InvestigationReport.agent_id)
        .where(in_range)
        .order_by(InvestigationReport.updated_at.desc())
        .limit(limit)
    ).all()
    return count, [IdMatch(r.id, r.title, [r.name]) for r in rows]


def get_report(conn: Connection, report_id: uuid.UUID) -> Row[Any] | None:
    row = conn.execute(
        select(InvestigationReport, Agent.name.label("agent_name"))
        .join(Agent, Agent.id == InvestigationReport.agent_id)
        .where(InvestigationReport.id == report_id)
    ).first()
    return cast("Row[Any] | None", row)


_ENDED = (CommandStatus.COMPLETED, CommandStatus.FAILED, CommandStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class TokenSums:
    input: int = 0
    output: int = 0
    cached: int = 0
    total: int = 0
    cost_usd: float | None = None


def _sums(row: Any) -> TokenSums:
    return TokenSums(
        int(row.input or 0),
        int(row.output or 0),
        int(row.cached or 0),
        int(row.total or 0),
        float(row.cost) if row.cost is not None else None,
    )


def _token_columns() -> list[Any]:
    return [
        func.sum(CommandRun.input_tokens).label("input"),
        func.sum(CommandRun.output_tokens).label("output"),
        func.sum(CommandRun.cached_tokens).label("cached"),
        func.sum(CommandRun.total_tokens).label("total"),
        func.sum(CommandRun.cost_usd).label("cost"),
    ]


def agent_token_totals(conn: Connection) -> dict[uuid.UUID, TokenSums]:
    """Each agent's tokens and cost over its ended runs (running ones count as they report)."""
    rows = conn.execute(
        select(CommandRun.agent_id, *_token_columns())
        .where(CommandRun.status.in_(_ENDED))
        .group_by(CommandRun.agent_id)
    )
    return {r.agent_id: _sums(r) for r in rows}


def last_sessions(conn: Connection) -> dict[uuid.UUID, tuple[str, TokenSums]]:
    """Each agent's last CLI conversation (the session of its latest ended run that had one)
    and the tokens counted on it."""
    latest = (
        select(
            CommandRun.agent_id,
            CommandRun.session_id,
            func.row_number()
            .over(
                partition_by=CommandRun.agent_id,
                order_by=(CommandRun.completed_at.desc(), CommandRun.id.desc()),
            )
            .label("n"),
        )
        .where(CommandRun.session_id.is_not(None), CommandRun.status.in_(_ENDED))
        .subquery()
    )
    out: dict[uuid.UUID, tuple[str, TokenSums]] = {}
    for agent_id, session_id in conn.execute(
        select(latest.c.agent_id, latest.c.session_id).where(latest.c.n == 1)
    ):
        row = conn.execute(
            select(*_token_columns()).where(
                CommandRun.agent_id == agent_id, CommandRun.session_id == session_id
            )
        ).one()
        out[agent_id] = (session_id, _sums(row))
    return out
