"""The single writer: every change to the local database goes through one thread, in order, batched.

Why one thread: SQLite has one writer at a time anyway, and ordering matters — an agent's output,
its trace events and its delivery cursor must commit together and in the order they arrived. Why
batches: one transaction (one fsync) per few milliseconds of work instead of per row.

Callers on the asyncio loop ``submit`` operations and never wait on disk. An operation may carry a
``done`` callback; callbacks run on the loop (via the ``call_soon_threadsafe`` passed in) only after
the batch holding the operation has committed. If a commit fails because of the environment (disk
full, database locked, read-only), the batch is kept and retried with backoff while ``on_status``
reports the problem; nothing is dropped and nothing is acknowledged until it is stored.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import OperationalError

from ..errors import StorageError
from .checkpoint import Checkpointer
from .errors import explain
from .models import AgentStream, table_of
from .outputs import OutputSink
from .types import utcnow

log = logging.getLogger("onsembl.store.writer")

Callback = Callable[[Any, BaseException | None], None]
Schedule = Callable[..., Any]  # loop.call_soon_threadsafe


@dataclass(slots=True)
class OutputRow:
    """One terminal_outputs row (the hot path: ``store.outputs`` inserts them in bulk)."""

    values: dict[str, Any]


@dataclass(slots=True)
class Apply:
    """Any other change: ``fn(conn)`` runs inside the batch, in its own savepoint."""

    fn: Callable[[Connection], Any]
    done: Callback | None = None


@dataclass(slots=True)
class Cursor:
    """Advance an agent process's delivery cursor; ``done(seq, None)`` fires after the commit."""

    agent_id: uuid.UUID
    instance_id: uuid.UUID
    seq: int
    done: Callback | None = None


@dataclass(slots=True)
class _Barrier:
    done: Callback


Op = OutputRow | Apply | Cursor | _Barrier


@dataclass(slots=True)
class WriterStats:
    batches: int = 0
    rows: int = 0
    ops: int = 0
    last_commit_ms: float = 0.0
    pending: int = 0
    error: str | None = None
    failures: int = 0
    _started: float = field(default_factory=time.monotonic)


