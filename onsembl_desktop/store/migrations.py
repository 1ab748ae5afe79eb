"""Schema versions of the local SQLite database and the steps between them.

To change the schema: edit the models, bump :data:`SCHEMA_VERSION`, and add a step to ``_STEPS``
that takes a database at the previous version to the new one (tested on a file made by the previous
release). ``create_extras`` holds what ``metadata.create_all`` cannot express (triggers, FTS tables,
local-only tables) and must leave a new database identical to a migrated one: each version's
extras are a function of their own (``_extras_v2``...) that both paths call.

Version history:
  1. the spine's schema.
  2. audit_logs keyed by (id, created_at) as on PostgreSQL (monthly partitions there); full-text
     search (``store.search``); retention bookkeeping; the preset agent-types rule as a trigger.
  3. terminal_outputs.raw (the CLI's own lines); nullable JSON columns hold SQL NULL for None
     (they held the JSON text 'null').
  4. sync (``store.outbox``): the device id, the outbox and its triggers; agents.device_id, with
     agent names unique per device.
  5. approvals: the ACP agent type (agents, the presets' agent-types rule) and the APPROVAL_*
     audit events in the CHECK constraints.

Steps run with foreign keys off (``db.open_database``), so a rebuild may replace a table other
tables refer to; the result is checked with ``PRAGMA foreign_key_check`` before it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection

from ..protocol.enums import AgentType
from .models import Agent, AuditLog, TerminalOutput, table_of
from .outbox import create_v4_extras
from .search import index_outputs

SCHEMA_VERSION = 5

_AGENT_TYPES = ", ".join(f"'{t.value}'" for t in AgentType)
# A JSON array of agent-type strings, or NULL (PostgreSQL checks the TEXT[] with a CHECK).
_PRESET_TYPES_BAD = f"""NEW.target_agent_types IS NOT NULL AND (
        json_type(NEW.target_agent_types) IS NOT 'array'
        OR EXISTS (SELECT 1 FROM json_each(NEW.target_agent_types)
                   WHERE type IS NOT 'text' OR value NOT IN ({_AGENT_TYPES})))"""
_PRESET_TYPES_RAISE = (
    "SELECT RAISE(ABORT, 'CHECK constraint failed: ck_command_presets_target_agent_types')"
)
_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"

_V2_EXTRAS = [
    # Search: stripped output text in blocks of complete lines (plus each stream's unfinished
    # last line, whose raw text is in ``tail``), indexed by an external-content FTS5 table.
    """CREATE TABLE output_text (
        id INTEGER PRIMARY KEY,
        command_id CHAR(32) NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
        agent_id CHAR(32) NOT NULL,
        text TEXT NOT NULL,
        tail TEXT,
        created_at DATETIME NOT NULL
    )""",
    "CREATE INDEX ix_output_text_command_id_agent_id ON output_text (command_id, agent_id)",
    "CREATE INDEX ix_output_text_created_at ON output_text (created_at)",
    """CREATE UNIQUE INDEX uq_output_text_open_tail ON output_text (command_id, agent_id)
        WHERE tail IS NOT NULL""",
    # The ids are indexed too (one token each), so a search within one command or agent
    # intersects short lists instead of filtering every block that matches the words.
    f"""CREATE VIRTUAL TABLE output_fts USING fts5 (
        text, command_id, agent_id, content = 'output_text', content_rowid = 'id', {_TOKENIZE})""",
    """CREATE TRIGGER output_text_ai AFTER INSERT ON output_text BEGIN
        INSERT INTO output_fts (rowid, text, command_id, agent_id)
            VALUES (new.id, new.text, new.command_id, new.agent_id);
    END""",
    """CREATE TRIGGER output_text_ad AFTER DELETE ON output_text BEGIN
        INSERT INTO output_fts (output_fts, rowid, text, command_id, agent_id)
            VALUES ('delete', old.id, old.text, old.command_id, old.agent_id);
    END""",
    """CREATE TRIGGER output_text_au AFTER UPDATE OF text ON output_text BEGIN
        INSERT INTO output_fts (output_fts, rowid, text, command_id, agent_id)
            VALUES ('delete', old.id, old.text, old.command_id, old.agent_id);
        INSERT INTO output_fts (rowid, text, command_id, agent_id)
            VALUES (new.id, new.text, new.command_id, new.agent_id);
    END""",
    # Commands keep their UUID key; the FTS table holds its own copy of the (short) content and
    # the id, since a rowid of ``commands`` may change on VACUUM.
    f"CREATE VIRTUAL TABLE command_fts USING fts5 (content, command_id UNINDEXED, {_TOKENIZE})",
    """CREATE TRIGGER commands_fts_ai AFTER INSERT ON commands BEGIN
        INSERT INTO command_fts (content, command_id) VALUES (new.content, new.id);
    END""",
    """CREATE TRIGGER commands_fts_au AFTER UPDATE OF content ON commands BEGIN
        DELETE FROM command_fts WHERE command_id = old.id;
        INSERT INTO command_fts (content, command_id) VALUES (new.content, new.id);
    END""",
    """CREATE TRIGGER commands_fts_ad AFTER DELETE ON commands BEGIN
        DELETE FROM command_fts WHERE command_id = old.id;
    END""",
    # Retention: how far archiving and deletion of terminal output have got (store.retention).
    """CREATE TABLE retention_state (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    f"""CREATE TRIGGER ck_command_presets_target_agent_types_insert
        BEFORE INSERT ON command_presets WHEN {_PRESET_TYPES_BAD}
        BEGIN {_PRESET_TYPES_RAISE}; END""",
    f"""CREATE TRIGGER ck_command_presets_target_agent_types_update
        BEFORE UPDATE OF target_agent_types ON command_presets WHEN {_PRESET_TYPES_BAD}
        BEGIN {_PRESET_TYPES_RAISE}; END""",
]


