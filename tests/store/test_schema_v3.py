"""Schema version 3: terminal_outputs.raw; SQL NULL, not JSON 'null', in nullable JSON columns."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import insert, select

from onsembl_desktop.store import migrations, pg_migrate
from onsembl_desktop.store.db import DB_FILENAME, make_engine, open_database
from onsembl_desktop.store.models import CommandPreset, InvestigationReport, TraceEntry
from onsembl_desktop.store.types import utcnow
from tests.store.conftest import PgServer, seed_rows
from tests.store.test_sqlite_schema import T0, make_v1_file, schema_of


def make_v2_file(path: Path) -> dict[str, str]:
    """A version 2 database (version 1 migrated by the version 2 step), with JSON 'null's.

    (target_agent_types was never 'null': version 2's trigger refused it, hence a workaround in
    the preset queries then.)
    """
    ids = make_v1_file(path)
    engine = make_engine(path)
    with engine.begin() as conn:
        migrations._step_1_to_2(conn)
        conn.exec_driver_sql("PRAGMA user_version = 2")
    engine.dispose()
    ids |= {k: uuid.uuid4().hex for k in ("preset", "trace", "report")}
    con = sqlite3.connect(path)
    con.executescript(
        f"""
        INSERT INTO command_presets (id, user_id, name, content, type, target_agent_types,
            variables, usage_count, created_at, updated_at)
            VALUES ('{ids["preset"]}', '{ids["user"]}', 'p', 'x', 'NATURAL', NULL, 'null', 0,
                    '{T0}', '{T0}');
        INSERT INTO trace_entries (id, command_id, agent_id, type, name, content, started_at,
            metadata, created_at)
            VALUES ('{ids["trace"]}', '{ids["command"]}', '{ids["agent"]}', 'TOOL_CALL', 't',
                    '{{}}', '{T0}', 'null', '{T0}');
        INSERT INTO investigation_reports (id, command_id, agent_id, title, summary, status,
            content, attachments, vector_embedding, created_at, updated_at)
            VALUES ('{ids["report"]}', '{ids["command"]}', '{ids["agent"]}', 'r', '', 'DRAFT',
                    '{{}}', 'null', 'null', '{T0}', '{T0}');
        """
    )
    con.commit()
    con.close()
    return ids


# Whether the nullable JSON columns of the (one) preset, trace entry and report are SQL NULL.
ARE_NULL = (
    "SELECT (SELECT target_agent_types IS NULL AND variables IS NULL FROM command_presets), "
    "(SELECT metadata IS NULL FROM trace_entries), "
    "(SELECT attachments IS NULL AND vector_embedding IS NULL FROM investigation_reports)"
)


def test_a_version_2_file_migrates_to_one_identical_to_a_new_one(tmp_path: Path) -> None:
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    open_database(new).dispose()
    make_v2_file(old)
    con = sqlite3.connect(old)
    before = con.execute(
        "SELECT rowid, id, content FROM terminal_outputs ORDER BY rowid"
    ).fetchall()
    con.close()
    open_database(old).dispose()
    assert schema_of(old) == schema_of(new)
    con = sqlite3.connect(old)
    try:
        after = con.execute(
            "SELECT rowid, id, content, raw FROM terminal_outputs ORDER BY rowid"
        ).fetchall()
        assert [r[:3] for r in after] == before and len(after) == 2  # rows and rowids kept
        assert {r[3] for r in after} == {None}
        nulls = con.execute(ARE_NULL).fetchone()
        assert nulls == (1, 1, 1)
    finally:
        con.close()


def test_python_none_in_a_nullable_json_column_is_sql_null(tmp_path: Path) -> None:
    engine = open_database(tmp_path / DB_FILENAME)
    try:
        with engine.begin() as conn:
            seed = seed_rows(conn)
            now = utcnow()
            conn.execute(
                insert(CommandPreset).values(
                    id=uuid.uuid4(),
                    user_id=seed.user_id,
                    name="p",
                    content="x",
                    type="NATURAL",
                    target_agent_types=None,
                    variables=None,
                )
            )
            conn.execute(
                insert(TraceEntry).values(
                    id=uuid.uuid4(),
                    command_id=seed.command_id,
                    agent_id=seed.agent_id,
                    type="TOOL_CALL",
                    name="t",
                    started_at=now,
                    meta=None,
                )
            )
            conn.execute(
                insert(InvestigationReport).values(
                    id=uuid.uuid4(),
                    command_id=seed.command_id,
                    agent_id=seed.agent_id,
                    title="r",
                    attachments=None,
                    vector_embedding=None,
                )
            )
            stored = conn.exec_driver_sql(ARE_NULL).one()
            assert tuple(stored) == (1, 1, 1)
            assert conn.execute(select(TraceEntry.meta)).scalar_one() is None
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_migration_0006_turns_json_null_into_sql_null_on_postgresql(pg: PgServer) -> None:
    url = pg.create_database()
    with psycopg.connect(url) as conn:  # the schema as 0005 left it, by hand
        for migration in pg_migrate.load_migrations():
            if migration.version < 6:
                conn.execute(migration.sql.encode())
        user, command, agent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        conn.execute("INSERT INTO users VALUES (%s, 'me', NULL, true, now(), now())", (user,))
        conn.execute(
            "INSERT INTO agents VALUES (%s, 'a', 'SHELL', 'OFFLINE', 'IDLE', '', NULL, NULL, NULL,"
            " '{}', '{}', now(), now())",
            (agent,),
        )
        conn.execute(
            "INSERT INTO commands (id, user_id, content, type, target_agents, status, priority,"
            " execution_constraints, created_at, updated_at) VALUES (%s, %s, 'x', 'NATURAL',"
            " '{}', 'PENDING', 50, '{}', now(), now())",
            (command, user),
        )
        conn.execute(
            "INSERT INTO command_presets (id, user_id, name, content, type, variables,"
            " usage_count, created_at, updated_at)"
            " VALUES (%s, %s, 'p', 'x', 'NATURAL', 'null', 0, now(), now())",
            (uuid.uuid4(), user),
        )
        conn.execute(
            "INSERT INTO trace_entries (id, command_id, agent_id, type, name, content,"
            " started_at, metadata, created_at)"
            " VALUES (%s, %s, %s, 'TOOL_CALL', 't', '{}', now(), 'null', now())",
            (uuid.uuid4(), command, agent),
        )
    # The recorded migrations: pretend 0001-0005 went through ``upgrade``.
    with psycopg.connect(url) as conn:
        conn.execute(
            f"CREATE TABLE {pg_migrate.MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT"
            " NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
            " app_version TEXT NOT NULL)"
        )
        for m in pg_migrate.load_migrations():
            if m.version < 6:
                conn.execute(
                    f"INSERT INTO {pg_migrate.MIGRATIONS_TABLE} (version, name, checksum,"
                    " app_version) VALUES (%s, %s, %s, 'test')",
                    (m.version, m.name, m.checksum),
                )
    assert pg_migrate.upgrade(url)[0].version == 6
    with psycopg.connect(url) as conn:
        nulls = conn.execute(
            "SELECT (SELECT variables IS NULL FROM command_presets),"
            " (SELECT metadata IS NULL FROM trace_entries),"
            " (SELECT count(*) FROM information_schema.columns"
            "  WHERE table_name = 'terminal_outputs' AND column_name = 'raw')"
        ).fetchone()
    assert nulls == (True, True, 1)
