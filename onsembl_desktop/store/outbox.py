"""The local half of sync (schema 4): this data dir's device id, and the outbox of changes.

While sync is configured (``sync_flags.recording``), every insert, update and delete of a synced
table adds a row to ``sync_outbox`` by trigger, in the same transaction as the change; the sync
engine pushes the rows' current state and deletes the entries only after the remote commit.
Terminal output, the one high-volume table, has no triggers: the writer adds one *range* entry
(rowids ``lo``..``hi``) per bulk insert (:func:`record_output_range`), also in its transaction.
Changes pulled from other devices are applied with ``sync_flags.applying`` set, so they do not
echo back into the outbox.

Local bookkeeping (``agent_streams``, the search tables, ``retention_state``) and
``command_queue`` (each app's live scheduling of its own agents, renumbered on every change) are
never synced.
"""

from __future__ import annotations

from sqlalchemy import Connection

# Synced tables, parents before children (the order pushes and pulls apply them in).
SYNCED_TABLES = (
    "users",
    "agents",
    "execution_constraints",
    "command_presets",
    "commands",
    "command_runs",
    "trace_entries",
    "investigation_reports",
    "terminal_outputs",
    "audit_logs",
)
OUTPUTS = "terminal_outputs"
# Append-only tables: no delete is ever pushed (local retention is local).
APPEND_ONLY = ("terminal_outputs", "audit_logs")

DEVICE_ID = "device_id"
_RECORD = "(SELECT recording AND NOT applying FROM sync_flags WHERE id = 1)"


def _triggers(table: str) -> list[str]:
    events = [("ai", "INSERT", "NEW"), ("au", "UPDATE", "NEW")]
    if table not in APPEND_ONLY:
        events.append(("ad", "DELETE", "OLD"))
    return [
        f"""CREATE TRIGGER sync_{table}_{suffix} AFTER {event} ON {table} WHEN {_RECORD} BEGIN
        INSERT INTO sync_outbox (tbl, row_id) VALUES ('{table}', {row}.id);
    END"""
        for suffix, event, row in events
    ]


V4_EXTRAS = [
    # Key/value state of sync: this device's id, the configuration, the pull cursor...
    """CREATE TABLE sync_state (
        key VARCHAR(64) NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    # One id per data dir (the device), made with the database.
    "INSERT INTO sync_state (key, value) VALUES ('device_id', lower(hex(randomblob(16))))",
    # What the triggers read: one row, so their WHEN costs one primary-key lookup.
    """CREATE TABLE sync_flags (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        recording INTEGER NOT NULL,
        applying INTEGER NOT NULL
    )""",
    "INSERT INTO sync_flags (id, recording, applying) VALUES (1, 0, 0)",
    # A row entry (tbl, row_id) or an output range (tbl, lo, hi); ``at``: when (Julian day).
    """CREATE TABLE sync_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tbl VARCHAR(40) NOT NULL,
        row_id CHAR(32),
        lo INTEGER,
        hi INTEGER,
        at REAL NOT NULL DEFAULT (julianday('now'))
    )""",
    "CREATE INDEX ix_sync_outbox_tbl_row_id ON sync_outbox (tbl, row_id)",
    # An agent belongs to the app that stored it first (pulled agents carry their device).
    """CREATE TRIGGER agents_device_id AFTER INSERT ON agents WHEN NEW.device_id IS NULL BEGIN
        UPDATE agents SET device_id = (SELECT value FROM sync_state WHERE key = 'device_id')
            WHERE rowid = NEW.rowid;
    END""",
    *(sql for table in SYNCED_TABLES if table != OUTPUTS for sql in _triggers(table)),
]


def create_v4_extras(conn: Connection) -> None:
    for statement in V4_EXTRAS:
        conn.exec_driver_sql(statement)


def record_output_range(conn: Connection, lo: int, hi: int) -> None:
    """Output rows ``lo``..``hi`` (rowids) were just inserted: an outbox entry if recording."""
    conn.exec_driver_sql(
        "INSERT INTO sync_outbox (tbl, lo, hi) SELECT 'terminal_outputs', ?, ? "
        "WHERE (SELECT recording FROM sync_flags WHERE id = 1)",
        (lo, hi),
    )


def device_id(conn: Connection) -> str:
    """This data dir's device id (32 hex digits)."""
    value: str = conn.exec_driver_sql(
        "SELECT value FROM sync_state WHERE key = 'device_id'"
    ).scalar_one()
    return value
