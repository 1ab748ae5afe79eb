"""Database reads the window's views need, as plain functions of a Connection (Qt-free).

They run on the store's read threads (``Store.read``), never on the loop. Each returns plain
values (rows, dataclasses) so the views can keep them without holding a connection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, cast, func, or_, select

from ...core.state import Tokens, stored_tokens
from ...protocol.enums import CommandStatus, ReportStatus
from ...store.models import (
    Agent,
    AuditLog,
    Command,
    CommandRun,
    InvestigationReport,
    TerminalOutput,
    TraceEntry,
)

FINAL = (CommandStatus.COMPLETED, CommandStatus.FAILED, CommandStatus.CANCELLED)


def startup(
    conn: Connection, *, open_commands: set[uuid.UUID], history: int = 200
) -> tuple[dict[uuid.UUID, Tokens], set[tuple[uuid.UUID, uuid.UUID]], list[str]]:
    """Tokens of finished runs per agent, which runs of open commands they include, and the
    recent command texts (oldest first) for the command bar's history."""
    totals: dict[uuid.UUID, Tokens] = {}
    rows = conn.execute(
        select(
            CommandRun.agent_id,
            Agent.type,
            func.sum(CommandRun.input_tokens),
            func.sum(CommandRun.output_tokens),
            func.sum(CommandRun.cached_tokens),
            func.sum(CommandRun.total_tokens),
            func.sum(CommandRun.cost_usd),
        )
        .join(Agent, Agent.id == CommandRun.agent_id)
        .where(CommandRun.status.in_(FINAL))
        .group_by(CommandRun.agent_id, Agent.type)
    )
    for agent_id, agent_type, i, o, c, t, cost in rows:
        totals[agent_id] = stored_tokens(
            agent_type, int(i or 0), int(o or 0), int(c or 0), int(t or 0), cost
        )
    counted: set[tuple[uuid.UUID, uuid.UUID]] = set()
    if open_commands:
        for command_id, agent_id in conn.execute(
            select(CommandRun.command_id, CommandRun.agent_id).where(
                CommandRun.command_id.in_(list(open_commands)), CommandRun.status.in_(FINAL)
            )
        ):
            counted.add((command_id, agent_id))
    texts = list(
        conn.execute(
            select(Command.content).order_by(Command.created_at.desc()).limit(history)
        ).scalars()
    )
    texts.reverse()
    return totals, counted, texts


# --- traces --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentShare:
    """One agent's part of a traced command: its own entries, and its run's tokens and time."""

    agent_id: uuid.UUID
    agent: str
    entries: int
    tokens: Tokens
    duration_ms: int


@dataclass(frozen=True, slots=True)
class TracedCommand:
    """A command with traces. Its tokens and run time are its runs' — what its agents reported
    and the app timed, the figures every view shows for it — not the trace's own sums."""

    id: uuid.UUID
    content: str
    status: CommandStatus
    created_at: datetime
    agents: str
    entries: int
    tokens: Tokens
    duration_ms: int
    shares: tuple[AgentShare, ...] = ()  # the agents that traced it (a broadcast's others did not)


