"""Applying the PostgreSQL schema (``schema/NNNN_name.sql``) to a database, in order, once.

The files live in ``schema/`` at the top of the repository and ship inside the package as
``onsembl_desktop/store/sql`` (a link to ``schema/`` in a checkout, real files in a wheel).

``upgrade`` applies every pending migration in one transaction (all or nothing), under an advisory
lock so two upgrades cannot interleave, and records each in ``onsembl_schema_migrations`` (version,
name, checksum, when, by which release). It refuses a database that has migrations this release
does not know (written by a newer Onsembl Desktop) and one whose applied migrations differ from
the files (edited after release): never silently altered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

import psycopg

from .. import __version__
from ..errors import KnownError

MIGRATIONS_TABLE = "onsembl_schema_migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x0E5E_3B1D  # pg_advisory_xact_lock key: "onsembl schema"


class SchemaError(KnownError):
    """The database's schema cannot be brought up to date by this release."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    name: str
    checksum: str
    applied_at: datetime
    app_version: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


@dataclass(slots=True)
class Status:
    applied: list[Applied] = field(default_factory=list)
    pending: list[Migration] = field(default_factory=list)
    unknown: list[Applied] = field(default_factory=list)  # applied by a newer release
    changed: list[Applied] = field(default_factory=list)  # applied, but the file differs now

    @property
    def newest_known(self) -> int:
        return max((m.version for m in load_migrations()), default=0)


def load_migrations() -> list[Migration]:
    """The migrations shipped with this release, in order."""
    folder = resources.files("onsembl_desktop.store") / "sql"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"two schema migrations share a version number: {versions}")
    return found


def connect(url: str) -> psycopg.Connection[Any]:
    """Connect to ``url`` (``postgresql://…``; SQLAlchemy's ``postgresql+psycopg://`` too)."""
    url = re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)
    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise SchemaError(f"cannot connect to the database: {str(exc).strip()}") from None


def status(url: str) -> Status:
    with connect(url) as conn:
        return _status(conn, load_migrations())


def upgrade(url: str) -> list[Migration]:
    """Apply the pending migrations (all in one transaction); returns those applied."""
    migrations = load_migrations()
    with connect(url) as conn, conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '30s'")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        _ensure_table(conn)
        state = _status(conn, migrations)
        _refuse(state, url)
        for migration in state.pending:
            try:
                with conn.cursor() as cur:
                    cur.execute(migration.sql.encode())
            except psycopg.Error as exc:
                raise SchemaError(
                    f"migration {migration.label} failed: {str(exc).strip()}. "
                    "Nothing was changed (the upgrade runs in one transaction)."
                ) from exc
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, checksum, app_version) "
                "VALUES (%s, %s, %s, %s)",
                (migration.version, migration.name, migration.checksum, __version__),
            )
        return state.pending


def notes(url: str) -> list[str]:
    """What the database lacks of Supabase, and so what the migrations left out there."""
    found: list[str] = []
    with connect(url) as conn:
        roles = {
            r[0]
            for r in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated')"
            )
        }
        if roles != {"anon", "authenticated"}:
            found.append(
                "no Supabase API roles (anon, authenticated): row-level security is on without "
                "policies, so only the tables' owner reads and writes them"
            )
        if not conn.execute(
            "SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime'"
        ).fetchone():
            found.append("no supabase_realtime publication: agents and commands are not streamed")
        if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'").fetchone():
            found.append(
                "no pg_cron: run SELECT onsembl_audit_logs_maintain(); daily to keep monthly "
                "audit_logs partitions ahead and drop old ones (the sync engine may do it)"
            )
    return found


def _refuse(state: Status, url: str) -> None:
    where = _redact(url)
    if state.unknown:
        newest = max(a.version for a in state.unknown)
        raise SchemaError(
            f"{where} has schema migration {newest:04d} applied, newer than this Onsembl Desktop "
            f"knows (up to {state.newest_known:04d}). Upgrade Onsembl Desktop; the database was "
            "not changed."
        )
    if state.changed:
        labels = ", ".join(a.label for a in state.changed)
        raise SchemaError(
            f"{where}: applied migrations {labels} differ from this release's files (edited after "
            "they were applied?). The database was not changed."
        )


def _status(conn: psycopg.Connection[Any], migrations: list[Migration]) -> Status:
    exists = conn.execute("SELECT to_regclass(%s)", (MIGRATIONS_TABLE,)).fetchone()
    applied: list[Applied] = []
    if exists is not None and exists[0] is not None:
        rows = conn.execute(
            f"SELECT version, name, checksum, applied_at, app_version FROM {MIGRATIONS_TABLE} "
            "ORDER BY version"
        ).fetchall()
        applied = [Applied(*row) for row in rows]
    known = {m.version: m for m in migrations}
    done = {a.version for a in applied}
    return Status(
        applied=applied,
        pending=[m for m in migrations if m.version not in done],
        unknown=[a for a in applied if a.version not in known],
        changed=[
            a for a in applied if a.version in known and known[a.version].checksum != a.checksum
        ],
    )


def _ensure_table(conn: psycopg.Connection[Any]) -> None:
    exists = conn.execute("SELECT to_regclass(%s)", (MIGRATIONS_TABLE,)).fetchone()
    if exists is not None and exists[0] is not None:
        return
    conn.execute(
        f"""CREATE TABLE {MIGRATIONS_TABLE} (
            version INTEGER NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
            app_version TEXT NOT NULL
        )"""
    )
    # Bookkeeping, not data: hidden from the API roles like the audit partitions (see 0004).
    conn.execute(f"ALTER TABLE {MIGRATIONS_TABLE} ENABLE ROW LEVEL SECURITY")
    for role in ("anon", "authenticated"):
        found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if found:
            conn.execute(f"REVOKE ALL ON {MIGRATIONS_TABLE} FROM {role}")


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
