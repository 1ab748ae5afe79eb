"""``onsembl sync``: configure, inspect, force and turn off sync with a PostgreSQL (Supabase)
database.

Each works with the app stopped (directly on ``--data-dir``'s database, holding the app's
instance lock meanwhile) or running (through its control endpoint, so its writer stays the only
one writing and its engine picks the change up at once). The URL's password goes to the OS
keyring (``secrets``), never into a file, unless there is no keyring and the user agrees (asked
on a terminal, or ``--allow-file-secret`` for scripts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from .cli_common import Subparsers, add_url, here_or_app, in_transaction
from .errors import KnownError
from .words import plural


def add_parser(sub: Subparsers) -> None:
    sync = sub.add_parser("sync", help="sync with a PostgreSQL (Supabase) database")
    sync_sub = sync.add_subparsers(dest="sync_command", required=True)

    configure = sync_sub.add_parser(
        "configure", help="sync this data dir with a database (the password goes to the keyring)"
    )
    add_url(configure)
    configure.add_argument(
        "--allow-file-secret",
        action="store_true",
        help="where no keyring exists, keep the password in DATA_DIR/secrets.json (mode 0600)",
    )
    configure.set_defaults(handler=_configure)

    status = sync_sub.add_parser("status", help="state, lag and changes waiting")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    now = sync_sub.add_parser("now", help="push everything waiting and pull, now")
    now.add_argument("--json", action="store_true")
    now.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    now.set_defaults(handler=_now)

    disable = sync_sub.add_parser("disable", help="stop syncing (and forget the password)")
    disable.set_defaults(handler=_disable)


# --- configure / disable -------------------------------------------------------------------------


def _configure(args: argparse.Namespace) -> int:
    from .paths import ensure_data_dir
    from .secrets import NoKeyringError
    from .store.pg_migrate import SchemaError, status
    from .sync.credentials import keep_password, password_of

    url: str = args.url
    if not url.startswith(("postgresql://", "postgres://")):
        raise KnownError(f"not a PostgreSQL URL: {url!r} (postgresql://USER@HOST/DB)")
    data_dir = ensure_data_dir(args.data_dir)
    try:
        bare, where = keep_password(data_dir, url, allow_file=args.allow_file_secret)
    except NoKeyringError as exc:
        if not (sys.stdin.isatty() and _ask(f"{exc}\nKeep the password in that file? [y/N] ")):
            raise KnownError(f"{exc} (or pass --allow-file-secret)") from None
        bare, where = keep_password(data_dir, url, allow_file=True)
    try:
        state = status(password_of(data_dir, bare))
        migrations = plural(len(state.pending), "schema migration")
        check = f"connected; {migrations} to apply on first sync"
        if state.unknown:
            check = "connected, but the database's schema is newer than this Onsembl Desktop"
    except SchemaError as exc:
        check = f"cannot connect now ({exc}); saved anyway, and retried in the background"
    here_or_app(
        data_dir,
        lambda: in_transaction(data_dir, lambda conn: _enable(conn, bare)),
        ("sync.configure", {"url": bare}),
    )
    print(f"sync configured: {bare}")
    print(f"  password: {where}")
    print(f"  {check}")
    return 0


def _enable(conn: Any, url: str) -> None:
    from .sync import local

    local.enable(conn, url)


def _disable(args: argparse.Namespace) -> int:
    from .sync import local
    from .sync.credentials import forget_password

    here_or_app(
        args.data_dir,
        lambda: in_transaction(args.data_dir, local.disable),
        ("sync.disable", {}),
    )
    forget_password(args.data_dir)
    print("sync disabled: nothing more is pushed or pulled; the password is forgotten")
    return 0


# --- status / now --------------------------------------------------------------------------------


def _status(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    view = here_or_app(data_dir, lambda: _stopped_status(data_dir), ("sync.status", {}))
    _show(view, args.json)
    return 1 if view.get("state") == "error" else 0


def _stopped_status(data_dir: Path) -> dict[str, Any]:
    from .sync import local

    def read(conn: Any) -> dict[str, Any]:
        config = local.load_config(conn)
        count, oldest = local.backlog(conn)
        return {
            "state": "disabled" if not config.enabled else "stopped",
            "summary": "the app is not running" if config.enabled else "not configured",
            "url": config.url,
            "backlog": count,
            "lag_s": 0.0 if oldest is None else round(max(0.0, time.time() - oldest), 3),
            "device_id": config.device_id,
        }

    return in_transaction(data_dir, read)


def _now(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    view = here_or_app(
        data_dir,
        lambda: asyncio.run(_now_direct(data_dir)),
        ("sync.now", {"timeout": args.timeout}),
    )
    _show(view, args.json)
    return 0


async def _now_direct(data_dir: Path) -> dict[str, Any]:
    from . import __version__
    from .store.store import Store
    from .sync.engine import SyncEngine

    store = await Store.open(data_dir)
    try:
        status = await SyncEngine(store, version=__version__).run_once()
        await store.flush()
        return status.as_dict()
    finally:
        await asyncio.get_running_loop().run_in_executor(None, store.close)


def _show(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(view, indent=2))
        return
    print(f"sync: {view.get('summary') or view.get('state')}")
    for label, key in (("database", "url"), ("device", "device_id"), ("error", "error")):
        if view.get(key):
            print(f"  {label + ':':<10}{view[key]}")
    waiting = view.get("backlog", 0)
    lag = f", the oldest {view.get('lag_s', 0):.1f} s old" if waiting else ""
    print(f"  {'waiting:':<10}{waiting:,} change{'' if waiting == 1 else 's'}{lag}")
    for label, key in (("pushed", "last_push"), ("pulled", "last_pull")):
        if view.get(key):
            print(f"  {label + ':':<10}{time.strftime('%H:%M:%S', time.localtime(view[key]))}")
    if view.get("retry_in_s"):
        print(f"  {'retry in:':<10}{view['retry_in_s']:.0f} s")


def _ask(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False
