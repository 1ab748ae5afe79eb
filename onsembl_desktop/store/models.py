"""SQLAlchemy 2 models of the data model (``shared/seed-data-model.md``), one for both stores.

Tables and fields follow the data model; additions are marked "(addition)" with the reason. Every
rule the data model states is a database constraint (CHECK, UNIQUE, partial UNIQUE, FOREIGN KEY),
so SQLite and PostgreSQL refuse a bad row whoever writes it. Constraint names come from the naming
convention below so both stores, and ``schema/``, use the same names (``store.errors`` turns them
into messages).

Indexes: every foreign key leads some B-tree index (plain, composite or unique). The data model's
GIN indexes on JSONB and BRIN indexes on ``created_at`` exist on PostgreSQL only (``ddl_if``):
SQLite has neither kind, and a plain B-tree in their place would only slow the writer down.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..protocol.enums import (
    ActivityState,
    AgentStatus,
    AgentType,
    AuditEventType,
    CommandStatus,
    CommandType,
    QueueStatus,
    ReportStatus,
    StreamType,
    TraceType,
)
from .types import (
    InetType,
    JSONType,
    NullableFloatArray,
    NullableJSON,
    NullableJSONArray,
    NullableTextArray,
    UTCDateTime,
    UUIDArray,
    enum_column,
    utcnow,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's Table (``__table__`` is typed as a mere FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def _updated() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def _gin(table: str, column: str) -> Index:
    """PostgreSQL GIN index on a JSONB column (containment queries)."""
    return Index(f"ix_{table}_{column}_gin", column, postgresql_using="gin").ddl_if(
        dialect="postgresql"
    )


def _brin(table: str) -> Index:
    """PostgreSQL BRIN index on ``created_at`` (time-series scans; rows arrive in time order)."""
    return Index(f"ix_{table}_created_at_brin", "created_at", postgresql_using="brin").ddl_if(
        dialect="postgresql"
    )


class User(Base):
    """The person issuing commands; locally one row for the person at this machine."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (_brin("users"),)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = _id()
    # (addition) unique per device (below): agents reconnect by name to their app, so a name
    # identifies one agent of one app; two synced apps may each have their own "claude".
    name: Mapped[str] = mapped_column(String(64))
    type: Mapped[AgentType] = mapped_column(enum_column(AgentType, "agent_type"))
    status: Mapped[AgentStatus] = mapped_column(
        enum_column(AgentStatus, "agent_status"), default=AgentStatus.OFFLINE
    )
    activity_state: Mapped[ActivityState] = mapped_column(
        enum_column(ActivityState, "activity_state"), default=ActivityState.IDLE
    )
    host_machine: Mapped[str] = mapped_column(String(255), default="")
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # (addition) when the agent was last heard from; the "silent for over an hour" cleanup reads it.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    health_metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    # (addition, schema 4) the app (data dir) the agent connects to: ``sync_state.device_id``,
    # filled in locally by a trigger when an insert leaves it out. Last, as on PostgreSQL.
    device_id: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("device_id", "name"),
        Index(None, "type", "status"),
        _gin("agents", "health_metrics"),
        _gin("agents", "config"),
        _brin("agents"),
    )


class ExecutionConstraint(Base):
    __tablename__ = "execution_constraints"

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    time_limit_ms: Mapped[int | None] = mapped_column(BigInteger)
    token_budget: Mapped[int | None] = mapped_column(BigInteger)
    memory_limit_mb: Mapped[int | None] = mapped_column(Integer)
    cpu_limit_percent: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        CheckConstraint("time_limit_ms IS NULL OR time_limit_ms > 0", name="time_limit_positive"),
        CheckConstraint("token_budget IS NULL OR token_budget > 0", name="token_budget_positive"),
        CheckConstraint("memory_limit_mb IS NULL OR memory_limit_mb > 0", name="memory_positive"),
        CheckConstraint("cpu_limit_percent IS NULL OR cpu_limit_percent > 0", name="cpu_positive"),
        # Only one default profile.
        Index(
            "uq_execution_constraints_single_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        _brin("execution_constraints"),
    )


class CommandPreset(Base):
    __tablename__ = "command_presets"

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    type: Mapped[CommandType] = mapped_column(enum_column(CommandType, "preset_type"))
    target_agent_types: Mapped[list[str] | None] = mapped_column(NullableTextArray)
    variables: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSON)
    usage_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("user_id", "name"),
        CheckConstraint("usage_count >= 0", name="usage_count_non_negative"),
        # Enum[]: PostgreSQL checks the array here; SQLite (a JSON array) by a trigger of the same
        # name, created in ``migrations.create_extras``.
        CheckConstraint(
            "target_agent_types <@ ARRAY[{}]::text[]".format(
                ", ".join(f"'{t.value}'" for t in AgentType)
            ),
            name="target_agent_types",
        ).ddl_if(dialect="postgresql"),
        Index(None, "usage_count"),
        _gin("command_presets", "variables"),
        _brin("command_presets"),
    )