class StoreWriter:
    MAX_BATCH_OPS = 20_000
    MAX_APPLY_GROUP = 256  # bounds the redo after a failed group
    # After the first op arrives, wait this long for more before committing.
    LINGER_S = 0.004

    def __init__(
        self,
        engine: Engine,
        schedule: Schedule,
        on_status: Callable[[str | None], None] | None = None,
    ) -> None:
        self._engine = engine
        self._schedule = schedule
        self._on_status = on_status
        self._queue: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="onsembl-store-writer", daemon=True)
        self._closed = False
        self._outputs = OutputSink()
        self._checkpointer: Checkpointer | None = None
        self.stats = WriterStats()

    def start(self) -> None:
        self._thread.start()
        database = self._engine.url.database
        if self._engine.dialect.name == "sqlite" and database and database != ":memory:":
            self._checkpointer = Checkpointer(Path(database))
            self._checkpointer.start()

    def submit(self, op: Op) -> None:
        if self._closed:
            raise StorageError("the store is closed")
        self._queue.put(op)

    def submit_many(self, ops: list[Op]) -> None:
        if self._closed:
            raise StorageError("the store is closed")
        for op in ops:
            self._queue.put(op)

    def barrier(self, done: Callback) -> None:
        """``done`` fires once everything submitted before it has committed."""
        self.submit(_Barrier(done))

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        if self._checkpointer is not None:
            self._checkpointer.stop()

    # --- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        conn = self._engine.connect()
        if conn.dialect.name == "sqlite":
            # The writer's page cache: 64 MB instead of 2 MB keeps the index pages it keeps
            # appending to and the rows foreign keys look up in memory (+7% output throughput).
            conn.connection.driver_connection.execute("PRAGMA cache_size=-65536")  # type: ignore[union-attr]
            # Checkpoints happen in the background (store/checkpoint.py), never in a commit.
            conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
        try:
            stop = False
            while not stop:
                batch, stop = self._collect()
                if not batch:
                    continue
                try:
                    self._commit_with_retry(conn, batch)
                except Exception as exc:  # never let the writer die; the batch's callers hear of it
                    log.exception("writer batch failed")
                    self._deliver(_failures(batch, exc))
                self._finish_checkpoint(conn)
        finally:
            conn.close()

    def _finish_checkpoint(self, conn: Connection) -> None:
        checkpointer = self._checkpointer
        if checkpointer is None or not checkpointer.writer_should_finish():
            return
        try:
            # On the DBAPI connection (autocommit): through SQLAlchemy it would open a transaction.
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # type: ignore[union-attr]
        except sqlite3.Error as exc:  # a busy reader, a failing disk: the next batch retries
            log.debug("writer checkpoint skipped: %s", exc)
            return
        checkpointer.finished_by_writer()

    def _collect(self) -> tuple[list[Op], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch: list[Op] = [first]
        deadline = time.monotonic() + self.LINGER_S
        get_nowait = self._queue.get_nowait
        while len(batch) < self.MAX_BATCH_OPS:
            try:
                op = get_nowait()  # the common case under load: no clock, no waiting
            except queue.Empty:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    op = self._queue.get(timeout=timeout)
                except queue.Empty:
                    break
            if op is None:
                return batch, True
            batch.append(op)
        return batch, False

    def _commit_with_retry(self, conn: Connection, batch: list[Op]) -> None:
        delay = 0.05
        while True:
            try:
                results = self._apply(conn, batch)
            except OperationalError as exc:
                # The environment refused the whole batch (disk full, locked, read-only, I/O):
                # keep it, say so, retry. Nothing in it has been acknowledged.
                self.stats.failures += 1
                message = _describe(exc, self._engine.url.database)
                if self.stats.error != message:
                    log.error("cannot write the database: %s", message)
                self.stats.error = message
                if self._on_status:
                    self._schedule(self._on_status, message)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            break
        if self.stats.error is not None:
            log.info("database writable again")
            self.stats.error = None
            if self._on_status:
                self._schedule(self._on_status, None)
        self._deliver(results)

    def _apply(
        self, conn: Connection, batch: list[Op]
    ) -> list[tuple[Callback, Any, BaseException | None]]:
        started = time.perf_counter()
        results: list[tuple[Callback, Any, BaseException | None]] = []
        cursors: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        rows: list[dict[str, Any]] = []
        applies: list[Apply] = []
        try:
            with conn.begin():
                for op in batch:
                    if isinstance(op, OutputRow):
                        if applies:  # keep submission order between changes and output
                            self._run_applies(conn, applies, results)
                            applies = []
                        rows.append(op.values)
                        continue
                    if isinstance(op, Cursor):
                        # Cursors are written after everything else in the batch, so they never
                        # split the output rows: the core sends one after every chunk.
                        key = (op.agent_id, op.instance_id)
                        cursors[key] = max(cursors.get(key, 0), op.seq)
                        if op.done:
                            results.append((op.done, op.seq, None))
                        continue
                    if rows:  # an Apply may depend on the rows before it (or they on it)
                        self._outputs.write(conn, rows)
                        rows = []
                    if isinstance(op, Apply):
                        applies.append(op)
                        if len(applies) >= self.MAX_APPLY_GROUP:
                            self._run_applies(conn, applies, results)
                            applies = []
                    else:
                        self._run_applies(conn, applies, results)
                        applies = []
                        results.append((op.done, None, None))
                self._run_applies(conn, applies, results)
                if rows:
                    self._outputs.write(conn, rows)
                for (agent_id, instance_id), seq in cursors.items():
                    _advance_cursor(conn, agent_id, instance_id, seq)
        except OperationalError as exc:
            self._outputs.rolled_back()
            if is_environmental(exc):
                raise
            # A bug, not the environment: retrying would fail forever. Fail the batch's callers.
            log.exception("batch of %d operations failed", len(batch))
            return _failures(batch, exc)
        except BaseException:
            self._outputs.rolled_back()
            raise
        self._outputs.committed()
        self.stats.batches += 1
        self.stats.ops += len(batch)
        self.stats.rows += sum(isinstance(op, OutputRow) for op in batch)
        self.stats.last_commit_ms = (time.perf_counter() - started) * 1000
        return results

    def _run_applies(
        self,
        conn: Connection,
        ops: list[Apply],
        results: list[tuple[Callback, Any, BaseException | None]],
    ) -> None:
        """Run consecutive changes under one savepoint; if one fails, redo them one by one.

        A savepoint per change costs more than most changes themselves, and nearly all succeed.
        Functions given to ``Apply`` must therefore be safe to run again after a rollback.
        """
        if not ops:
            return
        if len(ops) > 1:
            try:
                with conn.begin_nested():
                    values = [op.fn(conn) for op in ops]
            except OperationalError as exc:
                if is_environmental(exc):
                    raise
            except Exception:  # one of them failed: find which, below
                pass
            else:
                results.extend(
                    (op.done, v, None) for op, v in zip(ops, values, strict=True) if op.done
                )
                return
        for op in ops:
            self._run_apply(conn, op, results)

    def _run_apply(
        self,
        conn: Connection,
        op: Apply,
        results: list[tuple[Callback, Any, BaseException | None]],
    ) -> None:
        try:
            with conn.begin_nested():
                value = op.fn(conn)
        except OperationalError as exc:
            if is_environmental(exc):
                raise
            log.error("write failed: %s", exc)
            if op.done:
                results.append((op.done, None, exc))
            return
        except Exception as exc:
            # Constraint violations, bad values, or a bug in ``fn``: this op fails (its
            # savepoint rolled back), its neighbours still commit.
            refused = explain(exc)
            log.warning("write refused: %s", refused)
            if op.done:
                results.append((op.done, None, refused))
            return
        if op.done:
            results.append((op.done, value, None))

    def _deliver(self, results: list[tuple[Callback, Any, BaseException | None]]) -> None:
        if results:
            self._schedule(_run_callbacks, results)


def _failures(
    batch: list[Op], exc: BaseException
) -> list[tuple[Callback, Any, BaseException | None]]:
    return [(op.done, None, exc) for op in batch if not isinstance(op, OutputRow) and op.done]


def _run_callbacks(results: list[tuple[Callback, Any, BaseException | None]]) -> None:
    for done, value, exc in results:
        try:
            done(value, exc)
        except Exception:
            log.exception("store callback failed")


def _advance_cursor(
    conn: Connection, agent_id: uuid.UUID, instance_id: uuid.UUID, seq: int
) -> None:
    table = table_of(AgentStream)
    updated = conn.execute(
        table.update()
        .where(table.c.agent_id == agent_id, table.c.instance_id == instance_id)
        .where(table.c.acked_seq < seq)
        .values(acked_seq=seq, updated_at=utcnow())
    )
    if updated.rowcount == 0:
        exists = conn.execute(
            table.select().where(table.c.agent_id == agent_id, table.c.instance_id == instance_id)
        ).first()
        if exists is None:
            conn.execute(
                insert(table).values(
                    agent_id=agent_id, instance_id=instance_id, acked_seq=seq, updated_at=utcnow()
                )
            )


_ENVIRONMENTAL = ("full", "locked", "busy", "readonly", "read-only", "disk i/o", "unable to open")


def _read_only_fs(path: str) -> bool:
    """Whether the database's folder refuses writes with EROFS (asked only after a failure; a
    file system the kernel turned read-only after an error may still say "rw" in statvfs)."""
    probe = Path(path).parent / ".onsembl-write-probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600))
        probe.unlink()
    except OSError as exc:
        return exc.errno == errno.EROFS
    return False


def is_environmental(exc: OperationalError) -> bool:
    """Whether the error comes from the machine (worth retrying) rather than from the SQL."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(marker in text for marker in _ENVIRONMENTAL)


def _describe(exc: OperationalError, path: str | None = None) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    lowered = text.lower()
    if path and _read_only_fs(path):
        # SQLite says only "disk I/O error" when the kernel turned the disk read-only under it.
        return (
            f"The disk holding the database has become read-only ({text}); it may be failing. "
            "Check it and restart Onsembl; nothing acknowledged is lost."
        )
    if "full" in lowered:
        return f"The disk holding the database is full ({text}). Free some space; nothing is lost."
    if "locked" in lowered or "busy" in lowered:
        return f"The database is locked by another program ({text}). Retrying."
    if "readonly" in lowered or "read-only" in lowered:
        return f"The database is read-only ({text}). Check the data folder's permissions."
    return f"The database cannot be written ({text}). Retrying."
