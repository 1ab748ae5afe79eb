"""The local side of sync, as functions of a SQLite Connection (reads on the store's read
threads, writes through its writer): configuration and cursors, turning recording on and off,
and reading the outbox into batches for the remote.

Outbox entries are read in order and pushed as the rows' *current* state (an entry whose row is
gone is a delete), so several changes of one row in a batch cost one upsert. A batch ends
early inside an output range when it has enough rows; the range's ``lo`` then moves on, and
everything before it is deleted, only once the remote has committed (:func:`mark_pushed`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from ..store.outbox import APPEND_ONLY, OUTPUTS, SYNCED_TABLES
from ..store.outputs import OUTPUT_COLUMNS
from . import codec

JULIAN_UNIX_EPOCH = 2440587.5

# sync_state keys
URL = "config.url"  # the remote database's URL, without its password
ENABLED = "config.enabled"
DATABASE_ID = "remote.database_id"  # which remote database the cursors below belong to
PULL_XID = "pull.xid"  # pulled: every log entry up to (xid, seq)
PULL_SEQ = "pull.seq"
FULL_PULL = "pull.full"  # a full copy in progress (JSON), or absent
OWNER = "remote.owner"  # the user id adopted from the remote (one person, many devices)


def get_state(conn: Connection, *keys: str) -> dict[str, str]:
    marks = ", ".join("?" * len(keys))
    rows = conn.exec_driver_sql(
        f"SELECT key, value FROM sync_state WHERE key IN ({marks})", tuple(keys)
    )
    return {row[0]: row[1] for row in rows}


def set_state(conn: Connection, values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            conn.exec_driver_sql("DELETE FROM sync_state WHERE key = ?", (key,))
        else:
            conn.exec_driver_sql(
                "INSERT INTO sync_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


# --- turning sync on and off ---------------------------------------------------------------------


def enable(conn: Connection, url: str) -> None:
    """Record changes from now on, and queue every existing row for the remote (idempotent)."""
    set_state(conn, {URL: url, ENABLED: "1"})
    if conn.exec_driver_sql("SELECT recording FROM sync_flags").scalar_one():
        return
    conn.exec_driver_sql("UPDATE sync_flags SET recording = 1, applying = 0")
    queue_everything(conn)


def queue_everything(conn: Connection) -> None:
    """An outbox entry for every row (a first push, or a new remote database)."""
    conn.exec_driver_sql("DELETE FROM sync_outbox")
    for name in SYNCED_TABLES:
        if name == OUTPUTS:
            conn.exec_driver_sql(
                "INSERT INTO sync_outbox (tbl, lo, hi) SELECT 'terminal_outputs', min(rowid), "
                "max(rowid) FROM terminal_outputs HAVING count(*) > 0"
            )
        else:  # in rowid order: a parent trace entry before its children
            conn.exec_driver_sql(
                f"INSERT INTO sync_outbox (tbl, row_id) SELECT '{name}', id FROM {name} "
                "ORDER BY rowid"
            )


def disable(conn: Connection) -> None:
    """Stop recording and forget what was waiting (enabling again queues everything)."""
    conn.exec_driver_sql("UPDATE sync_flags SET recording = 0, applying = 0")
    conn.exec_driver_sql("DELETE FROM sync_outbox")
    set_state(conn, {ENABLED: None})


def forget_remote(conn: Connection, database_id: str) -> None:
    """The remote is another database than before: pull it all, push everything to it."""
    set_state(conn, {DATABASE_ID: database_id, PULL_XID: None, PULL_SEQ: None, FULL_PULL: None})
    set_state(conn, {OWNER: None})
    queue_everything(conn)


@dataclass(frozen=True, slots=True)
class LocalConfig:
    enabled: bool
    url: str | None
    device_id: str
    database_id: str | None
    owner: str | None


def load_config(conn: Connection) -> LocalConfig:
    state = get_state(conn, URL, ENABLED, "device_id", DATABASE_ID, OWNER)
    return LocalConfig(
        enabled=state.get(ENABLED) == "1",
        url=state.get(URL),
        device_id=state["device_id"],
        database_id=state.get(DATABASE_ID),
        owner=state.get(OWNER),
    )


def backlog(conn: Connection) -> tuple[int, float | None]:
    """(changes waiting: rows, the oldest one's Unix time)."""
    count, oldest = conn.exec_driver_sql(
        "SELECT coalesce(sum(CASE WHEN lo IS NULL THEN 1 ELSE hi - lo + 1 END), 0), min(at) "
        "FROM sync_outbox"
    ).one()
    when = None if oldest is None else (oldest - JULIAN_UNIX_EPOCH) * 86400.0
    return int(count), when


# --- batches for the remote ----------------------------------------------------------------------


@dataclass(slots=True)
class OutboxBatch:
    last_seq: int = 0  # entries up to here are covered...
    partial: tuple[int, int] | None = None  # ...but this range entry only up to (seq, next lo)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # current rows (JSON)
    deletes: dict[str, list[str]] = field(default_factory=dict)
    outputs: bytes = b""  # COPY text
    output_count: int = 0
    output_times: list[str] = field(default_factory=list)  # the rows' timestamps, as stored
    entries: int = 0
    oldest: float | None = None
    high: int = 0  # the highest entry ever made, as of before the entries were read
    more: bool = False  # it stopped at a limit: more is waiting

    @property
    def empty(self) -> bool:
        return self.entries == 0

    @property
    def row_count(self) -> int:
        changed = sum(len(r) for r in self.rows.values()) + sum(map(len, self.deletes.values()))
        return changed + self.output_count


def read_batch(
    conn: Connection,
    max_entries: int = 2_000,
    max_outputs: int = 10_000,
    after: OutboxBatch | None = None,
) -> OutboxBatch:
    """The next entries and the rows they name, ready to send; ``after``: a batch not yet
    marked pushed, to continue behind (the engine reads one ahead while it pushes one)."""
    batch = OutboxBatch(high=high_seq(conn))
    wanted: dict[str, list[str]] = defaultdict(list)
    outputs: list[tuple[Any, ...]] = []
    first, resume = 0, None
    if after is not None:
        first = after.partial[0] - 1 if after.partial else after.last_seq
        resume = after.partial
    entries = conn.exec_driver_sql(
        "SELECT seq, tbl, row_id, lo, hi, at FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?",
        (first, max_entries),
    ).all()
    for seq, tbl, row_id, lo, hi, at in entries:
        if resume is not None and seq == resume[0]:
            lo = resume[1]
        batch.entries += 1
        batch.last_seq = seq
        if batch.oldest is None:
            batch.oldest = (at - JULIAN_UNIX_EPOCH) * 86400.0
        if row_id is not None:
            wanted[tbl].append(row_id)
            continue
        budget = max_outputs - len(outputs)
        got = conn.exec_driver_sql(
            f"SELECT rowid, {', '.join(OUTPUT_COLUMNS)} FROM terminal_outputs "
            "WHERE rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?",
            (lo, hi, budget),
        ).all()
        outputs.extend(tuple(r[1:]) for r in got)
        if len(got) == budget and got[-1][0] < hi:
            batch.partial = (seq, got[-1][0] + 1)
            batch.more = True
            break
        if len(outputs) >= max_outputs:
            batch.more = True
            break
    batch.more = batch.more or len(entries) >= max_entries
    for tbl, ids in wanted.items():
        _current_rows(conn, batch, tbl, list(dict.fromkeys(ids)))
    if outputs:
        batch.outputs = codec.copy_text(outputs)
        batch.output_count = len(outputs)
        batch.output_times = [r[6] for r in outputs]
    return batch


def _current_rows(conn: Connection, batch: OutboxBatch, name: str, ids: list[str]) -> None:
    tbl = codec.table(name)
    key = tbl.c.id
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(select(tbl).where(key.in_([_uuid(i) for i in chunk]))).all()
        for row in rows:
            found[row._mapping[key].hex] = codec.row_to_json(tbl, row)
    if found:
        batch.rows[name] = list(found.values())
    gone = [i for i in ids if i not in found]
    if gone and name not in APPEND_ONLY:
        batch.deletes[name] = [str(_uuid(i)) for i in gone]


def high_seq(conn: Connection) -> int:
    """The highest outbox seq ever given (AUTOINCREMENT keeps it after its entry is gone)."""
    value = conn.exec_driver_sql(
        "SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'"
    ).scalar()
    return int(value or 0)


def mark_pushed(conn: Connection, last_seq: int, partial: tuple[int, int] | None) -> None:
    """The remote committed a batch: its entries are done."""
    if partial is None:
        conn.exec_driver_sql("DELETE FROM sync_outbox WHERE seq <= ?", (last_seq,))
        return
    seq, next_lo = partial
    conn.exec_driver_sql("DELETE FROM sync_outbox WHERE seq < ?", (seq,))
    conn.exec_driver_sql("UPDATE sync_outbox SET lo = ? WHERE seq = ?", (next_lo, seq))


def drop_pending(conn: Connection, name: str, ids: list[str]) -> None:
    """Forget local changes to rows whose remote version won (see ``sync.apply``)."""
    for row_id in ids:
        conn.exec_driver_sql(
            "DELETE FROM sync_outbox WHERE tbl = ? AND row_id = ?", (name, _uuid(row_id).hex)
        )


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def unix_time(stamp: str) -> float:
    """A timestamp as SQLite stores it, in Unix seconds."""
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