class Command(Base):
    __tablename__ = "commands"

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    type: Mapped[CommandType] = mapped_column(
        enum_column(CommandType, "command_type"), default=CommandType.NATURAL
    )
    target_agents: Mapped[list[uuid.UUID]] = mapped_column(UUIDArray, default=list)
    broadcast: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[CommandStatus] = mapped_column(
        enum_column(CommandStatus, "command_status"), default=CommandStatus.PENDING
    )
    priority: Mapped[int] = mapped_column(Integer, default=50)
    execution_constraints: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # (addition) the ER diagram's "CommandPreset instantiates" and "ExecutionConstraint limits".
    preset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("command_presets.id", ondelete="SET NULL"), index=True
    )
    constraint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("execution_constraints.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        Index(None, "status", "created_at"),
        _gin("commands", "execution_constraints"),
        _brin("commands"),
    )


class CommandRun(Base):
    """(addition) One command on one agent: per-target progress, result and token usage.

    A broadcast command has one row per agent; the command's own status is their aggregate.
    """

    __tablename__ = "command_runs"

    id: Mapped[uuid.UUID] = _id()
    command_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commands.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    status: Mapped[CommandStatus] = mapped_column(
        enum_column(CommandStatus, "run_status"), default=CommandStatus.PENDING
    )
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(40))
    session_id: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    total_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    cost_usd: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("command_id", "agent_id"),
        CheckConstraint(
            "input_tokens >= 0 AND output_tokens >= 0 AND cached_tokens >= 0 AND total_tokens >= 0",
            name="tokens_non_negative",
        ),
        _brin("command_runs"),
    )


class TerminalOutput(Base):
    __tablename__ = "terminal_outputs"

    id: Mapped[uuid.UUID] = _id()
    command_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commands.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    stream_type: Mapped[StreamType] = mapped_column(
        enum_column(StreamType, "stream_type"), default=StreamType.STDOUT
    )
    content: Mapped[str] = mapped_column(Text)
    ansi_codes: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created()
    # (addition, schema 3) the AI CLI's own line(s) ``content`` was rendered from (JSON events),
    # kept for the record: archived and restored with the row, never in the search index. Last,
    # as ALTER TABLE ADD COLUMN puts it on PostgreSQL.
    raw: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(None, "command_id", "sequence"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        _brin("terminal_outputs"),
    )


class TraceEntry(Base):
    __tablename__ = "trace_entries"

    id: Mapped[uuid.UUID] = _id()
    command_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commands.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("trace_entries.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[TraceType] = mapped_column(enum_column(TraceType, "trace_type"))
    name: Mapped[str] = mapped_column(String(1024))
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    tokens_used: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # "metadata" is reserved by SQLAlchemy's declarative base, hence the attribute name.
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", NullableJSON)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        # The parent must belong to the same command: a composite key against (id, command_id).
        UniqueConstraint("id", "command_id"),
        ForeignKeyConstraint(
            ["parent_id", "command_id"],
            ["trace_entries.id", "trace_entries.command_id"],
            name="fk_trace_entries_parent_same_command",
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("duration_ms IS NULL OR duration_ms >= 0", name="duration_non_negative"),
        CheckConstraint("tokens_used IS NULL OR tokens_used >= 0", name="tokens_non_negative"),
        Index(None, "command_id", "started_at"),
        _gin("trace_entries", "content"),
        _gin("trace_entries", "metadata"),
        _brin("trace_entries"),
    )


class InvestigationReport(Base):
    __tablename__ = "investigation_reports"

    id: Mapped[uuid.UUID] = _id()
    command_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commands.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(NullableJSONArray)
    vector_embedding: Mapped[list[float] | None] = mapped_column(NullableFloatArray)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(None, "status", "created_at"),
        _gin("investigation_reports", "content"),
        _brin("investigation_reports"),
    )


class AuditLog(Base):
    """Append-only; entity ids are plain columns so retention never fights foreign keys.

    PostgreSQL partitions it by month of ``created_at`` (``schema/``), and a partitioned table's
    primary key must hold the partition key: hence (id, created_at) in both stores.
    """

    __tablename__ = "audit_logs"

    id: Mapped[uuid.UUID] = _id()
    event_type: Mapped[AuditEventType] = mapped_column(
        enum_column(AuditEventType, "audit_event_type")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    command_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip_address: Mapped[str | None] = mapped_column(InetType)
    user_agent: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, primary_key=True
    )

    __table_args__ = (
        Index(None, "event_type", "created_at"),
        # Retention deletes by age: a B-tree on SQLite, BRIN on PostgreSQL (partitions do the rest).
        Index(None, "created_at").ddl_if(dialect="sqlite"),
        _gin("audit_logs", "details"),
        _brin("audit_logs"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )


class CommandQueueEntry(Base):
    __tablename__ = "command_queue"

    id: Mapped[uuid.UUID] = _id()
    command_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commands.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"))
    position: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[QueueStatus] = mapped_column(
        enum_column(QueueStatus, "queue_status"), default=QueueStatus.WAITING
    )
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interrupt_requested: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    interrupt_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        UniqueConstraint("command_id", "agent_id"),
        Index(
            "uq_command_queue_waiting_position",
            "agent_id",
            "position",
            unique=True,
            sqlite_where=text("status = 'WAITING'"),
            postgresql_where=text("status = 'WAITING'"),
        ),
        Index(None, "agent_id", "status", "priority"),
    )


class AgentStream(Base):
    """(addition) Delivery cursor: the highest stream seq stored for each agent process.

    Updated in the same transaction as the rows it covers, so after any crash the server knows
    exactly which of an agent's messages it already holds (see protocol.messages).
    """

    __tablename__ = "agent_streams"

    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    instance_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = _updated()
