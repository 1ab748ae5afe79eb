"""The local SQLite schema: versioned at open, migrated from version 1, newer files refused."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from onsembl_desktop.store import migrations, search
from onsembl_desktop.store.db import (
    DB_FILENAME,
    DatabaseOpenError,
    SchemaTooNewError,
    open_database,
)
from onsembl_desktop.store.models import AuditLog, Base

V1_SCHEMA = Path(__file__).parent / "data" / "schema_v1.sql"
T0 = "2026-01-05 10:00:00.000000"


def schema_of(path: Path) -> list[tuple[str, str, str, str | None]]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        return [tuple(r) for r in rows]
    finally:
        con.close()


def dump(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [*con.iterdump(), f"user_version={con.execute('PRAGMA user_version').fetchone()}"]
    finally:
        con.close()


def version_of(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def make_v1_file(path: Path) -> dict[str, str]:
    """A database as version 1 wrote it, with a little of everything in it."""
    ids = {k: uuid.uuid4().hex for k in ("user", "agent", "command", "audit")}
    con = sqlite3.connect(path)
    con.executescript(V1_SCHEMA.read_text())
    con.executescript(
        f"""
        INSERT INTO users VALUES ('{ids["user"]}', 'me', NULL, 1, '{T0}', '{T0}');
        INSERT INTO agents (id, name, type, status, activity_state, host_machine, health_metrics,
            config, created_at, updated_at)
            VALUES ('{ids["agent"]}', 'sh1', 'SHELL', 'OFFLINE', 'IDLE', 'box', '{{}}', '{{}}',
                    '{T0}', '{T0}');
        INSERT INTO commands (id, user_id, content, type, target_agents, broadcast, status,
            priority, execution_constraints, created_at, updated_at)
            VALUES ('{ids["command"]}', '{ids["user"]}', 'grep needle haystack', 'NATURAL', '[]',
                    0, 'COMPLETED', 50, '{{}}', '{T0}', '{T0}');
        INSERT INTO terminal_outputs VALUES
            ('{uuid.uuid4().hex}', '{ids["command"]}', '{ids["agent"]}', 'STDOUT',
             'first li', 0, '{T0}', 1, '{T0}'),
            ('{uuid.uuid4().hex}', '{ids["command"]}', '{ids["agent"]}', 'STDOUT',
             char(27) || '[1mne' || char(27) || '[0m found' || char(10) || 'tail', 1,
             '{T0}', 2, '{T0}');
        INSERT INTO audit_logs (id, event_type, details, created_at)
            VALUES ('{ids["audit"]}', 'AGENT_CONNECT', '{{"name": "sh1"}}', '{T0}');
        PRAGMA user_version = 1;
        """
    )
    con.commit()
    con.close()
    return ids


def test_a_new_database_is_at_the_current_version_with_every_table(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    open_database(path).dispose()
    assert version_of(path) == migrations.SCHEMA_VERSION
    tables = {name for kind, name, _, _ in schema_of(path) if kind == "table"}
    assert set(Base.metadata.tables) <= tables
    assert {"output_text", "output_fts", "command_fts", "retention_state"} <= tables


def test_a_migrated_version_1_file_ends_identical_to_a_new_one(tmp_path: Path) -> None:
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    open_database(new).dispose()
    make_v1_file(old)
    open_database(old).dispose()
    assert schema_of(old) == schema_of(new)
    assert version_of(old) == version_of(new) == migrations.SCHEMA_VERSION


def test_migrating_keeps_the_rows_backs_up_the_file_and_indexes_for_search(
    tmp_path: Path,
) -> None:
    path = tmp_path / DB_FILENAME
    ids = make_v1_file(path)
    before = dump(path)
    engine = open_database(path)
    try:
        assert dump(tmp_path / f"{DB_FILENAME}.v1.bak") == before  # the version 1 file, as it was
        with engine.connect() as conn:
            audit = conn.execute(select(AuditLog)).one()
            assert audit.id.hex == ids["audit"] and audit.details == {"name": "sh1"}
            found = search.history(conn, search="needle")
            assert [e.command.id.hex for e in found] == [ids["command"]]
            # The word split across two chunks (and a colour code) is found whole.
            found = search.history(conn, search="first line")
            assert [(e.command.id.hex, e.lines) for e in found] == [
                (ids["command"], [("sh1", "first line found")])
            ]
            assert len(search.history(conn, search="tail")) == 1
    finally:
        engine.dispose()


def test_a_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    open_database(path).dispose()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError, match="Upgrade Onsembl Desktop"):
        open_database(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.bak"))


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseOpenError, match="not an Onsembl database"):
        open_database(path)


def test_every_foreign_key_leads_an_index(sqlite_engine: Engine) -> None:
    """The data model: B-tree indexes on all foreign keys.

    A key is served by an index that starts with it, or with its first columns (the parent
    trace's (parent_id, command_id) key by the parent_id index).
    """
    with sqlite_engine.connect() as conn:
        for table in Base.metadata.tables:
            leading = set()
            for index in conn.exec_driver_sql(f"PRAGMA index_list({table})").all():
                cols = [r[2] for r in conn.exec_driver_sql(f"PRAGMA index_info({index[1]})")]
                leading.update(tuple(cols[:n]) for n in range(1, len(cols) + 1))
            fks: dict[int, list[str]] = {}
            for fk in conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})").all():
                fks.setdefault(fk[0], []).append(fk[3])
            for cols in fks.values():
                assert tuple(cols[:1]) in leading, f"{table}.{cols} has no index"
