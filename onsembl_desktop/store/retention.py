"""Retention and cleanup of the local database (the data model's "Data Retention Policies").

Jobs, each run with a given ``now`` (the app: the clock; ``onsembl db cleanup --now``: any time):

- audit_logs older than 30 days are removed;
- terminal_outputs older than 30 days are archived to ``DATA_DIR/archive/`` (``store.archive``),
  and deleted once older than 90 days (never before they are archived);
- orphaned command_queue rows are removed (their command or run has finished, or is gone);
- agents silent for over an hour (``last_seen_at``) that still look connected are marked OFFLINE.

Each job that changed something writes one RETENTION_CLEANUP audit row saying what it did.

Terminal output ages by ``timestamp`` (indexed; equal to ``created_at`` for rows the app writes).
Archiving and deletion each keep a mark in ``retention_state``: rows before it are done. A mark
never passes the real clock, so a ``--now`` in the future cannot skip rows written later; and
restored archive rows, which lie before the deletion mark, stay until removed by hand.

The work is a sequence of reads and bounded writes (:func:`_steps`), run either directly on an
engine (:func:`run_cleanup`, the app stopped) or through a running app's store, so that every
write goes through its writer and none blocks the asyncio loop (:func:`run_cleanup_in_store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..protocol.enums import AgentStatus, AuditEventType, CommandStatus
from . import queries
from .archive import ARCHIVE_DIR, write_archive
from .models import Agent, Command, CommandQueueEntry, CommandRun
from .outputs import OUTPUT_COLUMNS
from .store import Store
from .types import sqlite_datetime, utcnow

log = logging.getLogger("onsembl.store.retention")

AUDIT_RETENTION = timedelta(days=30)
OUTPUT_ARCHIVE_AFTER = timedelta(days=30)
OUTPUT_DELETE_AFTER = timedelta(days=90)
AGENT_SILENCE = timedelta(hours=1)
BATCH = 5_000  # rows per delete, so the writer is never held long

ARCHIVED_BEFORE = "terminal_outputs.archived_before"
DELETED_BEFORE = "terminal_outputs.deleted_before"
_FINAL = (CommandStatus.COMPLETED, CommandStatus.FAILED, CommandStatus.CANCELLED)


@dataclass(slots=True)
class CleanupReport:
    now: datetime
    audit_logs_removed: int = 0
    outputs_archived: int = 0
    archive_files: list[str] = field(default_factory=list)
    outputs_deleted: int = 0
    queue_entries_removed: int = 0
    agents_marked_offline: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "auditLogsRemoved": self.audit_logs_removed,
            "outputsArchived": self.outputs_archived,
            "archiveFiles": self.archive_files,
            "outputsDeleted": self.outputs_deleted,
            "queueEntriesRemoved": self.queue_entries_removed,
            "agentsMarkedOffline": self.agents_marked_offline,
        }


@dataclass(frozen=True, slots=True)
class _Read:
    fn: Callable[[Connection], Any]


@dataclass(frozen=True, slots=True)
class _Write:
    fn: Callable[[Connection], Any]


_Steps = Generator[_Read | _Write, Any, CleanupReport]


def run_cleanup(
    engine: Engine, archive_dir: Path, now: datetime, keep_agents: Iterable[uuid.UUID] = ()
) -> CleanupReport:
    """Run every job directly on ``engine`` (nothing else may be writing meanwhile)."""
    steps = _steps(archive_dir, now, utcnow(), frozenset(keep_agents))
    value: Any = None
    while True:
        try:
            step = steps.send(value)
        except StopIteration as done:
            report: CleanupReport = done.value
            return report
        if isinstance(step, _Read):
            with engine.connect() as conn:
                value = step.fn(conn)
        else:
            with engine.begin() as conn:
                value = step.fn(conn)


async def run_cleanup_in_store(
    store: Store, now: datetime, keep_agents: Iterable[uuid.UUID] = ()
) -> CleanupReport:
    """Run every job through a running app's store: reads on its read threads, writes by its
    writer, in bounded steps among the app's own writes."""
    archive_dir = store.path.parent / ARCHIVE_DIR
    steps = _steps(archive_dir, now, utcnow(), frozenset(keep_agents))
    value: Any = None
    while True:
        try:
            step = steps.send(value)
        except StopIteration as done:
            report: CleanupReport = done.value
            return report
        value = await (
            store.read(step.fn) if isinstance(step, _Read) else store.write_wait(step.fn)
        )