def _extras_v2(conn: Connection) -> None:
    for statement in _V2_EXTRAS:
        conn.exec_driver_sql(statement)


def create_extras(conn: Connection) -> None:
    """Objects beyond the models, created with a new database."""
    _extras_v2(conn)
    create_v4_extras(conn)


# --- steps ---------------------------------------------------------------------------------------


def _step_1_to_2(conn: Connection) -> None:
    _rebuild(conn, table_of(AuditLog))
    _extras_v2(conn)
    conn.exec_driver_sql(
        "INSERT INTO command_fts (content, command_id) SELECT content, id FROM commands"
    )
    for rows in _outputs_by_command(conn):
        index_outputs(conn, rows)


# Nullable JSON columns that stored Python None as the JSON text 'null' before version 3.
_JSON_NULLABLE = {
    "command_presets": ("target_agent_types", "variables"),
    "trace_entries": ("metadata",),
    "investigation_reports": ("attachments", "vector_embedding"),
}


def _step_2_to_3(conn: Connection) -> None:
    # Rebuilt rather than ALTERed, so a migrated file's schema reads exactly as a new one's; the
    # rowids stay (output is read in rowid order within equal timestamps).
    _rebuild(conn, table_of(TerminalOutput), keep_rowid=True)
    for table, columns in _JSON_NULLABLE.items():
        for column in columns:
            conn.exec_driver_sql(f"UPDATE {table} SET {column} = NULL WHERE {column} = 'null'")


def _step_3_to_4(conn: Connection) -> None:
    # Agent names become unique per device: a new constraint, so a rebuild (children keep
    # referring to "agents" by name: legacy renaming leaves their foreign keys alone).
    conn.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        _rebuild(conn, table_of(Agent), keep_rowid=True)
    finally:
        conn.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
    create_v4_extras(conn)
    conn.exec_driver_sql(
        "UPDATE agents SET device_id = (SELECT value FROM sync_state WHERE key = 'device_id')"
    )


def _step_4_to_5(conn: Connection) -> None:
    # New enum values in CHECK constraints: the tables are rebuilt (their triggers with them:
    # sync's and the device id's, read back first), the presets' rule triggers made again.
    conn.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        for model in (Agent, AuditLog):
            table = table_of(model)
            triggers = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (table.name,),
            ).scalars()
            kept = list(triggers)
            _rebuild(conn, table, keep_rowid=True)
            for sql in kept:
                conn.exec_driver_sql(sql)
    finally:
        conn.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
    for statement in _V2_EXTRAS:
        if "ck_command_presets_target_agent_types" in statement:
            name = statement.split("TRIGGER", 1)[1].split()[0]
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
            conn.exec_driver_sql(statement)


def _rebuild(conn: Connection, table: Any, *, keep_rowid: bool = False) -> None:
    """Recreate ``table`` from the models, keeping its rows (SQLite cannot alter constraints).

    Columns the old table lacks start out NULL (or their default). A table other tables refer
    to needs ``legacy_alter_table`` on (and foreign keys off, as steps run), or the rename would
    move their references to the old table.
    """
    old = f"_old_{table.name}"
    conn.exec_driver_sql(f"ALTER TABLE {table.name} RENAME TO {old}")
    indexes = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (old,),
    ).scalars()
    for name in list(indexes):
        conn.exec_driver_sql(f"DROP INDEX {name}")
    table.create(conn)
    present = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({old})")}
    names = [c.name for c in table.columns if c.name in present]
    columns = ", ".join(["rowid", *names] if keep_rowid else names)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {old}")
    conn.exec_driver_sql(f"DROP TABLE {old}")


def _outputs_by_command(conn: Connection) -> Iterator[list[tuple[str, str, str, str]]]:
    """Each command's output rows in order, one command at a time (bounded memory)."""
    ids = conn.exec_driver_sql("SELECT DISTINCT command_id FROM terminal_outputs").scalars().all()
    for command_id in ids:
        yield list(
            conn.exec_driver_sql(
                "SELECT command_id, agent_id, content, timestamp FROM terminal_outputs "
                "WHERE command_id = ? ORDER BY sequence, timestamp",
                (command_id,),
            )
        )


_STEPS: dict[int, Callable[[Connection], None]] = {
    # version N -> function taking a version-N database to N+1
    1: _step_1_to_2,
    2: _step_2_to_3,
    3: _step_3_to_4,
    4: _step_4_to_5,
}


def upgrade(conn: Connection, from_version: int) -> None:
    for version in range(from_version, SCHEMA_VERSION):
        step = _STEPS.get(version)
        if step is None:
            raise RuntimeError(f"no migration from schema version {version} to {version + 1}")
        step(conn)
