"""The remote side of sync: one psycopg (async) connection to the PostgreSQL database.

Pushes are one transaction each, in the order parents before children: per table one upsert of
all its rows (sent as one JSON array), terminal output by ``COPY`` into a temporary table and
one ``INSERT ... ON CONFLICT DO NOTHING``, deletes last (children first). The session names
this device (``onsembl.device``) so the log triggers of ``schema/0007_sync.sql`` record who made
each change and other devices can tell theirs from ours.

Conflicts: a row with ``updated_at`` is only overwritten by a version at least as new, ties
going to the higher device id (``(updated_at, device) >=`` the stored version's); a row whose
id has a tombstone in the log is never written again. Rows a push did not write come back as
``lost``, with the remote version (or none: deleted), for the local side to take.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ..errors import KnownError
from ..store.outbox import OUTPUTS, SYNCED_TABLES
from . import codec
from .local import OutboxBatch

log = logging.getLogger("onsembl.sync.remote")

ZERO = "00000000-0000-0000-0000-000000000000"
# Tables whose rows are replaced only by a newer version (the others have one writer each).
LWW_TABLES = tuple(t for t in SYNCED_TABLES if t not in ("trace_entries", "audit_logs", OUTPUTS))
# Natural keys besides the id: a different row already holding one is a collision.
NATURAL_KEYS = {"command_presets": ("user_id", "name"), "execution_constraints": ("name",)}
_OUTPUT_SELECT = (
    "replace(t.id::text, '-', ''), replace(t.command_id::text, '-', ''), "
    "replace(t.agent_id::text, '-', ''), t.stream_type, t.content, t.ansi_codes::int, "
    """to_char(t."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), t.sequence, """
    "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), t.raw"
)


class SyncConfigError(KnownError):
    """The remote refuses us for a reason the user must fix (URL, password, permissions,
    schema): retried, but slowly."""


class Offline(Exception):
    """The network or the database is away: retried with backoff."""


_CONFIG_WORDS = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "does not exist",
    "no pg_hba.conf entry",
    "permission denied",
    "invalid dsn",
    "invalid connection option",
    "invalid uri",
)


def classify(exc: BaseException) -> Exception:
    """``exc`` as a :class:`SyncConfigError` (the user's to fix) or :class:`Offline`."""
    if isinstance(exc, SyncConfigError | Offline):
        return exc
    text = _first_line(exc)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return SyncConfigError(f"the database user lacks a permission sync needs: {text}")
    lowered = text.lower()
    if isinstance(exc, psycopg.ProgrammingError | psycopg.OperationalError) and any(
        word in lowered for word in _CONFIG_WORDS
    ):
        return SyncConfigError(text)
    return Offline(text or type(exc).__name__)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    text = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", text)  # never show a password
    return text.splitlines()[0] if text else ""


@dataclass(slots=True)
class PushResult:
    applied: int = 0
    lost: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # remote versions
    gone: dict[str, list[str]] = field(default_factory=dict)  # lost to a delete
    collisions: dict[str, list[str]] = field(default_factory=dict)  # ids to rename locally
    refused: list[str] = field(default_factory=list)  # rows the remote would not take: why
    # Remote versions our rows replaced that we had not pulled yet: concurrent edits, lost.
    overwritten: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(slots=True)
class PulledPage:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gone: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    writers: dict[tuple[str, uuid.UUID], str | None] = field(default_factory=dict)
    outputs: list[tuple[Any, ...]] = field(default_factory=list)  # as SQLite stores them
    cursor: tuple[str, int] | None = None
    entries: int = 0
    caught_up: bool = True

    @property
    def count(self) -> int:
        return sum(map(len, self.rows.values())) + len(self.outputs)


