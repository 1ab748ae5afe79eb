"""``schema/`` against a real PostgreSQL: it agrees with the models, applies once, and secures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine

from onsembl_desktop.store import pg_migrate
from onsembl_desktop.store.models import Base
from tests.store.conftest import PgServer
from tests.support import env_for_children

pytestmark = pytest.mark.postgres

DATA_MODEL_TABLES = {
    "users",
    "agents",
    "commands",
    "terminal_outputs",
    "command_presets",
    "trace_entries",
    "investigation_reports",
    "audit_logs",
    "execution_constraints",
    "command_queue",
}
# The indexes the data model names, beyond primary keys and foreign keys.
NAMED_INDEXES = {
    "ix_agents_type_status": "(type, status)",
    "ix_commands_status_created_at": "(status, created_at)",
    "ix_terminal_outputs_command_id_sequence": "(command_id, sequence)",
    "ix_terminal_outputs_timestamp": '("timestamp")',
    "ix_trace_entries_parent_id": "(parent_id)",
    "ix_trace_entries_command_id_started_at": "(command_id, started_at)",
    "ix_investigation_reports_status_created_at": "(status, created_at)",
    "ix_investigation_reports_content_gin": "USING gin (content)",
    "ix_audit_logs_event_type_created_at": "(event_type, created_at)",
    "ix_command_queue_agent_id_status_priority": "(agent_id, status, priority)",
    "ix_command_presets_usage_count": "(usage_count)",
    "uq_command_queue_waiting_position": "WHERE ((status)::text = 'WAITING'::text)",
    "uq_execution_constraints_single_default": "WHERE is_default",
}


def rows(conn: psycopg.Connection[Any], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def catalog(url: str, *, everything: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Tables, columns, constraints and indexes of the public schema, as the server sees them.

    Without ``everything``: only the models' tables (partitions, policies, functions left out).
    """
    with psycopg.connect(url) as conn:
        relations = rows(
            conn,
            "SELECT c.relname, c.relkind, pg_get_partkeydef(c.oid), c.relrowsecurity "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND c.relname <> %s ORDER BY 1",
            pg_migrate.MIGRATIONS_TABLE,
        )
        names = [r[0] for r in relations if everything or r[0] in Base.metadata.tables]
        shape = {
            "tables": [r[:3] for r in relations if r[0] in names],
            "columns": rows(
                conn,
                "SELECT table_name, column_name, ordinal_position, data_type, udt_name, "
                "character_maximum_length, numeric_precision, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = ANY(%s) ORDER BY 1, 3",
                names,
            ),
            "constraints": rows(
                conn,
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                "AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                names,
            ),
            "indexes": rows(
                conn,
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' AND tablename = ANY(%s) ORDER BY 1, 2",
                names,
            ),
        }
        if everything:
            shape["security"] = [r[::3] for r in relations]
            shape["policies"] = rows(
                conn,
                "SELECT tablename, policyname, roles::text, cmd, qual, with_check "
                "FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2",
            )
            shape["functions"] = rows(
                conn,
                "SELECT p.proname, md5(p.prosrc) FROM pg_proc p "
                "WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1",
            )
            shape["migrations"] = rows(
                conn, f"SELECT version, name, checksum FROM {pg_migrate.MIGRATIONS_TABLE}"
            )
        return shape


def onsembl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onsembl_desktop", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for_children(),
    )


@pytest.fixture
def empty_db(pg: PgServer) -> str:
    return pg.create_database()


@pytest.fixture(scope="module")
def models_url(pg: PgServer) -> Iterator[str]:
    """A database built by ``metadata.create_all`` from the SQLAlchemy models."""
    url = pg.create_database()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


def test_the_models_and_schema_agree(models_url: str, pg_schema_url: str) -> None:
    from_models = catalog(models_url)
    from_schema = catalog(pg_schema_url)
    assert {t[0] for t in from_schema["tables"]} == set(Base.metadata.tables)
    for part in ("tables", "columns", "constraints", "indexes"):
        assert from_schema[part] == from_models[part], part


def test_upgrade_builds_an_empty_database_and_a_second_run_changes_nothing(
    empty_db: str,
) -> None:
    pending = onsembl("db", "status", "--url", empty_db)
    assert pending.returncode == 0, pending.stderr
    assert pending.stdout.count("pending  ") == len(pg_migrate.load_migrations())

    first = onsembl("db", "upgrade", "--url", empty_db)
    assert first.returncode == 0, first.stderr
    assert "applied 0001_tables" in first.stdout and "applied 0005_realtime" in first.stdout
    built = catalog(empty_db, everything=True)
    tables = {t[0] for t in built["tables"]}
    assert tables >= DATA_MODEL_TABLES
    indexes = {i[1]: i[2] for i in built["indexes"]}
    for name, shape in NAMED_INDEXES.items():
        assert shape in indexes[name], name
    partitions = {t for t in tables if t.startswith("audit_logs_")}
    assert "audit_logs_default" in partitions and len(partitions) >= 4  # last, this, next month
    assert all(secured for _, secured in built["security"])
    policies = {(p[0], p[2]) for p in built["policies"]}
    assert {(t, "{authenticated}") for t in Base.metadata.tables} == policies

    second = onsembl("db", "upgrade", "--url", empty_db)
    assert second.returncode == 0, second.stderr
    assert "nothing to apply" in second.stdout
    assert catalog(empty_db, everything=True) == built
    status = onsembl("db", "status", "--url", empty_db)
    assert status.stdout.count("applied  ") == len(pg_migrate.load_migrations())
    assert "pending" not in status.stdout


