"""Control methods over stored history: search it, clean it up, restore archives of it.

``history.list`` backs ``onsembl ctl history``; ``db.cleanup`` and ``db.restoreArchive`` back
``onsembl db cleanup`` / ``restore-archive`` while the app runs (so the app's writer does the
writes). All database work runs off the loop (``Store.read`` / the writer).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import msgspec

from ...core.commands import CommandError
from ...protocol import control as c
from ...store import search
from ...store.archive import ArchiveError, insert_restored, read_archive
from ..views import iso
from .endpoint import ControlSession, method


class HistoryParams(c.Params, kw_only=True):
    search: str | None = None
    agent: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    max_lines: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 20


class CleanupParams(c.Params, kw_only=True):
    now: str | None = None  # ISO 8601; UTC unless it carries an offset


class RestoreParams(c.Params, kw_only=True):
    paths: list[str]


@method("history.list", HistoryParams)
async def history_list(s: ControlSession, p: HistoryParams) -> Any:
    agent_id = None
    if p.agent is not None:
        info = s.core.agents.by_name(p.agent)
        if info is None:
            raise CommandError(f"no agent named {p.agent!r}")
        agent_id = info.id
    await s.core.store.flush()  # everything handed to the writer so far is searchable
    entries = await s.core.store.read(
        partial(
            search.history,
            search=p.search,
            agent_id=agent_id,
            limit=p.limit,
            max_lines=p.max_lines,
        )
    )
    return [history_view(e) for e in entries]


def history_view(entry: search.HistoryEntry) -> dict[str, Any]:
    cmd = entry.command
    return {
        "id": str(cmd.id),
        "content": cmd.content,
        "type": cmd.type.value,
        "status": cmd.status.value,
        "createdAt": iso(cmd.created_at),
        "completedAt": iso(cmd.completed_at),
        "runs": [{"agent": r.name, "status": r.status.value} for r in entry.runs],
        "matches": [{"agent": agent, "line": line} for agent, line in entry.lines],
        "moreMatches": entry.more,
    }


@method("db.cleanup", CleanupParams)
async def db_cleanup(s: ControlSession, p: CleanupParams) -> Any:
    now = parse_time(p.now) if p.now else None
    report = await s.core.retention.run_once(now)
    return report.as_dict()


@method("db.restoreArchive", RestoreParams)
async def db_restore(s: ControlSession, p: RestoreParams) -> Any:
    loop = asyncio.get_running_loop()
    results = []
    for name in p.paths:
        path = Path(name)
        try:
            header, rows = await loop.run_in_executor(None, read_archive, path)
        except FileNotFoundError:
            raise ArchiveError(f"no archive file {path}") from None
        result = await s.core.store.write_wait(
            partial(insert_restored, path=path, header=header, rows=rows)
        )
        results.append(restore_view(result))
    return results


def restore_view(result: Any) -> dict[str, Any]:
    return {
        "path": str(result.path),
        "rows": result.rows,
        "restored": result.restored,
        "present": result.present,
        "orphaned": result.orphaned,
    }


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not an ISO 8601 time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
