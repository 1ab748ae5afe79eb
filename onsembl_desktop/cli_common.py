"""What the ``onsembl db`` and ``onsembl sync`` tools share: their parsers' plumbing, and doing a
job on the data dir's database itself while the app is stopped (holding its instance lock, so it
cannot start halfway) or, while it runs, asking the app to do it over its control endpoint (its
writer stays the only one writing)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from .errors import KnownError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
T = TypeVar("T")

PG_URL_HELP = "postgresql://USER[:PASSWORD]@HOST/DB"


def add_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help=PG_URL_HELP)


def run(args: argparse.Namespace, tool: str) -> int:
    """Run the subcommand's handler (its parser's ``handler`` default); an error the user can
    act on is said on stderr as ``onsembl TOOL: …``, with status 1."""
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KnownError as exc:
        print(f"onsembl {tool}: {exc}", file=sys.stderr)
        return 1


def here_or_app(
    data_dir: Path,
    here: Callable[[], T],
    app: tuple[str, dict[str, Any]],
    *,
    need_database: bool = False,
) -> T:
    """``here()`` with the app's instance lock held; if the app runs, the ``app`` call (method,
    params) to it instead. ``need_database``: refuse a data dir that has no database yet."""
    from .app import AlreadyRunningError, InstanceLock
    from .paths import ensure_data_dir
    from .store.db import DB_FILENAME

    if need_database and not (data_dir / DB_FILENAME).exists():
        raise KnownError(f"there is no Onsembl database in {data_dir}")
    lock = InstanceLock(ensure_data_dir(data_dir) / "onsembl.lock")
    try:
        lock.acquire()
    except AlreadyRunningError:
        result: T = asyncio.run(_call_app(data_dir, *app))
        return result
    try:
        return here()
    finally:
        lock.release()


@contextmanager
def database(data_dir: Path) -> Iterator[Engine]:
    """The data dir's database, opened (and migrated) for the length of the block."""
    from .store.db import DB_FILENAME, open_database

    engine = open_database(data_dir / DB_FILENAME)
    try:
        yield engine
    finally:
        engine.dispose()


def in_transaction(data_dir: Path, fn: Callable[[Connection], T]) -> T:
    """``fn(conn)`` in one transaction on the data dir's database."""
    with database(data_dir) as engine, engine.begin() as conn:
        return fn(conn)


async def _call_app(data_dir: Path, method: str, params: dict[str, Any]) -> Any:
    from .ctl import ControlClient

    async with ControlClient(data_dir) as client:
        return await client.call(method, **params)
