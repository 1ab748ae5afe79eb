"""Opening the local SQLite database: pragmas, schema version, migrations, the local user.

The schema version lives in ``PRAGMA user_version``. A new file is created at the current version;
an older one is copied to ``<name>.v<N>.bak`` and migrated step by step in one transaction; a newer
one is refused (:class:`SchemaTooNewError`) and left untouched.
"""

from __future__ import annotations

import getpass
import logging
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.pool import ConnectionPoolEntry

from ..errors import KnownError
from . import migrations
from .models import Base, User

log = logging.getLogger("onsembl.store")

DB_FILENAME = "onsembl.db"


class SchemaTooNewError(KnownError):
    """The database was written by a newer Onsembl Desktop."""


class DatabaseOpenError(KnownError):
    """The database file cannot be opened or is not an Onsembl database."""


def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling breaks SAVEPOINT).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before the gateway acknowledges the output it holds.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint the WAL every ~40 MB instead of every 4 MB: pages the writer rewrites batch after
    # batch (index interiors) are copied back once, not ten times (+15% output throughput); the
    # file is cut back to 64 MB after each checkpoint.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 5.0},
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def read_user_version(path: Path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def open_database(path: Path) -> Engine:
    """Open (creating or migrating as needed) the database at ``path`` and return its engine."""
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        try:
            found = read_user_version(path)
        except sqlite3.DatabaseError as exc:
            raise DatabaseOpenError(f"{path} is not a readable Onsembl database: {exc}") from exc
        if found > migrations.SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{path} has schema version {found}, but this Onsembl Desktop understands up to "
                f"{migrations.SCHEMA_VERSION}. Upgrade Onsembl Desktop, or point --data-dir at "
                "another folder. The file was not changed."
            )
        if 0 < found < migrations.SCHEMA_VERSION:
            backup = path.with_name(f"{path.name}.v{found}.bak")
            log.info(
                "migrating %s from schema %d to %d (backup %s)",
                path,
                found,
                migrations.SCHEMA_VERSION,
                backup,
            )
            _backup(path, backup)
    engine = make_engine(path)
    try:
        with engine.connect() as conn:
            # Off for the steps (a no-op inside a transaction, hence on the driver connection
            # before SQLAlchemy begins one): a step may rebuild a table others refer to.
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    _create_or_migrate(conn, path)
            finally:
                driver.execute("PRAGMA foreign_keys=ON")
    except Exception:
        engine.dispose()
        raise
    if path.exists():
        path.chmod(0o600)
    return engine


def _create_or_migrate(conn: Connection, path: Path) -> None:
    version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    if version == 0:
        _check_empty(conn, path)
        Base.metadata.create_all(conn)
        migrations.create_extras(conn)
    else:
        migrations.upgrade(conn, version)
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise DatabaseOpenError(
                f"migrating {path} would break {len(broken)} references between rows "
                f"(first: {tuple(broken[0])}); nothing was changed"
            )
    conn.exec_driver_sql(f"PRAGMA user_version={migrations.SCHEMA_VERSION}")
    ensure_local_user(conn)


def _check_empty(conn: Connection, path: Path) -> None:
    tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars().all()
    if tables:
        raise DatabaseOpenError(
            f"{path} holds tables ({', '.join(sorted(tables)[:5])}…) but no Onsembl schema "
            "version; it is not an Onsembl database. The file was not changed."
        )


def _backup(path: Path, backup: Path) -> None:
    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(backup))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    shutil.copymode(path, backup)


def ensure_local_user(conn: Connection) -> Any:
    """The users row for the person at this machine, created on first run; returns its id."""
    existing = conn.execute(select(User.id).where(User.is_local.is_(True))).scalar_one_or_none()
    if existing is not None:
        return existing
    try:
        name = getpass.getuser()
    except Exception:  # no login name (containers, some services)
        name = "local user"
    result = conn.execute(insert(User).values(name=name, is_local=True).returning(User.id))
    return result.scalar_one()


def local_user_id(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(User.id).where(User.is_local.is_(True))).scalar_one()
