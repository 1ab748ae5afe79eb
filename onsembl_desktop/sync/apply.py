"""Applying other devices' changes to the local database (on the writer thread, in one
savepoint per page with the pull cursor, so a page is applied exactly once).

Pulled rows are written with ``sync_flags.applying`` set: they do not echo into the outbox.
A row with a local change still waiting to be pushed is a conflict: the version with the later
``updated_at`` wins, ties going to the higher device id (the remote decides pushes by the same
rule, so both ends agree); the losing version goes into the audit log (SYNC_CONFLICT), which is
synced like any other row. A deletion wins over a waiting edit.

Natural keys: a pulled preset or profile whose name a different local row holds renames the
local row ("name (a1b2c3)"), which is then pushed; a pulled default profile clears the local one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..protocol.enums import AuditEventType
from ..store import queries
from ..store.archive import existing_ids
from ..store.outbox import APPEND_ONLY, OUTPUTS, SYNCED_TABLES
from ..store.outputs import insert_pulled
from . import codec, local

log = logging.getLogger("onsembl.sync.apply")

NATURAL_KEYS = {"command_presets": ("user_id", "name"), "execution_constraints": ("name",)}


@dataclass(slots=True)
class Applied:
    tables: set[str] = field(default_factory=set)
    rows: int = 0
    conflicts: int = 0
    leftover: list[dict[str, Any]] = field(default_factory=list)  # trace entries w/o parent


@dataclass(slots=True)
class _Conflict:
    table: str
    row_id: Any
    kept: str  # "remote" | "local" | "deleted"
    lost: dict[str, Any]
    lost_device: str | None


def apply_page(
    conn: Connection,
    rows: dict[str, list[dict[str, Any]]],
    *,
    device: str,
    gone: dict[str, list[uuid.UUID]] | None = None,
    writers: dict[tuple[str, uuid.UUID], str | None] | None = None,
    outputs: list[tuple[Any, ...]] | None = None,
    carry: list[dict[str, Any]] | None = None,
    state: dict[str, str | None] | None = None,
) -> Applied:
    """Apply remote rows (as psycopg read them), deletions and output rows; save ``state``.
    ``carry``: trace entries a previous page left over (their parent had not come yet)."""
    done = Applied()
    conflicts: list[_Conflict] = []
    winners: dict[str, list[dict[str, Any]]] = {}
    for name in SYNCED_TABLES:
        if name != OUTPUTS and rows.get(name):
            who = writers or {}
            winners[name] = _winners(conn, name, rows[name], device, who, conflicts)
            if name in NATURAL_KEYS:
                _make_room(conn, name, winners[name], device)
    if carry:
        winners.setdefault("trace_entries", [])
    _set_applying(conn, True)
    for name, values in winners.items():
        if name == "trace_entries":
            values, done.leftover = _parents_first(conn, (carry or []) + values)
        written = _upsert(conn, codec.table(name), values)
        if written:
            done.tables.add(name)
            done.rows += written
    if outputs and insert_pulled(conn, outputs):
        done.tables.add(OUTPUTS)
        done.rows += len(outputs)
    for name in reversed(SYNCED_TABLES):
        ids = (gone or {}).get(name)
        if ids and name not in APPEND_ONLY and _delete(conn, name, ids, conflicts):
            done.tables.add(name)
    _set_applying(conn, False)
    for conflict in conflicts:
        _record(conn, conflict)
    done.conflicts = len(conflicts)
    if state:
        local.set_state(conn, state)
    return done


def _set_applying(conn: Connection, on: bool) -> None:
    conn.exec_driver_sql("UPDATE sync_flags SET applying = ?", (1 if on else 0,))


def _pending(conn: Connection, name: str, row_id: uuid.UUID) -> bool:
    return (
        conn.exec_driver_sql(
            "SELECT 1 FROM sync_outbox WHERE tbl = ? AND row_id = ? LIMIT 1", (name, row_id.hex)
        ).first()
        is not None
    )


def _winners(
    conn: Connection,
    name: str,
    records: list[dict[str, Any]],
    device: str,
    writers: dict[tuple[str, uuid.UUID], str | None],
    conflicts: list[_Conflict],
) -> list[dict[str, Any]]:
    """The remote rows to write: all, but those losing to a local change not yet pushed."""
    tbl = codec.table(name)
    out = []
    for record in records:
        values = codec.from_remote(tbl, record)
        row_id = record["id"]
        if "updated_at" not in tbl.c or not _pending(conn, name, row_id):
            out.append(values)
            continue
        mine = conn.execute(select(tbl).where(tbl.c.id == row_id)).first()
        if mine is None:
            out.append(values)
            continue
        ours = {c.key: mine._mapping[c] for c in tbl.columns}
        if ours == values:
            continue  # the same version both sides: nothing to do, nothing lost
        theirs = record.get("_device", writers.get((name, row_id)))
        if _newer(values["updated_at"], theirs, ours["updated_at"], device):
            out.append(values)
            local.drop_pending(conn, name, [str(row_id)])
            conflicts.append(_Conflict(name, row_id, "remote", ours, device))
        else:
            conflicts.append(_Conflict(name, row_id, "local", values, theirs))
    return out


def _newer(stamp: datetime, dev: str | None, other: datetime, other_dev: str | None) -> bool:
    """Whether (stamp, dev) beats (other, other_dev): later wins, then the higher device id."""
    return (stamp, dev or "") > (other, other_dev or "")


def _make_room(conn: Connection, name: str, values: list[dict[str, Any]], device: str) -> None:
    """Rename local rows whose natural key a pulled row takes; one default profile."""
    tbl = codec.table(name)
    key = NATURAL_KEYS[name]
    for row in values:
        clash = conn.execute(
            select(tbl.c.id, tbl.c.name).where(
                *(tbl.c[k] == row[k] for k in key), tbl.c.id != row["id"]
            )
        ).first()
        if clash is not None:
            rename(conn, name, clash.id, clash.name, device)
        if name == "execution_constraints" and row.get("is_default"):
            conn.execute(
                update(tbl)
                .where(tbl.c.is_default.is_(True), tbl.c.id != row["id"])
                .values(is_default=False)
            )


def rename(conn: Connection, name: str, row_id: Any, current: str, device: str) -> str:
    """Give a local row a name no other row has: "name (device)", then "(device 2)"..."""
    tbl = codec.table(name)
    width = int(getattr(tbl.c.name.type, "length", None) or 100)
    taken = set(conn.execute(select(tbl.c.name)).scalars())
    suffix = device[:6]
    n = 1
    while True:
        tail = f" ({suffix}{f' {n}' if n > 1 else ''})"
        fresh = current[: width - len(tail)] + tail
        if fresh not in taken:
            break
        n += 1
    conn.execute(update(tbl).where(tbl.c.id == row_id).values(name=fresh))
    log.info(
        "sync: renamed %s %r to %r (another device has one of that name)", name, current, fresh
    )
    return fresh


def _parents_first(
    conn: Connection, values: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trace entries ordered parents first; those whose parent is nowhere yet are left over."""
    here = existing_ids(
        conn, "trace_entries", "id", [v["parent_id"].hex for v in values if v.get("parent_id")]
    )
    known = {uuid.UUID(h) for h in here}
    ordered: list[dict[str, Any]] = []
    waiting = list(values)
    while waiting:
        ready = [v for v in waiting if v.get("parent_id") is None or v["parent_id"] in known]
        if not ready:
            break
        ordered += ready
        known.update(v["id"] for v in ready)
        waiting = [v for v in waiting if v not in ready]
    return ordered, waiting


