"""Control methods over stored history: search it, clean it up, restore archives of it.

``history.list`` backs ``onsembl ctl history`` (a page at a time); ``db.cleanup`` and
``db.restoreArchive`` back ``onsembl db cleanup`` / ``restore-archive`` while the app runs (so the
app's writer does the writes). All database work runs off the loop (``Store.read`` / the writer).
"""

from __future__ import annotations

import asyncio
import uuid
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
    """``history.list``: one page of past commands, newest first by ``(createdAt, id)``.

    ``beforeAt`` + ``beforeId`` (both from the previous reply's ``next``) continue after the last
    entry of that page. A page ends after ``limit`` entries or :data:`HISTORY_PAGE_CHARS`
    characters of content and matching lines (at least one entry), so no reply outgrows a control
    message however much history is stored.
    """

    search: str | None = None
    agent: str | None = None
    before_at: datetime | None = None  # None: from the newest command
    before_id: uuid.UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    max_lines: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 20


# As commands.SHOW_PAGE_CHARS: JSON may spell a character in up to 6 bytes, so a page of this many
# characters (plus its last entry) stays under c.MAX_REPLY_BYTES.
HISTORY_PAGE_CHARS = 1 << 20


class CleanupParams(c.Params, kw_only=True):
    now: str | None = None  # ISO 8601; UTC unless it carries an offset


class RestoreParams(c.Params, kw_only=True):
    paths: list[str]


@method("history.list", HistoryParams)
async def history_list(s: ControlSession, p: HistoryParams) -> Any:
    """``{"entries": [...], "next": cursor or None}``; ``next`` goes into the following call."""
    if (p.before_at is None) != (p.before_id is None):
        raise CommandError("beforeAt and beforeId go together (both from the last reply's next)")
    if p.before_at is not None and p.before_at.tzinfo is None:
        raise CommandError("beforeAt needs a UTC offset (pass the last reply's next unchanged)")
    before = (p.before_at, p.before_id) if p.before_at and p.before_id else None
    agent_id = None
    if p.agent is not None:
        info = s.core.agents.by_name(p.agent)
        if info is None:
            raise CommandError(f"no agent named {p.agent!r}")
        agent_id = info.id
    await s.core.store.flush()  # everything handed to the writer so far is searchable
    entries, more = await s.core.store.read(
        partial(
            search.history_page,
            search=p.search,
            agent_id=agent_id,
            before=before,
            limit=p.limit,
            max_lines=p.max_lines,
            max_chars=HISTORY_PAGE_CHARS,
        )
    )
    last = entries[-1].command if entries else None
    return {
        "entries": [history_view(e) for e in entries],
        "next": {"beforeAt": iso(last.created_at), "beforeId": str(last.id)}
        if more and last is not None
        else None,
    }


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
