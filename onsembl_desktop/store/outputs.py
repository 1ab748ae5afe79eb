"""The writer's hot path: terminal_outputs rows, and their text into the search index.

On SQLite the rows go in as plain tuples, already in the form SQLAlchemy would store (UUID hex,
naive-UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text, 0/1), so they are identical to what a Core
``insert`` writes (a test checks this), by driver-level INSERTs of up to 1,000 rows each, at a
fraction of the cost. Then each stream's complete lines are added to the search index
(``store.search``) in the same transaction; a failure there is logged and never costs the output.
While sync records changes, the rows' rowid range goes into its outbox, also in the transaction.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC
from itertools import chain
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from .archive import existing_ids
from .models import TerminalOutput
from .outbox import record_output_range
from .search import split_complete, strip_partial, stripped_blocks
from .types import sqlite_datetime, utcnow, uuid7

log = logging.getLogger("onsembl.store.writer")

OUTPUT_COLUMNS = (
    "id",
    "command_id",
    "agent_id",
    "stream_type",
    "content",
    "ansi_codes",
    "timestamp",
    "sequence",
    "created_at",
    "raw",
)
_OUTPUT_SQL = f"INSERT INTO terminal_outputs ({', '.join(OUTPUT_COLUMNS)}) VALUES"
INSERT_SQL = f"{_OUTPUT_SQL} ({', '.join('?' * len(OUTPUT_COLUMNS))})"
_BLOCK_SQL = "INSERT INTO output_text (command_id, agent_id, text, tail, created_at) VALUES"
ROWS_PER_STATEMENT = 1000  # at most; fewer if SQLite allows fewer variables
_TAIL_CACHE_MAX = 10_000

Key = tuple[str, str]  # (command id hex, agent id hex)


@dataclass(slots=True)
class _Tail:
    """A stream's unfinished last line: its ``output_text`` row and raw text."""

    row_id: int
    raw: str


