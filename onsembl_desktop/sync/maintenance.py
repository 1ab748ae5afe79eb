"""Remote retention and the lease that makes one device at a time run it.

The same rules as the local database (``store.retention``): audit log partitions older than 30
days are dropped (``onsembl_audit_logs_maintain()``, which also makes next month's), terminal
output older than 90 days is deleted (there is no remote archive: each device archives its own
copy before deleting it locally). Besides, sync-log entries older than 30 days are pruned; the
newest pruned transaction is kept as ``log_horizon`` so a device whose cursor is older knows to
copy everything again.

The lease is a row with an expiry, taken or renewed atomically; it needs no session state, so it
works through a connection pooler too. Whoever holds it runs the jobs at most once an hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg

log = logging.getLogger("onsembl.sync.maintenance")

LEASE = "maintenance"
LEASE_TTL = timedelta(minutes=3)
EVERY = timedelta(hours=1)
OUTPUT_RETENTION = timedelta(days=90)
LOG_RETENTION = timedelta(days=30)
BATCH = 10_000  # rows per delete, so no statement holds locks for long


@dataclass(slots=True)
class MaintenanceReport:
    partitions: list[str] = field(default_factory=list)
    outputs_deleted: int = 0
    log_pruned: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "outputsDeleted": self.outputs_deleted,
            "logPruned": self.log_pruned,
        }


async def take_lease(conn: psycopg.AsyncConnection[Any], device: str) -> bool:
    """Take the maintenance lease, or renew ours; False while another device holds it."""
    row = await (
        await conn.execute(
            "INSERT INTO onsembl_sync_lease AS l (name, holder, expires_at) "
            "VALUES (%s, %s, now() + %s) ON CONFLICT (name) DO UPDATE "
            "SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
            "WHERE l.holder = EXCLUDED.holder OR l.expires_at < now() RETURNING holder",
            (LEASE, device, LEASE_TTL),
        )
    ).fetchone()
    return row is not None


async def release_lease(conn: psycopg.AsyncConnection[Any], device: str) -> None:
    await conn.execute(
        "DELETE FROM onsembl_sync_lease WHERE name = %s AND holder = %s", (LEASE, device)
    )


async def due(conn: psycopg.AsyncConnection[Any]) -> bool:
    row = await (
        await conn.execute(
            "SELECT coalesce((SELECT value::timestamptz FROM onsembl_sync_meta "
            "WHERE key = 'maintained_at') < now() - %s, true)",
            (EVERY,),
        )
    ).fetchone()
    return bool(row and row[0])


async def run(conn: psycopg.AsyncConnection[Any]) -> MaintenanceReport:
    """The retention jobs, each in its own short transactions (the caller holds the lease)."""
    report = MaintenanceReport()
    async with conn.transaction():
        rows = await (await conn.execute("SELECT onsembl_audit_logs_maintain()")).fetchall()
        report.partitions = [r[0] for r in rows]
    while True:
        async with conn.transaction():
            cur = await conn.execute(
                "DELETE FROM terminal_outputs WHERE id IN (SELECT id FROM terminal_outputs "
                'WHERE "timestamp" < now() - %s LIMIT %s)',
                (OUTPUT_RETENTION, BATCH),
            )
        report.outputs_deleted += max(cur.rowcount, 0)
        if cur.rowcount < BATCH:
            break
    async with conn.transaction():
        # Everything up to the newest transaction that logged only old entries goes, and that
        # transaction is the horizon: a cursor at or before it may have missed entries.
        found = await (
            await conn.execute(
                "SELECT max(xid)::text FROM onsembl_sync_log WHERE logged_at < now() - %s",
                (LOG_RETENTION,),
            )
        ).fetchone()
        horizon = found[0] if found else None
        if horizon is not None:
            cur = await conn.execute(
                "DELETE FROM onsembl_sync_log WHERE xid <= %s::xid8", (horizon,)
            )
            report.log_pruned = max(cur.rowcount, 0)
            await conn.execute(
                "INSERT INTO onsembl_sync_meta (key, value) VALUES ('log_horizon', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (horizon,),
            )
        await conn.execute(
            "INSERT INTO onsembl_sync_meta (key, value) VALUES ('maintained_at', now()::text) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        )
    log.info("remote retention done: %s", report.as_dict())
    return report
