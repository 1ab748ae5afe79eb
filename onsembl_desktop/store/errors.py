"""Constraint violations as messages a person can act on.

The databases name the rule a row broke (``ck_commands_priority_range``, or on SQLite sometimes
only the columns). :func:`explain` turns an ``IntegrityError`` (and SQLAlchemy's refusal of a bad
enum value) into a :class:`ConstraintViolation` saying which rule, in words; the original error
stays attached as ``__cause__``. Every write that fails this way has been rolled back whole (the
writer runs each operation in its own savepoint).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import CheckConstraint, Enum, ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.exc import IntegrityError, StatementError

from ..errors import KnownError
from .models import Base


class ConstraintViolation(KnownError):
    """A write refused because a row broke one of the data model's rules."""

    def __init__(self, message: str, *, constraint: str | None = None, table: str | None = None):
        super().__init__(message)
        self.constraint = constraint
        self.table = table


# Rules whose meaning the name alone does not tell.
_TEXT = {
    "ck_commands_priority_range": "a command's priority must be between 0 and 100",
    "ck_command_queue_priority_range": "a queue entry's priority must be between 0 and 100",
    "ck_command_queue_position_positive": "queue positions start at 1",
    "uq_command_queue_waiting_position": (
        "two waiting commands of one agent cannot share a queue position"
    ),
    "uq_command_queue_command_id_agent_id": "the command is already queued for that agent",
    "uq_execution_constraints_single_default": "only one execution constraint can be the default",
    "uq_execution_constraints_name": "an execution constraint with that name already exists",
    "uq_command_presets_user_id_name": "you already have a preset with that name",
    "ck_command_presets_target_agent_types": (
        "a preset's target agent types must each be one of CLAUDE, GEMINI, CODEX, SHELL"
    ),
    "ck_command_presets_usage_count_non_negative": "a preset's usage count cannot be negative",
    "ck_execution_constraints_time_limit_positive": "a time limit (time_limit_ms) must be positive",
    "ck_execution_constraints_token_budget_positive": "a token budget must be positive",
    "ck_execution_constraints_memory_positive": "a memory limit (memory_limit_mb) must be positive",
    "ck_execution_constraints_cpu_positive": "a CPU limit (cpu_limit_percent) must be positive",
    "ck_trace_entries_duration_non_negative": "a trace entry's duration_ms cannot be negative",
    "ck_trace_entries_tokens_non_negative": "a trace entry's tokens_used cannot be negative",
    "ck_command_runs_tokens_non_negative": "a run's token counts cannot be negative",
    "ck_terminal_outputs_sequence_non_negative": "an output's sequence number cannot be negative",
    "fk_trace_entries_parent_same_command": (
        "a trace entry's parent must be an entry of the same command"
    ),
    "ck_trace_entries_not_own_parent": "a trace entry cannot be its own parent",
    "uq_agents_device_id_name": "an agent with that name already exists",
    "uq_users_email": "a user with that email already exists",
}


def explain(exc: BaseException) -> BaseException:
    """The user-facing form of ``exc`` if it is a rule violation, else ``exc`` unchanged."""
    if isinstance(exc, ConstraintViolation):
        return exc
    if isinstance(exc, IntegrityError):
        violation = _from_integrity(exc)
    elif isinstance(exc, StatementError) and isinstance(exc.orig, LookupError):
        violation = ConstraintViolation(f"invalid value: {exc.orig}")
    else:
        return exc
    violation.__cause__ = exc
    return violation


def _from_integrity(exc: IntegrityError) -> ConstraintViolation:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg: the server names the constraint
        name = diag.constraint_name
        table = diag.table_name
        primary = str(diag.message_primary or orig)
        if name is None and diag.column_name:
            return _violation(f"{table}.{diag.column_name} is required", None, table)
        if name is not None and name.startswith("fk_") and "update or delete" in primary:
            return _violation(_still_referenced(name), name, table)
        return _violation(describe(name) if name else primary, name, table)
    return _from_sqlite_message(str(orig))


def _from_sqlite_message(text: str) -> ConstraintViolation:
    kind, _, detail = text.partition(" constraint failed")
    detail = detail.lstrip(": ").strip()
    if kind == "CHECK":
        return _violation(describe(detail), detail, None)
    if kind == "NOT NULL":
        table = detail.split(".")[0]
        return _violation(f"{detail} is required", None, table)
    if kind == "UNIQUE":
        if detail.startswith("index '"):
            name = detail[len("index '") : -1]
            return _violation(describe(name), name, None)
        columns = [c.strip().split(".", 1) for c in detail.split(",")]
        table = columns[0][0]
        name = _unique_named(table, tuple(c[1] for c in columns))
        return _violation(describe(name), name, table)
    if kind == "FOREIGN KEY":
        return _violation(
            "the row refers to a row that does not exist, or is still referred to (foreign key)",
            None,
            None,
        )
    return _violation(text, None, None)


def _violation(message: str, name: str | None, table: str | None) -> ConstraintViolation:
    suffix = f" [{name}]" if name else ""
    return ConstraintViolation(f"Refused: {message}{suffix}", constraint=name, table=table)


def describe(name: str) -> str:
    """Words for a constraint name of the data model (the name itself if unknown)."""
    if name in _TEXT:
        return _TEXT[name]
    return _constraints().get(name, f"the rule {name} was broken")


def _still_referenced(name: str) -> str:
    table = _constraint_tables().get(name, "another table")
    return f"the row is still referred to by {table}"


@functools.cache
def _constraints() -> dict[str, str]:
    """Generic words for every named constraint in the models."""
    texts: dict[str, str] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Enum) and column.type.name:
                values = ", ".join(column.type.enums)
                texts[f"ck_{table.name}_{column.type.name}"] = (
                    f"{table.name}.{column.name} must be one of {values}"
                )
        for constraint in table.constraints:
            name = str(constraint.name) if constraint.name else ""
            if isinstance(constraint, UniqueConstraint):
                columns = ", ".join(c.name for c in constraint.columns)
                texts.setdefault(name, f"another {table.name} row already has this {columns}")
            elif isinstance(constraint, ForeignKeyConstraint):
                columns = ", ".join(c.name for c in constraint.columns)
                referred = constraint.referred_table.name
                texts.setdefault(
                    name, f"{table.name}.{columns} must refer to an existing {referred}"
                )
            elif isinstance(constraint, CheckConstraint) and name not in texts:
                texts[name] = f"{table.name}: {constraint.sqltext} must hold"
        texts.setdefault(f"pk_{table.name}", f"a {table.name} row with that id already exists")
    return texts


@functools.cache
def _constraint_tables() -> dict[str, str]:
    return {
        str(c.name): t.name
        for t in Base.metadata.tables.values()
        for c in t.constraints
        if c.name is not None
    }


def _unique_named(table_name: str, columns: tuple[str, ...]) -> str:
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return f"uq_{table_name}_{'_'.join(columns)}"
    candidates: list[Any] = [*table.constraints, *table.indexes]
    for item in candidates:
        unique = isinstance(item, UniqueConstraint) or (isinstance(item, Index) and item.unique)
        if unique and tuple(c.name for c in item.columns) == columns:
            return str(item.name)
    if tuple(c.name for c in table.primary_key.columns) == columns:
        return f"pk_{table_name}"
    return f"uq_{table_name}_{'_'.join(columns)}"
