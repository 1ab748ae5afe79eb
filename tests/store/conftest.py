"""Fixtures for the store tests: real SQLite files and a real PostgreSQL server.

PostgreSQL: ``ONSEMBL_TEST_PG_URL`` (an admin URL, e.g. ``postgresql://postgres@host:5432/postgres``)
or, by default, ``postgresql://postgres@127.0.0.1:5432/postgres``. Each test session creates its
databases under random names and drops them at the end. Without the variable an unreachable
default server skips the ``postgres`` tests; with it, an unreachable server fails them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection, Engine, create_engine, insert

from onsembl_desktop.store import queries
from onsembl_desktop.store.db import DB_FILENAME, local_user_id, open_database
from onsembl_desktop.store.models import Agent, Command
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import OutputRow, StoreWriter

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
API_ROLES = ("anon", "authenticated")


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(tmp_path / DB_FILENAME)
    yield engine
    engine.dispose()


# --- PostgreSQL ----------------------------------------------------------------------------------


@dataclass
class PgServer:
    admin_url: str
    created: list[str]

    def url(self, name: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def create_database(self) -> str:
        """A new empty database; returns its URL (dropped at the end of the session)."""
        name = f"onsembl_test_{secrets.token_hex(6)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url(name)


def _reachable(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    configured = os.environ.get("ONSEMBL_TEST_PG_URL")
    url = configured or DEFAULT_PG_URL
    problem = _reachable(url)
    if problem is not None:
        if configured:
            pytest.fail(f"ONSEMBL_TEST_PG_URL={configured} is not reachable: {problem}")
        pytest.skip(f"no PostgreSQL at {url} (set ONSEMBL_TEST_PG_URL): {problem}")
    server = PgServer(url, [])
    made_roles = _ensure_api_roles(url)
    try:
        yield server
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for name in server.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in made_roles:
                # Fails if another session's database still grants the role something.
                with contextlib.suppress(psycopg.Error):
                    conn.execute(f"DROP ROLE IF EXISTS {role}")


def _ensure_api_roles(url: str) -> list[str]:
    """Supabase's API roles, so the RLS policies are created and can be tested.

    Roles belong to the whole server; those this session creates are dropped after it.
    """
    made = []
    with psycopg.connect(url, autocommit=True) as conn:
        for role in API_ROLES:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                continue
            try:
                conn.execute(f"CREATE ROLE {role} NOLOGIN")
                made.append(role)
            except psycopg.errors.DuplicateObject:
                pass  # a concurrent session made it
    return made


@pytest.fixture(scope="session")
def pg_schema_url(pg: PgServer) -> str:
    """A database built by ``schema/`` (the migrations)."""
    from onsembl_desktop.store import pg_migrate

    url = pg.create_database()
    pg_migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_schema_engine(pg_schema_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_schema_url.replace("postgresql://", "postgresql+psycopg://"))
    yield engine
    engine.dispose()


# --- rows ----------------------------------------------------------------------------------------


@dataclass
class Seed:
    """Rows most tests need: the local user, an agent, a command."""

    user_id: uuid.UUID
    agent_id: uuid.UUID
    command_id: uuid.UUID


def seed_rows(conn: Connection, user_id: uuid.UUID | None = None) -> Seed:
    now = utcnow()
    if user_id is None:
        from onsembl_desktop.store.models import User

        user_id = uuid.uuid4()
        conn.execute(insert(User).values(id=user_id, name="tester", created_at=now, updated_at=now))
    agent_id = uuid.uuid4()
    conn.execute(
        insert(Agent).values(
            id=agent_id,
            name=f"agent-{agent_id.hex[:8]}",
            type="SHELL",
            created_at=now,
            updated_at=now,
        )
    )
    command_id = uuid.uuid4()
    conn.execute(insert(Command).values(id=command_id, user_id=user_id, content="echo hi"))
    return Seed(user_id, agent_id, command_id)


@pytest.fixture
def seeded_sqlite(sqlite_engine: Engine) -> tuple[Engine, Seed]:
    with sqlite_engine.begin() as conn:
        seed = seed_rows(conn, local_user_id(sqlite_engine))
    return sqlite_engine, seed


# --- the writer ----------------------------------------------------------------------------------


class Writer:
    """The real StoreWriter; ``commit()`` waits until everything submitted is stored."""

    def __init__(self, engine: Engine) -> None:
        self.writer = StoreWriter(engine, lambda fn, *args: fn(*args))
        self.writer.start()
        self.seq = 0

    def output(self, seed: Seed, data: str, agent_id: uuid.UUID | None = None) -> None:
        self.seq += 1
        row = queries.output_row(
            command_id=seed.command_id,
            agent_id=agent_id or seed.agent_id,
            seq=self.seq,
            stream="STDOUT",
            data=data,
            timestamp=utcnow(),
        )
        self.writer.submit(OutputRow(row))

    def commit(self) -> None:
        done = threading.Event()
        self.writer.barrier(lambda _v, _e: done.set())
        assert done.wait(10)

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
def writer(sqlite_engine: Engine) -> Iterator[Writer]:
    w = Writer(sqlite_engine)
    yield w
    w.close()