class OutputSink:
    """Writes output rows for the writer thread; remembers each stream's unfinished line.

    The memory of unfinished lines follows the database: changes made during a batch become
    current only at :meth:`committed`, and :meth:`rolled_back` forgets everything (it is reread).
    """

    def __init__(self) -> None:
        self._tails: dict[Key, _Tail | None] = {}
        self._pending: dict[Key, _Tail | None] = {}

    def write(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if conn.dialect.name != "sqlite":
            _insert_core(conn, rows)
            return
        now = utcnow()
        stamp = sqlite_datetime(now)
        recording = conn.exec_driver_sql("SELECT recording FROM sync_flags WHERE id = 1").scalar()
        if recording:  # sync's outbox: one range of rowids per insert, not an entry per row
            before = conn.exec_driver_sql("SELECT max(rowid) FROM terminal_outputs").scalar()
        stored = _insert_sqlite(conn, [_as_tuple(r, stamp) for r in rows])
        if recording and stored:
            last = conn.exec_driver_sql("SELECT max(rowid) FROM terminal_outputs").scalar_one()
            record_output_range(conn, (before or 0) + 1, last)
        try:
            with conn.begin_nested():
                self._index(conn, stored, stamp)
        except Exception:
            # The output is stored; only its search entry is missing. Reread tails next time.
            log.exception("terminal output stored but not indexed for search")
            self._pending.clear()
            self._tails.clear()

    def committed(self) -> None:
        if len(self._tails) + len(self._pending) > _TAIL_CACHE_MAX:
            self._tails.clear()
        self._tails.update(self._pending)
        self._pending.clear()

    def rolled_back(self) -> None:
        self._tails.clear()
        self._pending.clear()

    # --- search index ----------------------------------------------------------------------------

    def _index(self, conn: Connection, rows: list[tuple[Any, ...]], stamp: str) -> None:
        streams: dict[Key, list[str]] = {}
        for row in rows:
            streams.setdefault((row[1], row[2]), []).append(row[4])
        finished: list[tuple[Any, ...]] = []  # complete blocks, all streams: one statement
        unfinished: list[tuple[Key, str]] = []  # new unfinished lines, after their stream's blocks
        for key, parts in streams.items():
            tail = self._tail(conn, key)
            complete, rest = split_complete((tail.raw if tail else "") + "".join(parts))
            pieces = stripped_blocks(complete)
            if tail is not None:
                # The unfinished line's row is rewritten in place: finished, or grown.
                done = bool(complete) or not rest
                change: tuple[str, str | None, int] = (
                    (pieces.pop(0) if pieces else "", None, tail.row_id)
                    if done
                    else (strip_partial(rest), rest, tail.row_id)
                )
                updated = conn.exec_driver_sql(
                    "UPDATE output_text SET text = ?, tail = ? WHERE id = ?", change
                ).rowcount
                if not updated:  # removed meanwhile (retention): start afresh
                    complete, rest = split_complete("".join(parts))
                    pieces = stripped_blocks(complete)
                elif not done:
                    self._pending[key] = _Tail(tail.row_id, rest)
                    continue
            finished.extend((*key, piece, None, stamp) for piece in pieces)
            self._pending[key] = None
            if rest:
                unfinished.append((key, rest))
        insert_rows(conn, _BLOCK_SQL, 5, finished)
        for key, rest in unfinished:
            result = conn.exec_driver_sql(
                f"{_BLOCK_SQL} (?, ?, ?, ?, ?)", (*key, strip_partial(rest), rest, stamp)
            )
            assert result.lastrowid is not None
            self._pending[key] = _Tail(result.lastrowid, rest)

    def _tail(self, conn: Connection, key: Key) -> _Tail | None:
        if key in self._pending:
            return self._pending[key]
        if key in self._tails:
            return self._tails[key]
        row = conn.exec_driver_sql(
            "SELECT id, tail FROM output_text "
            "WHERE command_id = ? AND agent_id = ? AND tail IS NOT NULL",
            key,
        ).first()
        return None if row is None else _Tail(row[0], row[1])


# --- rows ----------------------------------------------------------------------------------------


def _insert_sqlite(conn: Connection, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Insert all rows; returns those stored (a row refused by a constraint is logged, dropped)."""
    try:
        with conn.begin_nested():
            insert_rows(conn, _OUTPUT_SQL, len(OUTPUT_COLUMNS), rows)
        return rows
    except IntegrityError:
        pass
    # One bad row (e.g. an output for a command that was deleted) must not sink its neighbours.
    stored = []
    for row in rows:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(INSERT_SQL, row)
            stored.append(row)
        except IntegrityError as exc:
            log.warning("dropped output row for command %s: %s", row[1], exc.orig)
    return stored


def insert_rows(conn: Connection, head: str, width: int, rows: list[tuple[Any, ...]]) -> None:
    """``head`` (``INSERT INTO t (cols) VALUES``) for all ``rows``, many rows per statement.

    ``executemany`` gives up and retakes Python's GIL around every row; with another busy thread
    (the event loop under a flood of output) every retake waits for it. One statement per
    ROWS_PER_STATEMENT rows retakes it that many times less often: several times faster then.
    """
    one = f"({', '.join('?' * width)})"
    n = max(1, min(ROWS_PER_STATEMENT, _variable_limit() // width))
    whole = len(rows) - len(rows) % n
    if whole:
        sql = f"{head} {one}{f', {one}' * (n - 1)}"
        for start in range(0, whole, n):
            conn.exec_driver_sql(sql, tuple(chain.from_iterable(rows[start : start + n])))
    rest = rows[whole:]
    if rest:
        sql = f"{head} {one}{f', {one}' * (len(rest) - 1)}"
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(rest)))


@functools.cache
def _variable_limit() -> int:
    """How many ``?`` one statement may hold (32766 since SQLite 3.32; 999 before)."""
    probe = sqlite3.connect(":memory:")
    try:
        return probe.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    finally:
        probe.close()


def _insert_core(conn: Connection, rows: list[dict[str, Any]]) -> None:
    try:
        with conn.begin_nested():
            conn.execute(insert(TerminalOutput), rows)
    except IntegrityError:
        for row in rows:
            try:
                with conn.begin_nested():
                    conn.execute(insert(TerminalOutput), [row])
            except IntegrityError as exc:
                log.warning("dropped output row for command %s: %s", row.get("command_id"), exc)


def _as_tuple(values: dict[str, Any], now: str) -> tuple[Any, ...]:
    """One row's values as SQLAlchemy would bind them for SQLite (defaults filled the same way).

    The hot path of the hot path, hence inlined: UTC datetimes straight from ``isoformat``, and
    one conversion when ``created_at`` is ``timestamp`` (as the core sends them).
    """
    content = values["content"]
    timestamp = values["timestamp"]
    if timestamp.tzinfo is UTC:
        text = timestamp.isoformat(" ")
        stamp = text[:-6] if timestamp.microsecond else text[:-6] + ".000000"
    else:
        stamp = sqlite_datetime(timestamp)
    created = values.get("created_at")
    ansi = values.get("ansi_codes")
    row_id = values.get("id")
    command_id = values["command_id"]
    agent_id = values["agent_id"]
    return (
        row_id.hex if row_id.__class__ is UUID else _uuid_hex(row_id or uuid7()),
        command_id.hex if command_id.__class__ is UUID else _uuid_hex(command_id),
        agent_id.hex if agent_id.__class__ is UUID else _uuid_hex(agent_id),
        values.get("stream_type") or "STDOUT",
        content,
        ("\x1b" in content) if ansi is None else bool(ansi),
        stamp,
        values["sequence"],
        stamp if created is timestamp else now if created is None else sqlite_datetime(created),
        values.get("raw"),
    )


def _uuid_hex(value: Any) -> str:
    return value.hex if isinstance(value, UUID) else UUID(str(value)).hex


def insert_pulled(conn: Connection, rows: list[tuple[Any, ...]]) -> int:
    """Rows another app stored (in OUTPUT_COLUMNS order, as SQLite keeps them, each stream in
    sequence order): those not here yet, whose command and agent are, are inserted and indexed
    for search as the writer indexes its own. Not recorded for sync (they came from it).
    Returns how many were inserted."""
    present = existing_ids(conn, "terminal_outputs", "id", [r[0] for r in rows])
    commands = existing_ids(conn, "commands", "id", [r[1] for r in rows])
    agents = existing_ids(conn, "agents", "id", [r[2] for r in rows])
    fresh = [r for r in rows if r[0] not in present and r[1] in commands and r[2] in agents]
    if len(fresh) < len(rows) - sum(r[0] in present for r in rows):
        log.warning("skipped pulled output rows whose command or agent is not here")
    if not fresh:
        return 0
    insert_rows(conn, _OUTPUT_SQL, len(OUTPUT_COLUMNS), fresh)
    # A sink of its own: it reads each stream's unfinished line from the index, and forgets.
    OutputSink()._index(conn, fresh, min(r[6] for r in fresh))
    return len(fresh)
