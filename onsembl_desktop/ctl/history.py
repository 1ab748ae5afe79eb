"""``onsembl ctl history``: past commands, newest first, optionally found by text."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from . import paging
from .client import ControlClient, CtlError
from .registry import Subparsers

_CONTENT_WIDTH = 60
_LINE_WIDTH = 160


def add_parsers(sub: Subparsers) -> None:
    history = sub.add_parser(
        "history",
        help="past commands, newest first, with their status",
        description="List past commands, newest first. With --search, only those whose text or "
        "output contains every word (word* matches a prefix), with the matching output lines. "
        "Entries are fetched and printed a page at a time, so any amount of history is shown "
        "in bounded memory.",
    )
    history.add_argument("--search", metavar="TEXT", help="words to find in commands and output")
    history.add_argument("--agent", metavar="NAME", help="only commands sent to this agent")
    history.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    history.add_argument(
        "--lines", type=int, default=20, help="matching lines shown per command (default 20)"
    )
    history.add_argument("--json", action="store_true")
    history.set_defaults(ctl_handler=_history)


# Entries asked for per history.list call (a page may hold fewer: the app also caps its size).
PAGE_ENTRIES = 200


async def _history(client: ControlClient, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CtlError("--limit must be at least 1")
    entries = _entries(client, args)
    if args.json:
        out = sys.stdout
        await paging.write_json_list(out, _batches(entries))
        out.write("\n")
        return 0
    async for e in entries:
        _print_entry(e)
    return 0


async def _entries(
    client: ControlClient, args: argparse.Namespace
) -> AsyncIterator[dict[str, Any]]:
    """Up to ``--limit`` entries, newest first, fetched a page at a time."""
    params = {
        "search": args.search,
        "agent": args.agent,
        "limit": min(args.limit, PAGE_ENTRIES),
        "maxLines": args.lines,
    }
    first = await client.call("history.list", **params)
    left = args.limit
    async for page in paging.pages(client, "history.list", first, **params):
        for entry in page["entries"][:left]:
            yield entry
        left -= len(page["entries"])
        if left <= 0:
            return


async def _batches(entries: AsyncIterator[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    """The entries in small lists, for :func:`paging.write_json_list` (flushed after each)."""
    batch: list[dict[str, Any]] = []
    async for entry in entries:
        batch.append(entry)
        if len(batch) == 50:
            yield batch
            batch = []
    if batch:
        yield batch


def _print_entry(e: dict[str, Any]) -> None:
    when = datetime.fromisoformat(e["createdAt"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    agents = ", ".join(r["agent"] for r in e["runs"]) or "-"
    content = e["content"].splitlines()[0] if e["content"] else ""
    if len(content) > _CONTENT_WIDTH:
        content = content[: _CONTENT_WIDTH - 1] + "…"
    print(f"{when}  {e['status']:<9}  {e['id'][:8]}  {agents:<16}  {content}")
    for match in e["matches"]:
        line = match["line"]
        if len(line) > _LINE_WIDTH:
            line = line[: _LINE_WIDTH - 1] + "…"
        print(f"    {match['agent']}: {line}")
    if e["moreMatches"]:
        print("    … more matching lines (--lines N shows more)")