def _upsert(conn: Connection, tbl: Table, values: list[dict[str, Any]]) -> int:
    if not values:
        return 0
    stmt = sqlite_insert(tbl)
    key = [c.name for c in tbl.primary_key.columns]
    if tbl.name in APPEND_ONLY:
        stmt = stmt.on_conflict_do_nothing(index_elements=key)
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={c.key: stmt.excluded[c.key] for c in tbl.columns if not c.primary_key},
        )
    try:
        with conn.begin_nested():
            conn.execute(stmt, values)
        return len(values)
    except IntegrityError:
        pass
    written = 0
    for row in values:  # one bad row (a parent refused here) must not sink the page
        try:
            with conn.begin_nested():
                conn.execute(stmt, [row])
            written += 1
        except IntegrityError as exc:
            log.warning("sync: a pulled %s row was refused: %s", tbl.name, exc.orig)
    return written


def _delete(
    conn: Connection,
    name: str,
    ids: Iterable[uuid.UUID],
    conflicts: list[_Conflict],
    *,
    force: bool = False,
) -> int:
    """Delete rows deleted elsewhere; a local change waiting for them loses (``force``: the
    push just found the row gone, so the local version loses)."""
    tbl = codec.table(name)
    deleted = 0
    for row_id in ids:
        if "updated_at" in tbl.c and (force or _pending(conn, name, row_id)):
            mine = conn.execute(select(tbl).where(tbl.c.id == row_id)).first()
            if mine is not None:
                ours = {c.key: mine._mapping[c] for c in tbl.columns}
                conflicts.append(_Conflict(name, row_id, "deleted", ours, None))
            local.drop_pending(conn, name, [str(row_id)])
        try:
            with conn.begin_nested():
                deleted += conn.execute(tbl.delete().where(tbl.c.id == row_id)).rowcount
        except IntegrityError as exc:
            log.warning("sync: a %s row deleted elsewhere is still needed here: %s", name, exc)
    return deleted


