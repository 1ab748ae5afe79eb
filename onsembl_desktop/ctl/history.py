"""``onsembl ctl history``: past commands, newest first, optionally found by text."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from .client import ControlClient
from .registry import Subparsers

_CONTENT_WIDTH = 60
_LINE_WIDTH = 160


def add_parsers(sub: Subparsers) -> None:
    history = sub.add_parser(
        "history",
        help="past commands, newest first, with their status",
        description="List past commands, newest first. With --search, only those whose text or "
        "output contains every word (word* matches a prefix), with the matching output lines.",
    )
    history.add_argument("--search", metavar="TEXT", help="words to find in commands and output")
    history.add_argument("--agent", metavar="NAME", help="only commands sent to this agent")
    history.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    history.add_argument(
        "--lines", type=int, default=20, help="matching lines shown per command (default 20)"
    )
    history.add_argument("--json", action="store_true")
    history.set_defaults(ctl_handler=_history)


async def _history(client: ControlClient, args: argparse.Namespace) -> int:
    entries = await client.call(
        "history.list",
        search=args.search,
        agent=args.agent,
        limit=args.limit,
        maxLines=args.lines,
    )
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for e in entries:
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
    return 0
