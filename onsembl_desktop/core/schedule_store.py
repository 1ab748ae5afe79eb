"""How the scheduler's state is kept in the database: its write actions as store writes, and the
open work it is rebuilt from at start (``core.scheduling`` itself knows no database)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Connection, Row

from ..store import queries
from .scheduling import actions as a
from .scheduling.stored import (
    QueueEntryRow,
    StoredCommand,
    StoredEntry,
    StoredRun,
    StoredWork,
)
from .state import Tokens

Write = Callable[[Connection], Any]


def write_of(action: a.Action, user_id: uuid.UUID) -> Write | None:
    """The store write an action stands for (None: the action is not a database write)."""
    match action:
        case a.InsertCommand(values, runs):
            return partial(
                queries.insert_command, values=values | {"user_id": user_id}, runs=list(runs)
            )
        case a.UpdateCommand(command_id, values):
            return partial(queries.update_command, command_id=command_id, values=values)
        case a.UpdateRun(command_id, agent_id, values):
            return partial(
                queries.update_run, command_id=command_id, agent_id=agent_id, values=values
            )
        case a.SyncWaiting(agent_id, entries):
            rows = [_row(e) for e in entries]
            return partial(queries.sync_waiting, agent_id=agent_id, entries=rows)
        case a.StartQueueEntry(agent_id, entry, started_at):
            return partial(
                queries.start_queue_entry,
                entry=_row(entry),
                agent_id=agent_id,
                started_at=started_at,
            )
        case a.RemoveQueueEntry(entry_id):
            return partial(queries.remove_queue_entry, entry_id=entry_id)
        case a.MarkInterrupt(entry_id, reason):
            return partial(queries.mark_interrupt, entry_id=entry_id, reason=reason)
    return None


def _row(entry: QueueEntryRow) -> queries.QueueRow:
    return queries.QueueRow(entry.entry_id, entry.command_id, entry.priority, entry.enqueued_at)


def load_work(conn: Connection) -> StoredWork:
    """This app's open commands, their runs and their queue entries (``queries.load_open_work``)."""
    work = queries.load_open_work(conn)
    return StoredWork.of(
        (_command(c) for c in work.commands),
        (_run(r) for r in work.runs),
        (_entry(q) for q in work.queue),
    )


def _command(c: Row[Any]) -> StoredCommand:
    return StoredCommand(
        id=c.id,
        content=c.content,
        type=c.type,
        priority=c.priority,
        created_at=c.created_at,
        status=c.status,
        constraints=dict(c.execution_constraints or {}),
        broadcast=c.broadcast,
        started_at=c.started_at,
    )


def _run(r: Row[Any]) -> StoredRun:
    return StoredRun(
        id=r.id,
        command_id=r.command_id,
        agent_id=r.agent_id,
        status=r.status,
        created_at=r.created_at,
        started_at=r.started_at,
        completed_at=r.completed_at,
        exit_code=r.exit_code,
        error=r.error,
        reason=r.reason,
        tokens=Tokens(r.input_tokens, r.output_tokens, r.cached_tokens, r.total_tokens, r.cost_usd),
    )


def _entry(q: Row[Any]) -> StoredEntry:
    return StoredEntry(
        id=q.id,
        command_id=q.command_id,
        agent_id=q.agent_id,
        status=q.status,
        position=q.position,
        enqueued_at=q.enqueued_at,
    )
