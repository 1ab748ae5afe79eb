"""Every rule of the data model is enforced by the database itself, in SQLite and PostgreSQL.

Each case inserts a good row (accepted) and a bad one (refused with a ConstraintViolation naming
the rule in words). Bad enum values go in as SQL literals, past SQLAlchemy's own checks, so it is
the database that refuses them. PostgreSQL runs against a database built by ``schema/``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, literal_column, select

from onsembl_desktop.store.db import DB_FILENAME, open_database
from onsembl_desktop.store.errors import ConstraintViolation, explain
from onsembl_desktop.store.models import (
    Agent,
    AuditLog,
    Base,
    Command,
    CommandPreset,
    CommandQueueEntry,
    CommandRun,
    ExecutionConstraint,
    InvestigationReport,
    TerminalOutput,
    TraceEntry,
    User,
)
from onsembl_desktop.store.store import Store
from onsembl_desktop.store.types import utcnow
from tests.store.conftest import Seed, seed_rows


def bogus(value: str) -> Any:
    """A value SQLAlchemy passes through untouched (the database must judge it)."""
    return literal_column(f"'{value}'")


@dataclass
class Harness:
    conn: Connection
    seed: Seed
    dialect: str

    def attempt(self, model: type[Base], values: dict[str, Any]) -> ConstraintViolation | None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(model).values(**values))
        except Exception as exc:
            explained = explain(exc)
            assert isinstance(explained, ConstraintViolation), repr(exc)
            return explained
        return None

    def add(self, model: type[Base], **values: Any) -> dict[str, Any]:
        problem = self.attempt(model, values)
        assert problem is None, problem
        return values

    def command(self) -> uuid.UUID:
        return self.add(Command, id=uuid.uuid4(), user_id=self.seed.user_id, content="x")["id"]

    def count(self, model: type[Base], row_id: Any) -> int:
        table = model.__table__
        return int(self.conn.execute(select(func.count()).where(table.c.id == row_id)).scalar())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "sqlite":
        engine = open_database(tmp_path / DB_FILENAME)
    else:
        engine = request.getfixturevalue("pg_schema_engine")
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield Harness(conn, seed_rows(conn), engine.dialect.name)
    finally:
        outer.rollback()
        conn.close()
        if request.param == "sqlite":
            engine.dispose()


Values = Callable[[Harness], dict[str, Any]]


@dataclass
class Case:
    id: str
    model: type[Base]
    good: Values
    bad: Values
    constraint: str | None  # None: SQLite does not name foreign keys
    words: str
    setup: Callable[[Harness], None] = field(default=lambda h: None)


def cmd(h: Harness, **extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "user_id": h.seed.user_id, "content": "ls"} | extra


def agent(**extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "name": f"a-{uuid.uuid4().hex[:8]}", "type": "CLAUDE"} | extra


def preset(h: Harness, **extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "user_id": h.seed.user_id, "content": "c", "type": "PLAN"} | extra


def limits(**extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "name": f"c-{uuid.uuid4().hex[:8]}"} | extra


def queued(h: Harness, **extra: Any) -> dict[str, Any]:
    base = {"id": uuid.uuid4(), "command_id": h.command(), "agent_id": h.seed.agent_id}
    return base | {"position": 1, "priority": 50} | extra


def trace(h: Harness, **extra: Any) -> dict[str, Any]:
    base = {"id": uuid.uuid4(), "command_id": h.seed.command_id, "agent_id": h.seed.agent_id}
    return base | {"type": "TOOL_CALL", "name": "Read", "started_at": utcnow()} | extra


def output(h: Harness, **extra: Any) -> dict[str, Any]:
    base = {"id": uuid.uuid4(), "command_id": h.seed.command_id, "agent_id": h.seed.agent_id}
    return base | {"content": "hi\n", "timestamp": utcnow(), "sequence": 1} | extra


def run(h: Harness, **extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "command_id": h.command(), "agent_id": h.seed.agent_id} | extra


def report(h: Harness, **extra: Any) -> dict[str, Any]:
    base = {"id": uuid.uuid4(), "command_id": h.seed.command_id, "agent_id": h.seed.agent_id}
    return base | {"title": "Findings"} | extra


def audit(**extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "event_type": "AGENT_CONNECT"} | extra


PARENT = uuid.uuid4()


def _with_parent(h: Harness) -> None:
    h.add(TraceEntry, **trace(h, id=PARENT))


CASES = [
    Case(
        "priority-high",
        Command,
        lambda h: cmd(h, priority=100),
        lambda h: cmd(h, priority=101),
        "ck_commands_priority_range",
        "between 0 and 100",
    ),
    Case(
        "priority-low",
        Command,
        lambda h: cmd(h, priority=0),
        lambda h: cmd(h, priority=-1),
        "ck_commands_priority_range",
        "between 0 and 100",
    ),
    Case(
        "command-status",
        Command,
        lambda h: cmd(h, status="COMPLETED"),
        lambda h: cmd(h, status=bogus("DONE")),
        "ck_commands_command_status",
        "commands.status must be one of PENDING, QUEUED",
    ),
    Case(
        "command-type",
        Command,
        lambda h: cmd(h, type="INVESTIGATE"),
        lambda h: cmd(h, type=bogus("CHAT")),
        "ck_commands_command_type",
        "commands.type must be one of",
    ),
    Case(
        "content-required",
        Command,
        lambda h: cmd(h, content=""),
        lambda h: cmd(h, content=None),
        None,
        "commands.content is required",
    ),
    Case(
        "agent-status",
        Agent,
        lambda h: agent(status="ONLINE"),
        lambda h: agent(status=bogus("AWAY")),
        "ck_agents_agent_status",
        "agents.status must be one of ONLINE",
    ),
    Case(
        "agent-type",
        Agent,
        lambda h: agent(type="GEMINI"),
        lambda h: agent(type=bogus("HAL")),
        "ck_agents_agent_type",
        "agents.type must be one of CLAUDE",
    ),
    Case(
        "agent-activity",
        Agent,
        lambda h: agent(activity_state="QUEUED"),
        lambda h: agent(activity_state=bogus("NAPPING")),
        "ck_agents_activity_state",
        "agents.activity_state must be one of",
    ),
    Case(
        "preset-unique-name",
        CommandPreset,
        lambda h: preset(h, name="review"),
        lambda h: preset(h, name="deploy"),
        "uq_command_presets_user_id_name",
        "already have a preset with that name",
        setup=lambda h: h.add(CommandPreset, **preset(h, name="deploy")) and None,
    ),
    Case(
        "preset-agent-types",
        CommandPreset,
        lambda h: preset(h, name="p1", target_agent_types=["CLAUDE", "CODEX"]),
        lambda h: preset(h, name="p2", target_agent_types=["CLAUDE", "HAL"]),
        "ck_command_presets_target_agent_types",
        "target agent types must each be one of",
    ),
    Case(
        "single-default",
        ExecutionConstraint,
        lambda h: limits(is_default=False),
        lambda h: limits(is_default=True),
        "uq_execution_constraints_single_default",
        "only one execution constraint can be the default",
        setup=lambda h: h.add(ExecutionConstraint, **limits(is_default=True)) and None,
    ),
    Case(
        "time-limit-positive",
        ExecutionConstraint,
        lambda h: limits(time_limit_ms=1),
        lambda h: limits(time_limit_ms=0),
        "ck_execution_constraints_time_limit_positive",
        "time limit (time_limit_ms) must be positive",
    ),
    Case(
        "token-budget-positive",
        ExecutionConstraint,
        lambda h: limits(token_budget=1000),
        lambda h: limits(token_budget=-5),
        "ck_execution_constraints_token_budget_positive",
        "token budget must be positive",
    ),
    Case(
        "memory-positive",
        ExecutionConstraint,
        lambda h: limits(memory_limit_mb=512),
        lambda h: limits(memory_limit_mb=0),
        "ck_execution_constraints_memory_positive",
        "memory limit (memory_limit_mb) must be positive",
    ),
    Case(
        "cpu-positive",
        ExecutionConstraint,
        lambda h: limits(cpu_limit_percent=50),
        lambda h: limits(cpu_limit_percent=-1),
        "ck_execution_constraints_cpu_positive",
        "CPU limit (cpu_limit_percent) must be positive",
    ),
    Case(
        "waiting-position-unique",
        CommandQueueEntry,
        lambda h: queued(h, status="PROCESSING"),
        lambda h: queued(h, status="WAITING"),
        "uq_command_queue_waiting_position",
        "cannot share a queue position",
        setup=lambda h: h.add(CommandQueueEntry, **queued(h, status="WAITING")) and None,
    ),
    Case(
        "queue-priority",
        CommandQueueEntry,
        lambda h: queued(h, priority=100),
        lambda h: queued(h, priority=101),
        "ck_command_queue_priority_range",
        "between 0 and 100",
    ),
    Case(
        "queue-position",
        CommandQueueEntry,
        lambda h: queued(h, position=1),
        lambda h: queued(h, position=0),
        "ck_command_queue_position_positive",
        "queue positions start at 1",
    ),
    Case(
        "queue-status",
        CommandQueueEntry,
        lambda h: queued(h, status="INTERRUPTED"),
        lambda h: queued(h, status=bogus("PAUSED")),
        "ck_command_queue_queue_status",
        "command_queue.status must be one of",
    ),
    Case(
        "trace-parent-same-command",
        TraceEntry,
        lambda h: trace(h, parent_id=PARENT),
        lambda h: trace(h, parent_id=PARENT, command_id=h.command()),
        "fk_trace_entries_parent_same_command",
        "parent must be an entry of the same command",
        setup=_with_parent,
    ),
    Case(
        "trace-not-own-parent",
        TraceEntry,
        lambda h: trace(h),
        lambda h: trace(h, id=PARENT, parent_id=PARENT),
        "ck_trace_entries_not_own_parent",
        "cannot be its own parent",
    ),
    Case(
        "trace-type",
        TraceEntry,
        lambda h: trace(h, type="LLM_PROMPT"),
        lambda h: trace(h, type=bogus("THOUGHT")),
        "ck_trace_entries_trace_type",
        "trace_entries.type must be one of",
    ),
    Case(
        "trace-duration",
        TraceEntry,
        lambda h: trace(h, duration_ms=0),
        lambda h: trace(h, duration_ms=-1),
        "ck_trace_entries_duration_non_negative",
        "duration_ms cannot be negative",
    ),
    Case(
        "output-stream",
        TerminalOutput,
        lambda h: output(h, stream_type="STDERR"),
        lambda h: output(h, stream_type=bogus("STDIN")),
        "ck_terminal_outputs_stream_type",
        "terminal_outputs.stream_type must be one of STDOUT, STDERR",
    ),
    Case(
        "output-sequence",
        TerminalOutput,
        lambda h: output(h, sequence=0),
        lambda h: output(h, sequence=-1),
        "ck_terminal_outputs_sequence_non_negative",
        "sequence number cannot be negative",
    ),
    Case(
        "output-command-exists",
        TerminalOutput,
        lambda h: output(h),
        lambda h: output(h, command_id=uuid.uuid4()),
        "fk_terminal_outputs_command_id_commands",
        "refer",
    ),
    Case(
        "run-tokens",
        CommandRun,
        lambda h: run(h, input_tokens=5),
        lambda h: run(h, output_tokens=-5),
        "ck_command_runs_tokens_non_negative",
        "token counts cannot be negative",
    ),
    Case(
        "report-status",
        InvestigationReport,
        lambda h: report(h, status="COMPLETE"),
        lambda h: report(h, status=bogus("DONE")),
        "ck_investigation_reports_report_status",
        "investigation_reports.status must be one of",
    ),
    Case(
        "audit-event-type",
        AuditLog,
        lambda h: audit(event_type="RETENTION_CLEANUP"),
        lambda h: audit(event_type=bogus("LUNCH")),
        "ck_audit_logs_audit_event_type",
        "audit_logs.event_type must be one of",
    ),
    Case(
        "user-email-unique",
        User,
        lambda h: {"id": uuid.uuid4(), "name": "b", "email": "b@example.com"},
        lambda h: {"id": uuid.uuid4(), "name": "c", "email": "a@example.com"},
        "uq_users_email",
        "a user with that email already exists",
        setup=lambda h: h.add(User, id=uuid.uuid4(), name="a", email="a@example.com") and None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_accepts_good_rows_and_refuses_bad_ones(db: Harness, case: Case) -> None:
    case.setup(db)
    good = case.good(db)
    assert db.attempt(case.model, good) is None
    assert db.count(case.model, good["id"]) == 1

    bad = case.bad(db)
    problem = db.attempt(case.model, bad)
    assert problem is not None, f"{case.id}: the bad row was accepted"
    foreign_key = case.constraint is not None and case.constraint.startswith("fk_")
    if db.dialect == "sqlite" and foreign_key:
        # SQLite does not say which foreign key; the message still says what kind of rule.
        assert "foreign key" in str(problem)
    else:
        assert problem.constraint == case.constraint
        assert case.words in str(problem), str(problem)
    assert str(problem).startswith("Refused: ")
    if bad["id"] != good["id"]:
        assert db.count(case.model, bad["id"]) == 0


def test_a_refused_write_leaves_nothing_behind_and_its_neighbours_commit(tmp_path: Path) -> None:
    """Through the real writer: an op that fails halfway is rolled back whole, alone."""

    async def scenario() -> None:
        store = await Store.open(tmp_path)
        try:
            seed = await store.write_wait(lambda conn: seed_rows(conn, store.user_id))
            first, second = uuid.uuid4(), uuid.uuid4()

            def half_bad(conn: Connection) -> None:
                conn.execute(
                    insert(Command).values(id=first, user_id=seed.user_id, content="kept?")
                )
                conn.execute(
                    insert(Command).values(
                        id=uuid.uuid4(), user_id=seed.user_id, content="x", priority=500
                    )
                )

            def neighbour(conn: Connection) -> None:
                conn.execute(
                    insert(Command).values(id=second, user_id=seed.user_id, content="next")
                )

            failed = asyncio.ensure_future(store.write_wait(half_bad))
            ok = asyncio.ensure_future(store.write_wait(neighbour))
            with pytest.raises(ConstraintViolation, match="priority must be between 0 and 100"):
                await failed
            await ok

            def ids(conn: Connection) -> set[uuid.UUID]:
                return set(conn.execute(select(Command.id)).scalars())

            stored = await store.read(ids)
            assert second in stored and first not in stored
        finally:
            store.close()

    asyncio.run(scenario())


def test_changes_share_a_savepoint_and_a_failure_is_redone_one_by_one(tmp_path: Path) -> None:
    """Many changes in one batch: the bad ones fail alone, every good one commits exactly once."""

    async def scenario() -> None:
        store = await Store.open(tmp_path)
        try:
            seed = await store.write_wait(lambda conn: seed_rows(conn, store.user_id))
            ids = [uuid.uuid4() for _ in range(600)]  # spans several groups of the writer
            bad = {5, 290, 599}

            def change(i: int) -> Callable[[Connection], int]:
                def fn(conn: Connection) -> int:
                    priority = 500 if i in bad else 50
                    conn.execute(
                        insert(Command).values(
                            id=ids[i], user_id=seed.user_id, content=f"c{i}", priority=priority
                        )
                    )
                    return i

                return fn

            # Submitted in one go, so they reach the writer as one batch.
            futures = [asyncio.ensure_future(store.write_wait(change(i))) for i in range(600)]
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
            for i, outcome in enumerate(outcomes):
                if i in bad:
                    assert isinstance(outcome, ConstraintViolation)
                else:
                    assert outcome == i

            def stored(conn: Connection) -> list[uuid.UUID]:
                return list(conn.execute(select(Command.id).where(Command.id.in_(ids))).scalars())

            rows = await store.read(stored)
            assert len(rows) == len(set(rows)) == 600 - len(bad)
            assert not {ids[i] for i in bad} & set(rows)
        finally:
            store.close()

    asyncio.run(scenario())