async def connect(url: str, *, autocommit: bool = True) -> psycopg.AsyncConnection[Any]:
    try:
        return await psycopg.AsyncConnection.connect(
            url,
            autocommit=autocommit,
            connect_timeout=10,
            application_name="onsembl-sync",
            options="-c TimeZone=UTC",
            # A vanished network is noticed in about half a minute, not hours.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
    except Exception as exc:
        raise classify(exc) from None


class Remote:
    def __init__(self, conn: psycopg.AsyncConnection[Any], device_id: str) -> None:
        self.conn = conn
        self.device = str(uuid.UUID(device_id))
        self._temp_ready = False
        self._pulled: tuple[str, int] | None = None

    async def close(self) -> None:
        await self.conn.close()

    # --- who we are ------------------------------------------------------------------------------

    async def meta(self, key: str) -> str | None:
        row = await (
            await self.conn.execute("SELECT value FROM onsembl_sync_meta WHERE key = %s", (key,))
        ).fetchone()
        return None if row is None else str(row[0])

    async def register(self, label: str, version: str) -> None:
        await self.conn.execute(
            "INSERT INTO onsembl_sync_devices (device_id, label, app_version) VALUES (%s, %s, %s) "
            "ON CONFLICT (device_id) DO UPDATE SET label = EXCLUDED.label, "
            "app_version = EXCLUDED.app_version, last_seen = now()",
            (self.device, label, version),
        )

    async def claim_owner(self, user_row: dict[str, Any]) -> str:
        """The database's person: the first device's user, pushed with the claim. Returns it."""
        async with self.conn.transaction():
            await self._as_device()
            await self.conn.execute(
                "INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, %s::jsonb) "
                "ON CONFLICT (id) DO NOTHING",
                (codec.rows_json(user_row),),
            )
            await self.conn.execute(
                "INSERT INTO onsembl_sync_meta (key, value) VALUES ('owner_user_id', %s) "
                "ON CONFLICT (key) DO NOTHING",
                (user_row["id"],),
            )
        owner = await self.meta("owner_user_id")
        assert owner is not None
        return owner

    async def rows(self, name: str, ids: list[str]) -> list[dict[str, Any]]:
        async with self.conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                sql.SQL("SELECT * FROM {} WHERE id = ANY(%s::uuid[])").format(sql.Identifier(name)),
                (ids,),
            )
            return list(await cur.fetchall())

    async def _as_device(self) -> None:
        await self.conn.execute("SELECT set_config('onsembl.device', %s, true)", (self.device,))

    # --- push ------------------------------------------------------------------------------------

    async def push(self, batch: OutboxBatch, pulled: tuple[str, int] | None = None) -> PushResult:
        """One batch in one transaction; a bad row is refused alone (the batch is redone).
        ``pulled``: our pull cursor; a remote version logged after it is one we never saw."""
        result = PushResult()
        self._pulled = pulled
        try:
            async with self.conn.transaction():
                await self._push(batch, result, careful=False)
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
            log.warning("push refused (%s); retrying row by row", _first_line(exc))
            result = PushResult()
            async with self.conn.transaction():
                await self._push(batch, result, careful=True)
        return result

    async def _push(self, batch: OutboxBatch, result: PushResult, *, careful: bool) -> None:
        await self._as_device()
        for name in SYNCED_TABLES:
            rows = batch.rows.get(name)
            if rows:
                rows = await self._collisions(name, rows, result)
                if careful:
                    for row in rows:
                        await self._careful(result, name, self._upsert(name, [row], result), row)
                elif rows:
                    await self._upsert(name, rows, result)
        if batch.output_count:
            await self._outputs(batch, result)
        for name in reversed(SYNCED_TABLES):
            ids = batch.deletes.get(name)
            if ids:
                query = sql.SQL("DELETE FROM {} WHERE id = ANY(%s::uuid[])")
                await self.conn.execute(query.format(sql.Identifier(name)), (ids,))

    async def _careful(self, result: PushResult, name: str, work: Any, row: Any) -> None:
        try:
            async with self.conn.transaction():
                await work
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
            why = f"{name} {row.get('id')}: {_first_line(exc)}"
            log.error("sync: the remote database refused %s", why)
            result.refused.append(why)

    async def _collisions(
        self, name: str, rows: list[dict[str, Any]], result: PushResult
    ) -> list[dict[str, Any]]:
        """Rows whose natural key another row holds remotely are held back, to be renamed."""
        key = NATURAL_KEYS.get(name)
        if key is None:
            return rows
        joined = sql.SQL(" AND ").join(
            sql.SQL("t.{0} = r.{0}").format(sql.Identifier(k)) for k in key
        )
        query = sql.SQL(
            "SELECT r.id::text FROM jsonb_populate_recordset(NULL::{t}, %s::jsonb) r "
            "JOIN {t} t ON {joined} AND t.id <> r.id"
        ).format(t=sql.Identifier(name), joined=joined)
        found = await (await self.conn.execute(query, (codec.rows_json(rows),))).fetchall()
        clash = {r[0] for r in found}
        if not clash:
            return rows
        result.collisions.setdefault(name, []).extend(clash)
        return [r for r in rows if r["id"] not in clash]

    async def _upsert(self, name: str, rows: list[dict[str, Any]], result: PushResult) -> None:
        if name == "execution_constraints":
            for row in rows:
                if row.get("is_default"):  # one default: the one pushed last takes it
                    await self.conn.execute(
                        "UPDATE execution_constraints SET is_default = false "
                        "WHERE is_default AND id <> %s",
                        (row["id"],),
                    )
        unseen = await self._unseen(name, rows) if name in LWW_TABLES else {}
        cursor = await self.conn.execute(_UPSERT[name], {"rows": codec.rows_json(rows)})
        written = {str(r[0]) for r in await cursor.fetchall()}
        replaced = [unseen[i] for i in written if i in unseen]
        if replaced:
            result.overwritten.setdefault(name, []).extend(replaced)
        result.applied += len(written)
        missed = [r["id"] for r in rows if r["id"] not in written]
        if missed and name in LWW_TABLES:
            remote = await self.rows(name, missed)
            for record in remote:
                record["_device"] = await self._last_device(name, record["id"])
            result.lost.setdefault(name, []).extend(remote)
            present = {str(r["id"]) for r in remote}
            gone = [i for i in missed if i not in present]
            if gone:
                result.gone.setdefault(name, []).extend(gone)

    async def _unseen(self, name: str, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The remote versions of ``rows`` another device wrote after our pull cursor."""
        if self._pulled is None:
            return {}
        query = sql.SQL(
            "SELECT t.*, l.device AS _device FROM {t} t JOIN LATERAL (SELECT device, xid, seq "
            "FROM onsembl_sync_log WHERE tbl = {n} AND row_id = t.id AND op <> 'R' "
            "ORDER BY xid DESC, seq DESC LIMIT 1) l ON true "
            "WHERE t.id = ANY(%s::uuid[]) AND l.device IS DISTINCT FROM %s "
            "AND (l.xid, l.seq) > (%s::xid8, %s)"
        ).format(t=sql.Identifier(name), n=sql.Literal(name))
        ids = [r["id"] for r in rows]
        async with self.conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, (ids, self.device, self._pulled[0], self._pulled[1]))
            found = await cur.fetchall()
        for record in found:
            device = record["_device"]
            record["_device"] = None if device is None else device.hex
        return {str(r["id"]): r for r in found}

    async def _last_device(self, name: str, row_id: Any) -> str | None:
        row = await (
            await self.conn.execute("SELECT onsembl_sync_last_device(%s, %s)", (name, row_id))
        ).fetchone()
        return None if row is None or row[0] is None else uuid.UUID(str(row[0])).hex

    async def _outputs(self, batch: OutboxBatch, result: PushResult) -> None:
        # Straight in (the fast path); rows already there (a batch pushed again after the remote
        # committed but before we heard) or orphans make it fail: then through a temporary table.
        try:
            async with (
                self.conn.transaction(),
                self.conn.cursor() as cur,
                cur.copy("COPY terminal_outputs FROM STDIN") as copy,
            ):
                await copy.write(batch.outputs)
            result.applied += batch.output_count
            return
        except (psycopg.errors.UniqueViolation, psycopg.errors.ForeignKeyViolation):
            pass
        if not self._temp_ready:
            await self.conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS onsembl_push_outputs "
                "(LIKE terminal_outputs) ON COMMIT DELETE ROWS"
            )
            self._temp_ready = True
        async with self.conn.cursor() as cur:
            async with cur.copy("COPY onsembl_push_outputs FROM STDIN") as copy:
                await copy.write(batch.outputs)
            try:
                async with self.conn.transaction():
                    await cur.execute(
                        "INSERT INTO terminal_outputs SELECT * FROM onsembl_push_outputs "
                        "ON CONFLICT (id) DO NOTHING"
                    )
                result.applied += max(cur.rowcount, 0)
                return
            except psycopg.errors.ForeignKeyViolation:
                pass
            # Some rows' command or agent is not in the remote database (refused earlier).
            await cur.execute(
                "INSERT INTO terminal_outputs SELECT o.* FROM onsembl_push_outputs o "
                "WHERE EXISTS (SELECT 1 FROM commands c WHERE c.id = o.command_id) "
                "AND EXISTS (SELECT 1 FROM agents a WHERE a.id = o.agent_id) "
                "ON CONFLICT (id) DO NOTHING"
            )
            result.applied += max(cur.rowcount, 0)
            orphans = await (
                await cur.execute(
                    "SELECT count(*) FROM onsembl_push_outputs o "
                    "WHERE NOT EXISTS (SELECT 1 FROM commands c WHERE c.id = o.command_id) "
                    "OR NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = o.agent_id)"
                )
            ).fetchone()
            why = f"{orphans[0] if orphans else '?'} terminal output rows: command/agent missing"
            log.error("sync: the remote database refused %s", why)
            result.refused.append(why)

    # --- pull ------------------------------------------------------------------------------------

    async def pull(self, cursor: tuple[str, int], limit: int = 5_000) -> PulledPage:
        """Changes of other devices after ``cursor``, from finished transactions only."""
        page = PulledPage(cursor=cursor)
        async with self.conn.transaction():
            await self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            row = await (
                await self.conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
            ).fetchone()
            assert row is not None
            upto = row[0]
            entries = await (
                await self.conn.execute(
                    "SELECT xid::text, seq, tbl, row_id, device, command_id, agent_id, lo, hi "
                    "FROM onsembl_sync_log WHERE (xid, seq) > (%s::xid8, %s) AND xid < %s::xid8 "
                    "AND device IS DISTINCT FROM %s ORDER BY xid, seq LIMIT %s",
                    (cursor[0], cursor[1], upto, self.device, limit),
                )
            ).fetchall()
            page.entries = len(entries)
            page.caught_up = len(entries) < limit
            page.cursor = (upto, 0) if page.caught_up else (entries[-1][0], entries[-1][1])
            wanted: dict[str, list[uuid.UUID]] = {}
            ranges: list[tuple[Any, ...]] = []
            for _xid, _seq, tbl, row_id, device, command_id, agent_id, lo, hi in entries:
                if row_id is None:
                    ranges.append((command_id, agent_id, lo, hi))
                    continue
                wanted.setdefault(tbl, []).append(row_id)
                page.writers[(tbl, row_id)] = None if device is None else device.hex
            for name, ids in wanted.items():
                unique = list(dict.fromkeys(ids))
                found = await self.rows(name, [str(i) for i in unique])
                page.rows[name] = found
                present = {r["id"] for r in found}
                gone = [i for i in unique if i not in present]
                if gone:
                    page.gone[name] = gone
            if ranges:
                page.outputs = await self._output_ranges(ranges)
        return page

    # --- a full copy (a new device, or one away for longer than the log keeps) ----------------

    async def snapshot(self) -> str:
        """Inside a transaction: make it a consistent read; returns its xmin (the cursor to
        continue from: every transaction before it is in the snapshot)."""
        await self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = await (
            await self.conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        ).fetchone()
        assert row is not None
        return str(row[0])

    async def table_page(self, name: str, after: list[Any] | None, limit: int) -> Page:
        """Up to ``limit`` rows of a table after the key ``after``, in key order (trace entries
        by command and start, so parents come before their children)."""
        key, order = _PAGE_KEYS.get(name, (["id"], "t.id"))
        if name == OUTPUTS:
            columns = f"{_OUTPUT_SELECT}, t.id"
        elif name in LWW_TABLES:
            columns = "t.*, onsembl_sync_last_device({n}, t.id) AS _device"
        else:
            columns = "t.*"
        where = "" if after is None else f"WHERE ({order}) > ({', '.join(['%s'] * len(after))})"
        template = sql.SQL(f"SELECT {columns} FROM {{t}} t {where} ORDER BY {order} LIMIT {{lim}}")
        query = template.format(n=sql.Literal(name), t=sql.Identifier(name), lim=limit)
        params = list(after or [])
        if name == OUTPUTS:
            rows = await (await self.conn.execute(query, params)).fetchall()
            if not rows:
                return Page([], None)
            last = [str(rows[-1][-1])]
            tuples = sorted((tuple(r[:-1]) for r in rows), key=lambda r: (r[1], r[2], r[7]))
            return Page(tuples, last)
        async with self.conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            records = list(await cur.fetchall())
        if not records:
            return Page([], None)
        return Page(records, [_jsonable(records[-1][k]) for k in key])

    async def _output_ranges(self, ranges: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        commands, agents, los, his = (list(col) for col in zip(*ranges, strict=True))
        rows = await (
            await self.conn.execute(
                f"SELECT {_OUTPUT_SELECT} FROM unnest(%s::uuid[], %s::uuid[], %s::bigint[], "
                "%s::bigint[]) AS r(c, a, lo, hi) JOIN terminal_outputs t ON t.command_id = r.c "
                "AND t.sequence BETWEEN r.lo AND r.hi AND t.agent_id = r.a",
                (commands, agents, los, his),
            )
        ).fetchall()
        unique = {r[0]: tuple(r) for r in rows}
        return sorted(unique.values(), key=lambda r: (r[1], r[2], r[7]))


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]  # records (dicts), or output tuples as SQLite stores them
    after: list[Any] | None  # the key to continue after (JSON-safe), None: the table is done


_PAGE_KEYS = {
    "trace_entries": (["command_id", "started_at", "id"], "t.command_id, t.started_at, t.id"),
    "audit_logs": (["id", "created_at"], "t.id, t.created_at"),
}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _upsert_sql(name: str) -> sql.Composed:
    tbl = codec.table(name)
    columns = [c.name for c in tbl.columns]
    key = [c.name for c in tbl.primary_key.columns]
    head = sql.SQL(
        "INSERT INTO {t} SELECT r.* FROM jsonb_populate_recordset(NULL::{t}, %(rows)s::jsonb) r "
    ).format(t=sql.Identifier(name))
    if name == "audit_logs":
        return head + sql.SQL("ON CONFLICT ({}) DO NOTHING RETURNING id").format(
            sql.SQL(", ").join(map(sql.Identifier, key))
        )
    head += sql.SQL("WHERE NOT onsembl_sync_deleted({n}, r.id) ").format(n=sql.Literal(name))
    assign = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c not in key
    )
    upsert = head + sql.SQL("ON CONFLICT (id) DO UPDATE SET {}").format(assign)
    if name in LWW_TABLES:
        upsert += sql.SQL(
            " WHERE (EXCLUDED.updated_at, current_setting('onsembl.device')::uuid) >= "
            "({t}.updated_at, coalesce(onsembl_sync_last_device({n}, {t}.id), {zero}::uuid))"
        ).format(t=sql.Identifier(name), n=sql.Literal(name), zero=sql.Literal(ZERO))
    return upsert + sql.SQL(" RETURNING id")


_UPSERT = {name: _upsert_sql(name) for name in SYNCED_TABLES if name != OUTPUTS}