def test_a_newer_or_edited_schema_is_refused_untouched(empty_db: str) -> None:
    pg_migrate.upgrade(empty_db)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {pg_migrate.MIGRATIONS_TABLE} (version, name, checksum, app_version) "
            "VALUES (9999, 'from_the_future', 'x', '99.0')"
        )
    before = catalog(empty_db, everything=True)
    with pytest.raises(pg_migrate.SchemaError, match="newer than this Onsembl Desktop"):
        pg_migrate.upgrade(empty_db)
    refused = onsembl("db", "upgrade", "--url", empty_db)
    assert refused.returncode == 1 and "migration 9999 applied, newer" in refused.stderr
    status = onsembl("db", "status", "--url", empty_db)
    assert status.returncode == 1 and "9999_from_the_future" in status.stdout
    assert catalog(empty_db, everything=True) == before

    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {pg_migrate.MIGRATIONS_TABLE} WHERE version = 9999")
        conn.execute(f"UPDATE {pg_migrate.MIGRATIONS_TABLE} SET checksum = 'x' WHERE version = 2")
    with pytest.raises(pg_migrate.SchemaError, match="0002_special_indexes differ"):
        pg_migrate.upgrade(empty_db)


def test_a_failing_migration_changes_nothing(empty_db: str) -> None:
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE agents (id int)")  # in the way of 0001
    with pytest.raises(pg_migrate.SchemaError, match=r"0001_tables failed.*Nothing was changed"):
        pg_migrate.upgrade(empty_db)
    with psycopg.connect(empty_db) as conn:
        tables = rows(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert tables == [("agents",)]


def test_indexes_cover_every_foreign_key_jsonb_field_and_created_at(pg_schema_url: str) -> None:
    with psycopg.connect(pg_schema_url) as conn:
        indexed = rows(
            conn,
            "SELECT i.indrelid::regclass::text, am.amname, "
            "array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition",
        )
        fks = rows(
            conn,
            "SELECT conrelid::regclass::text, array(SELECT a.attname FROM unnest(conkey) "
            "WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = conrelid "
            "AND a.attnum = k.n ORDER BY k.o) FROM pg_constraint WHERE contype = 'f' "
            "AND connamespace = 'public'::regnamespace",
        )
        typed = rows(
            conn,
            "SELECT table_name, column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = ANY(%s)",
            list(Base.metadata.tables),
        )
    btree_leads = {(t, cols[0]) for t, am, cols in indexed if am == "btree"}
    for table, cols in fks:
        assert (table, cols[0]) in btree_leads, f"foreign key {table}{cols} has no B-tree index"
    by_kind = {(t, am, tuple(cols)) for t, am, cols in indexed}
    for table, column, udt in typed:
        if udt == "jsonb":
            assert (table, "gin", (column,)) in by_kind, f"{table}.{column}: no GIN index"
        if column == "created_at":
            assert (table, "brin", (column,)) in by_kind, f"{table}.{column}: no BRIN index"


def test_authenticated_users_read_and_write_anon_gets_nothing(pg_schema_url: str) -> None:
    with psycopg.connect(pg_schema_url) as conn:
        conn.execute("SET ROLE authenticated")
        conn.execute(
            "INSERT INTO users (id, name, created_at, updated_at) "
            "VALUES (gen_random_uuid(), 'via api', now(), now())"
        )
        assert conn.execute("SELECT count(*) FROM users WHERE name = 'via api'").fetchone() == (1,)
        conn.execute(
            "INSERT INTO audit_logs (id, event_type, details, created_at) "
            "VALUES (gen_random_uuid(), 'USER_LOGIN', '{}', now())"
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM audit_logs_default")  # partitions: only via the parent
        conn.rollback()
        conn.execute("SET ROLE anon")
        for table in ("users", "commands", "audit_logs", "terminal_outputs"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table}")
            conn.rollback()
            conn.execute("SET ROLE anon")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT onsembl_audit_logs_maintain()")
        conn.rollback()


def test_agents_and_commands_join_the_realtime_publication_where_it_exists(
    empty_db: str,
) -> None:
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("CREATE PUBLICATION supabase_realtime")
    pg_migrate.upgrade(empty_db)
    with psycopg.connect(empty_db) as conn:
        published = rows(
            conn,
            "SELECT tablename FROM pg_publication_tables "
            "WHERE pubname = 'supabase_realtime' ORDER BY 1",
        )
    assert published == [("agents",), ("commands",)]


def test_audit_partitions_are_made_ahead_filled_from_default_and_dropped_after_retention(
    pg_schema_url: str,
) -> None:
    with psycopg.connect(pg_schema_url) as conn:  # one transaction, rolled back
        later = "now() + interval '100 days'"
        conn.execute(
            "INSERT INTO audit_logs (id, event_type, details, created_at) "
            f"VALUES (gen_random_uuid(), 'USER_LOGIN', '{{}}', {later})"
        )
        assert conn.execute("SELECT count(*) FROM audit_logs_default").fetchone() == (1,)
        done = [r[0] for r in conn.execute(f"SELECT onsembl_audit_logs_maintain({later})")]
        created = [d for d in done if d.startswith("created ")]
        dropped = [d for d in done if d.startswith("dropped ")]
        assert created and dropped
        assert conn.execute("SELECT count(*) FROM audit_logs_default").fetchone() == (0,)
        month = conn.execute(
            f"SELECT 'audit_logs_' || to_char(({later}) AT TIME ZONE 'UTC', 'YYYY_MM')"
        ).fetchone()
        assert month is not None
        moved = conn.execute(f"SELECT count(*) FROM {month[0]}").fetchone()
        assert moved == (1,)  # the row moved to its month's new partition
        again = conn.execute(f"SELECT onsembl_audit_logs_maintain({later})").fetchall()
        assert again == []
        conn.rollback()