def traced_commands(
    conn: Connection, *, agent_id: uuid.UUID | None = None, limit: int = 300
) -> list[TracedCommand]:
    """Commands that have traces, newest first, with their entry counts and their runs' tokens
    and time."""
    counts = (
        select(
            TraceEntry.command_id.label("command_id"), func.count(TraceEntry.id).label("entries")
        )
        .group_by(TraceEntry.command_id)
        .subquery()
    )
    query = (
        select(Command.__table__, counts.c.entries)
        .join(counts, counts.c.command_id == Command.id)
        .order_by(Command.created_at.desc(), Command.id.desc())
        .limit(limit)
    )
    if agent_id is not None:
        query = query.where(
            select(CommandRun.id)
            .where(CommandRun.command_id == Command.id, CommandRun.agent_id == agent_id)
            .exists()
        )
    out = []
    rows = list(conn.execute(query))
    runs = _runs_of(conn, [r.id for r in rows])
    shares = _agent_shares(conn, [r.id for r in rows], runs)
    for c in rows:
        mine = runs.get(c.id, [])
        tokens = sum((r.tokens for r in mine), Tokens())
        out.append(
            TracedCommand(
                c.id,
                c.content,
                c.status,
                c.created_at,
                ", ".join(r.agent for r in mine),
                int(c.entries),
                tokens,
                _span_ms(c.started_at, c.completed_at),
                tuple(shares.get(c.id, ())),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class RunFigures:
    """A command run's agent, tokens and time (the one source of a command's figures)."""

    agent_id: uuid.UUID
    agent: str
    tokens: Tokens
    duration_ms: int


def _span_ms(started: datetime | None, completed: datetime | None) -> int:
    if started is None or completed is None:
        return 0
    return int((completed - started).total_seconds() * 1000)


def _runs_of(conn: Connection, command_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[RunFigures]]:
    """Each command's runs, by agent name."""
    out: dict[uuid.UUID, list[RunFigures]] = {}
    r = CommandRun
    for i in range(0, len(command_ids), 500):
        chunk = command_ids[i : i + 500]
        query = (
            select(
                r.command_id,
                r.agent_id,
                Agent.name,
                r.input_tokens,
                r.output_tokens,
                r.cached_tokens,
                r.total_tokens,
                r.cost_usd,
                r.started_at,
                r.completed_at,
            )
            .join(Agent, Agent.id == r.agent_id)
            .where(r.command_id.in_(chunk))
            .order_by(Agent.name)
        )
        for row in conn.execute(query):
            tokens = Tokens(
                int(row.input_tokens or 0),
                int(row.output_tokens or 0),
                int(row.cached_tokens or 0),
                int(row.total_tokens or 0),
                row.cost_usd,
            )
            figures = RunFigures(
                row.agent_id, row.name, tokens, _span_ms(row.started_at, row.completed_at)
            )
            out.setdefault(row.command_id, []).append(figures)
    return out


def _agent_shares(
    conn: Connection,
    command_ids: list[uuid.UUID],
    runs: dict[uuid.UUID, list[RunFigures]],
) -> dict[uuid.UUID, list[AgentShare]]:
    """Per command, each tracing agent's entries, with its run's tokens and time."""
    out: dict[uuid.UUID, list[AgentShare]] = {}
    for i in range(0, len(command_ids), 500):
        chunk = command_ids[i : i + 500]
        query = (
            select(
                TraceEntry.command_id, TraceEntry.agent_id, Agent.name, func.count(TraceEntry.id)
            )
            .join(Agent, Agent.id == TraceEntry.agent_id)
            .where(TraceEntry.command_id.in_(chunk))
            .group_by(TraceEntry.command_id, TraceEntry.agent_id, Agent.name)
            .order_by(Agent.name)
        )
        for command_id, agent_id, name, entries in conn.execute(query):
            run = next((r for r in runs.get(command_id, []) if r.agent_id == agent_id), None)
            out.setdefault(command_id, []).append(
                AgentShare(
                    agent_id,
                    name,
                    int(entries),
                    run.tokens if run is not None else Tokens(),
                    run.duration_ms if run is not None else 0,
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class TraceNode:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    agent_id: uuid.UUID
    agent_name: str
    type: str
    name: str
    content: dict[str, Any]
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None
    tokens_used: int | None
    error: str | None
    metadata: dict[str, Any] | None


def trace_nodes(conn: Connection, command_id: uuid.UUID) -> list[TraceNode]:
    rows = conn.execute(
        select(TraceEntry.__table__, Agent.name.label("agent_name"))
        .join(Agent, Agent.id == TraceEntry.agent_id)
        .where(TraceEntry.command_id == command_id)
        .order_by(TraceEntry.started_at, TraceEntry.created_at)
    )
    return [
        TraceNode(
            t.id,
            t.parent_id,
            t.agent_id,
            t.agent_name,
            t.type.value,
            t.name,
            dict(t.content or {}),
            t.started_at,
            t.completed_at,
            t.duration_ms,
            t.tokens_used,
            t.error,
            dict(t.metadata) if t.metadata else None,
        )
        for t in rows
    ]


# --- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: uuid.UUID
    command_id: uuid.UUID
    agent_id: uuid.UUID
    agent_name: str
    title: str
    summary: str
    status: ReportStatus
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


def reports(
    conn: Connection,
    *,
    search: str = "",
    status: ReportStatus | None = None,
    command_id: uuid.UUID | None = None,
    limit: int = 500,
) -> list[ReportRow]:
    query = (
        select(InvestigationReport.__table__, Agent.name.label("agent_name"))
        .join(Agent, Agent.id == InvestigationReport.agent_id)
        .order_by(InvestigationReport.updated_at.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(InvestigationReport.status == status)
    if command_id is not None:
        query = query.where(InvestigationReport.command_id == command_id)
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(
            or_(InvestigationReport.title.ilike(like), InvestigationReport.summary.ilike(like))
        )
    return [
        ReportRow(
            r.id,
            r.command_id,
            r.agent_id,
            r.agent_name,
            r.title,
            r.summary or "",
            r.status,
            dict(r.content or {}),
            r.created_at,
            r.updated_at,
            r.completed_at,
        )
        for r in conn.execute(query)
    ]


# --- audit ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: uuid.UUID
    created_at: datetime
    event_type: str
    agent_id: uuid.UUID | None
    agent_name: str
    command_id: uuid.UUID | None
    by_user: bool
    details: dict[str, Any]
    ip_address: str | None
    user_agent: str | None


def command_ids_starting(conn: Connection, *, prefix: str, limit: int = 2) -> list[uuid.UUID]:
    """Commands whose id (32 hex digits, as stored) starts with ``prefix`` (hex, no dashes); at
    most ``limit``: two tell an ambiguous prefix."""
    query = (
        select(Command.id).where(cast(Command.id, String).like(prefix.lower() + "%")).limit(limit)
    )
    return list(conn.execute(query).scalars())


def audit(
    conn: Connection,
    *,
    event_type: str | None = None,
    agent_id: uuid.UUID | None = None,
    command_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 2000,
    offset: int = 0,
) -> list[AuditRow]:
    query = (
        select(AuditLog.__table__, Agent.name.label("agent_name"))
        .outerjoin(Agent, Agent.id == AuditLog.agent_id)
        .order_by(AuditLog.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    if event_type:
        query = query.where(AuditLog.event_type == event_type)
    if agent_id is not None:
        query = query.where(AuditLog.agent_id == agent_id)
    if command_id is not None:
        query = query.where(AuditLog.command_id == command_id)
    if since is not None:
        query = query.where(AuditLog.created_at >= since)
    if until is not None:
        query = query.where(AuditLog.created_at < until)
    return [
        AuditRow(
            a.id,
            a.created_at,
            a.event_type.value,
            a.agent_id,
            a.agent_name or "",
            a.command_id,
            a.user_id is not None,
            dict(a.details or {}),
            a.ip_address,
            a.user_agent,
        )
        for a in conn.execute(query)
    ]


# --- one command ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandDetail:
    command: Any  # commands row
    runs: list[Any]  # command_runs rows with agent_name
    output: dict[uuid.UUID, str]  # per agent, the stored output in order
    nodes: list[TraceNode]
    reports: list[ReportRow]


# Output rows read per query by :func:`command_detail`: it stops once it has what it shows.
DETAIL_BATCH = 64


def command_detail(
    conn: Connection, command_id: uuid.UUID, *, max_chars: int = 2_000_000
) -> CommandDetail | None:
    """A command in full, its output cut after the first row past ``max_chars`` characters (the
    oldest part is shown; an agent's cut output ends with a notice). Output rows are read
    ``DETAIL_BATCH`` at a time in ``(seq, row id)`` order, so a command with hundreds of MB
    stored reads only about what is shown."""
    from ...store import queries

    command = queries.get_command(conn, command_id)
    if command is None:
        return None
    runs = queries.get_runs(conn, command_id)
    output: dict[uuid.UUID, list[str]] = {}
    size = 0
    after: tuple[int, uuid.UUID] | None = None
    more = True
    while more and size <= max_chars:
        rows = _output_batch(conn, command_id, after, None, DETAIL_BATCH)
        more = len(rows) == DETAIL_BATCH
        for row in rows:
            output.setdefault(row.agent_id, []).append(row.content)
            size += len(row.content)
            after = (row.sequence, row.id)
            if size > max_chars:
                break
    if size > max_chars and after is not None:  # cut: say so where an agent's output goes on
        notice = (
            f"\r\n\x1b[2m… cut after {size:,} characters"
            " (onsembl ctl show ID prints all of it)\x1b[0m\r\n"
        )
        for agent_id in {r.agent_id for r in runs} | set(output):
            if _output_batch(conn, command_id, after, agent_id, 1):
                output.setdefault(agent_id, []).append(notice)
    return CommandDetail(
        command,
        runs,
        {a: "".join(chunks) for a, chunks in output.items()},
        trace_nodes(conn, command_id),
        reports(conn, command_id=command_id),
    )


def _output_batch(
    conn: Connection,
    command_id: uuid.UUID,
    after: tuple[int, uuid.UUID] | None,
    agent_id: uuid.UUID | None,
    limit: int,
) -> list[Any]:
    """Up to ``limit`` of a command's output rows after ``after`` (``(seq, row id)``)."""
    o = TerminalOutput
    query = select(o.id, o.agent_id, o.sequence, o.content).where(o.command_id == command_id)
    if after is not None:
        seq, row_id = after
        query = query.where(or_(o.sequence > seq, and_(o.sequence == seq, o.id > row_id)))
    if agent_id is not None:
        query = query.where(o.agent_id == agent_id)
    return list(conn.execute(query.order_by(o.sequence, o.id).limit(limit)))