def _steps(
    archive_dir: Path, now: datetime, wall: datetime, keep_agents: frozenset[uuid.UUID]
) -> _Steps:
    report = CleanupReport(now)
    audit_cutoff = now - AUDIT_RETENTION
    while removed := (yield _Write(partial(_delete_audit, cutoff=audit_cutoff))):
        report.audit_logs_removed += removed

    # A mark never passes the real clock: rows stamped later than it cannot exist yet.
    archive_to = min(now - OUTPUT_ARCHIVE_AFTER, wall)
    archive_from = yield _Read(partial(_state, name=ARCHIVED_BEFORE))
    if archive_from is None or archive_from < sqlite_datetime(archive_to):
        archived = yield _Read(
            partial(_archive, folder=archive_dir, start=archive_from, end=archive_to, now=now)
        )
        if archived is not None:
            report.outputs_archived += archived[1]
            report.archive_files.append(archived[0])
        yield _Write(partial(_set_state, name=ARCHIVED_BEFORE, value=sqlite_datetime(archive_to)))

    # Delete only what is archived: up to the archive mark at most.
    archived_mark = yield _Read(partial(_state, name=ARCHIVED_BEFORE))
    delete_to = min(sqlite_datetime(min(now - OUTPUT_DELETE_AFTER, wall)), archived_mark or "")
    delete_from = yield _Read(partial(_state, name=DELETED_BEFORE))
    if delete_to and (delete_from is None or delete_from < delete_to):
        span = partial(_delete_outputs, start=delete_from, end=delete_to)
        while True:
            rows, blocks = yield _Write(span)
            report.outputs_deleted += rows
            if not rows and not blocks:
                break
        yield _Write(partial(_set_state, name=DELETED_BEFORE, value=delete_to))

    report.queue_entries_removed = yield _Write(_remove_orphaned_queue)
    report.agents_marked_offline = yield _Write(
        partial(_mark_silent_agents, now=now, keep=keep_agents)
    )
    yield _Write(partial(_record, report=report, wall=wall))
    return report


# --- the jobs (functions of a Connection) --------------------------------------------------------


def _delete_audit(conn: Connection, cutoff: datetime) -> int:
    return int(
        conn.exec_driver_sql(
            "DELETE FROM audit_logs WHERE rowid IN (SELECT rowid FROM audit_logs "
            f"WHERE created_at < ? ORDER BY created_at LIMIT {BATCH})",
            (sqlite_datetime(cutoff),),
        ).rowcount
    )


def _archive(
    conn: Connection, folder: Path, start: str | None, end: datetime, now: datetime
) -> tuple[str, int] | None:
    """Write the rows stamped in [start, end) to a new archive file: (its name, rows)."""
    where = "timestamp < ?" if start is None else "timestamp >= ? AND timestamp < ?"
    params = (sqlite_datetime(end),) if start is None else (start, sqlite_datetime(end))
    first = conn.exec_driver_sql(
        f"SELECT min(timestamp) FROM terminal_outputs WHERE {where}", params
    ).scalar()
    if first is None:
        return None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # (data dir files are private)
    stem = f"terminal_outputs_{_compact(first)}_{_compact(sqlite_datetime(end))}"
    path = folder / f"{stem}.jsonl.gz"
    copy = 1
    while path.exists():  # never over an earlier archive (e.g. one whose mark was not saved)
        copy += 1
        path = folder / f"{stem}-{copy}.jsonl.gz"
    name = path.name
    rows = conn.exec_driver_sql(
        f"SELECT {', '.join(OUTPUT_COLUMNS)} FROM terminal_outputs WHERE {where} "
        "ORDER BY timestamp, rowid",
        params,
    )
    count = write_archive(
        path,
        "terminal_outputs",
        OUTPUT_COLUMNS,
        rows,
        start=start,
        end=sqlite_datetime(end),
        createdAt=utcnow().isoformat(),
        cleanupNow=now.isoformat(),
    )
    log.info("archived %d terminal output rows to %s", count, path)
    return name, count


def _delete_outputs(conn: Connection, start: str | None, end: str) -> tuple[int, int]:
    """Delete up to BATCH rows stamped in [start, end), and their search text: (rows, blocks)."""
    params = (end,) if start is None else (start, end)
    span = "{0} < ?" if start is None else "{0} >= ? AND {0} < ?"
    rows = conn.exec_driver_sql(
        "DELETE FROM terminal_outputs WHERE rowid IN (SELECT rowid FROM terminal_outputs "
        f"WHERE {span.format('timestamp')} LIMIT {BATCH})",
        params,
    ).rowcount
    # Search blocks are stamped like the rows they hold (when written, or their first row's time).
    blocks = conn.exec_driver_sql(
        "DELETE FROM output_text WHERE id IN (SELECT id FROM output_text "
        f"WHERE {span.format('created_at')} LIMIT {BATCH})",
        params,
    ).rowcount
    return int(rows), int(blocks)