def _record(conn: Connection, c: _Conflict) -> None:
    queries.insert_audit(
        conn,
        AuditEventType.SYNC_CONFLICT,
        details={
            "table": c.table,
            "id": str(c.row_id),
            "kept": c.kept,
            "lostDevice": c.lost_device,
            "lost": codec.json_safe(c.lost),
        },
    )


# --- after a push ---------------------------------------------------------------------------------


def take_push(
    conn: Connection,
    *,
    last_seq: int,
    partial: tuple[int, int] | None,
    lost: dict[str, list[dict[str, Any]]],
    gone: dict[str, list[str]],
    collisions: dict[str, list[str]],
    overwritten: dict[str, list[dict[str, Any]]] | None = None,
    device: str,
) -> Applied:
    """The remote committed a batch: its outbox entries go; rows it did not take because its
    version is newer (or deleted) take that version here; rows whose name another device's row
    holds are renamed (and so queued again)."""
    local.mark_pushed(conn, last_seq, partial)
    done = Applied()
    conflicts: list[_Conflict] = []
    for name, records in (overwritten or {}).items():
        tbl = codec.table(name)
        for record in records:
            values = codec.from_remote(tbl, record)
            conflicts.append(_Conflict(name, record["id"], "local", values, record["_device"]))
    newer: dict[str, list[dict[str, Any]]] = {}
    for name, records in lost.items():
        tbl = codec.table(name)
        for record in records:
            values = codec.from_remote(tbl, record)
            if _pending(conn, name, record["id"]):
                continue  # changed again meanwhile: the next push decides
            mine = conn.execute(select(tbl).where(tbl.c.id == record["id"])).first()
            ours = None if mine is None else {c.key: mine._mapping[c] for c in tbl.columns}
            if ours == values:
                continue
            if ours is not None:
                conflicts.append(_Conflict(name, record["id"], "remote", ours, device))
            newer.setdefault(name, []).append(values)
    _set_applying(conn, True)
    for name in SYNCED_TABLES:
        if newer.get(name):
            done.rows += _upsert(conn, codec.table(name), newer[name])
            done.tables.add(name)
    for name in reversed(SYNCED_TABLES):
        ids = [uuid.UUID(i) for i in gone.get(name, [])]
        if ids and _delete(conn, name, ids, conflicts, force=True):
            done.tables.add(name)
    _set_applying(conn, False)
    for name, clashing in collisions.items():
        tbl = codec.table(name)
        for row_id in clashing:
            current = conn.execute(select(tbl.c.name).where(tbl.c.id == uuid.UUID(row_id)))
            found = current.scalar()
            if found is not None:
                rename(conn, name, uuid.UUID(row_id), found, device)
                done.tables.add(name)
    for conflict in conflicts:
        _record(conn, conflict)
    done.conflicts = len(conflicts)
    return done


# --- the person ---------------------------------------------------------------------------------


def adopt_owner(conn: Connection, owner: dict[str, Any], old: uuid.UUID, device: str) -> None:
    """This app's user becomes the database's person (one person, many devices): the row is
    taken from the remote, and everything of the old one moves to it (and is pushed)."""
    users = codec.table("users")
    values = codec.from_remote(users, owner) | {"is_local": True}
    new = values["id"]
    _upsert(conn, users, [values])
    presets = codec.table("command_presets")
    theirs = set(conn.execute(select(presets.c.name).where(presets.c.user_id == new)).scalars())
    for row in conn.execute(select(presets.c.id, presets.c.name).where(presets.c.user_id == old)):
        if row.name in theirs:
            rename(conn, "command_presets", row.id, row.name, device)
    for name in ("commands", "command_presets", "audit_logs"):
        tbl = codec.table(name)
        conn.execute(update(tbl).where(tbl.c.user_id == old).values(user_id=new))
    conn.execute(users.delete().where(users.c.id == old))
    local.set_state(conn, {local.OWNER: str(new)})
