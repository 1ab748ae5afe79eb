"""``onsembl db``: the PostgreSQL schema (upgrade, status) and the local database's housekeeping.

``cleanup`` and ``restore-archive`` work on ``--data-dir``'s database. With the app stopped they
open it themselves (holding the app's instance lock meanwhile, so it cannot start halfway). With
the app running on that data dir they ask the app to do it, over its control endpoint: the app's
single writer stays the only one writing, and its hourly cleanup never overlaps this one.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .cli_common import Subparsers, add_url, database, here_or_app
from .errors import KnownError


def add_parser(sub: Subparsers) -> None:
    db = sub.add_parser("db", help="database schema and housekeeping")
    db_sub = db.add_subparsers(dest="db_command", required=True)

    upgrade = db_sub.add_parser(
        "upgrade", help="apply pending schema migrations to a PostgreSQL (Supabase) database"
    )
    add_url(upgrade)
    upgrade.set_defaults(handler=_upgrade)

    status = db_sub.add_parser("status", help="list a PostgreSQL database's applied/pending ones")
    add_url(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    cleanup = db_sub.add_parser(
        "cleanup",
        help="run the retention jobs now (archive and delete old output, old audit logs, ...)",
    )
    cleanup.add_argument(
        "--now",
        metavar="ISO_TIME",
        help="act as if it were this time (UTC unless an offset is given); default: now",
    )
    cleanup.add_argument("--json", action="store_true")
    cleanup.set_defaults(handler=_cleanup)

    restore = db_sub.add_parser(
        "restore-archive", help="put archived terminal output back into the database"
    )
    restore.add_argument("archives", nargs="+", type=Path, metavar="FILE")
    restore.add_argument("--json", action="store_true")
    restore.set_defaults(handler=_restore)


# --- PostgreSQL ----------------------------------------------------------------------------------


def _upgrade(args: argparse.Namespace) -> int:
    from .store import pg_migrate

    applied = pg_migrate.upgrade(args.url)
    if not applied:
        print("schema is up to date; nothing to apply")
    for migration in applied:
        print(f"applied {migration.label}")
    for note in pg_migrate.notes(args.url):
        print(f"note: {note}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from .store import pg_migrate

    state = pg_migrate.status(args.url)
    if args.json:
        print(
            json.dumps(
                {
                    "applied": [
                        {"migration": a.label, "appliedAt": a.applied_at.isoformat()}
                        for a in state.applied
                    ],
                    "pending": [m.label for m in state.pending],
                    "unknown": [a.label for a in state.unknown],
                    "changed": [a.label for a in state.changed],
                },
                indent=2,
            )
        )
    else:
        for a in state.applied:
            mark = " (NOT IN THIS RELEASE)" if a in state.unknown else ""
            mark = " (CHANGED SINCE APPLIED)" if a in state.changed else mark
            print(f"applied  {a.label}  {a.applied_at:%Y-%m-%d %H:%M:%S%z}{mark}")
        for m in state.pending:
            print(f"pending  {m.label}")
        for note in pg_migrate.notes(args.url):
            print(f"note: {note}")
    return 1 if state.unknown or state.changed else 0


# --- the local database --------------------------------------------------------------------------


def _cleanup(args: argparse.Namespace) -> int:
    from .gateway.control.history import parse_time

    now = parse_time(args.now) if args.now else datetime.now(UTC)
    report = here_or_app(
        args.data_dir,
        lambda: _cleanup_local(args.data_dir, now),
        ("db.cleanup", {"now": now.isoformat()}),
        need_database=True,
    )
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"cleanup as of {report['now']}:")
    print(f"  audit log entries removed:      {report['auditLogsRemoved']}")
    print(f"  terminal output rows archived:  {report['outputsArchived']}")
    for name in report["archiveFiles"]:
        print(f"    -> {args.data_dir / 'archive' / name}")
    print(f"  terminal output rows deleted:   {report['outputsDeleted']}")
    print(f"  orphaned queue entries removed: {report['queueEntriesRemoved']}")
    offline = report["agentsMarkedOffline"]
    print(f"  silent agents marked offline:   {len(offline)}{': ' if offline else ''}", end="")
    print(", ".join(offline))
    return 0


def _cleanup_local(data_dir: Path, now: datetime) -> dict[str, Any]:
    from .store.archive import ARCHIVE_DIR
    from .store.retention import run_cleanup

    with database(data_dir) as engine:
        return run_cleanup(engine, data_dir / ARCHIVE_DIR, now).as_dict()


def _restore(args: argparse.Namespace) -> int:
    paths = [p.expanduser().resolve() for p in args.archives]
    for path in paths:
        if not path.is_file():
            raise KnownError(f"no archive file {path}")
    results = here_or_app(
        args.data_dir,
        lambda: _restore_local(args.data_dir, paths),
        ("db.restoreArchive", {"paths": [str(p) for p in paths]}),
        need_database=True,
    )
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        extra = f", {r['present']} already present" if r["present"] else ""
        extra += f", {r['orphaned']} skipped (command or agent gone)" if r["orphaned"] else ""
        print(f"{r['path']}: {r['restored']} of {r['rows']} rows restored{extra}")
    return 0


def _restore_local(data_dir: Path, paths: list[Path]) -> list[dict[str, Any]]:
    from .gateway.control.history import restore_view
    from .store.archive import restore_archive

    results = []
    with database(data_dir) as engine:
        for path in paths:  # one transaction each: a bad file loses none restored before it
            with engine.begin() as conn:
                results.append(restore_view(restore_archive(conn, path)))
    return results