def _remove_orphaned_queue(conn: Connection) -> int:
    """Queue entries whose command finished, whose run on that agent finished, or have no run."""
    run_final = (
        select(CommandRun.id)
        .where(
            CommandRun.command_id == CommandQueueEntry.command_id,
            CommandRun.agent_id == CommandQueueEntry.agent_id,
        )
        .where(CommandRun.status.in_(_FINAL))
        .exists()
    )
    run_exists = (
        select(CommandRun.id)
        .where(
            CommandRun.command_id == CommandQueueEntry.command_id,
            CommandRun.agent_id == CommandQueueEntry.agent_id,
        )
        .exists()
    )
    command_final = (
        select(Command.id)
        .where(Command.id == CommandQueueEntry.command_id, Command.status.in_(_FINAL))
        .exists()
    )
    orphans = select(CommandQueueEntry.id).where(command_final | run_final | ~run_exists)
    ids = conn.execute(orphans).scalars().all()
    for entry_id in ids:
        queries.remove_queue_entry(conn, entry_id)
    return len(ids)


def _mark_silent_agents(conn: Connection, now: datetime, keep: frozenset[uuid.UUID]) -> list[str]:
    silent_since = now - AGENT_SILENCE
    rows = conn.execute(
        select(Agent.id, Agent.name, Agent.last_seen_at, Agent.updated_at).where(
            Agent.status != AgentStatus.OFFLINE,
            Agent.device_id == queries.LOCAL_DEVICE,  # another app's agents are its business
            ((Agent.last_seen_at.is_(None)) & (Agent.updated_at < silent_since))
            | (Agent.last_seen_at < silent_since),
        )
    ).all()
    names = []
    for row in rows:
        if row.id in keep:  # connected to the running app right now
            continue
        conn.execute(
            update(Agent)
            .where(Agent.id == row.id)
            .values(
                status=AgentStatus.OFFLINE,
                disconnected_at=row.last_seen_at or row.updated_at,
                updated_at=utcnow(),
            )
        )
        names.append(row.name)
    return sorted(names)


def _record(conn: Connection, report: CleanupReport, wall: datetime) -> None:
    base = {"now": report.now.isoformat()}
    jobs: list[dict[str, Any]] = []
    if report.audit_logs_removed:
        jobs.append({"job": "audit_logs", "removed": report.audit_logs_removed})
    if report.outputs_archived:
        jobs.append(
            {"job": "archive_outputs", "archived": report.outputs_archived}
            | {"files": report.archive_files}
        )
    if report.outputs_deleted:
        jobs.append({"job": "delete_outputs", "deleted": report.outputs_deleted})
    if report.queue_entries_removed:
        jobs.append({"job": "command_queue", "removed": report.queue_entries_removed})
    if report.agents_marked_offline:
        jobs.append({"job": "silent_agents", "marked_offline": report.agents_marked_offline})
    for details in jobs:
        queries.insert_audit(
            conn, AuditEventType.RETENTION_CLEANUP, details=base | details, created_at=wall
        )


def _state(conn: Connection, name: str) -> str | None:
    value: str | None = conn.exec_driver_sql(
        "SELECT value FROM retention_state WHERE name = ?", (name,)
    ).scalar()
    return value


def _set_state(conn: Connection, name: str, value: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO retention_state (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


def _compact(stamp: str) -> str:
    """'2025-01-15 10:02:03.123456' -> '20250115T100203Z' (for file names)."""
    return stamp[:19].replace("-", "").replace(":", "").replace(" ", "T") + "Z"


# --- in the app ----------------------------------------------------------------------------------


class RetentionScheduler:
    """Runs the cleanup inside the app: shortly after start, then every ``interval_s``."""

    def __init__(
        self,
        store: Store,
        live_agents: Callable[[], Iterable[uuid.UUID]],
        *,
        interval_s: float = 3600.0,
        first_run_s: float = 60.0,
    ) -> None:
        self._store = store
        self._live_agents = live_agents
        self._interval_s = interval_s
        self._first_run_s = first_run_s
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.last_report: CleanupReport | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:  # let a cleanup asked for over ``ctl`` finish its step
            pass

    async def run_once(self, now: datetime | None = None) -> CleanupReport:
        """One cleanup (the scheduled one and ``onsembl db cleanup`` never overlap)."""
        async with self._lock:
            report = await run_cleanup_in_store(
                self._store, now or utcnow(), list(self._live_agents())
            )
            self.last_report = report
            log.info("cleanup done: %s", report.as_dict())
            return report

    async def _loop(self) -> None:
        delay = self._first_run_s
        while True:
            await asyncio.sleep(delay)
            delay = self._interval_s
            try:
                await self.run_once()
            except Exception:
                log.exception("cleanup failed; trying again in %.0f s", delay)
