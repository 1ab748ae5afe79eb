"""``onsembl ctl audit``: the audit trail, newest first."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from ..protocol.enums import AuditEventType
from .client import ID_HELP, ControlClient
from .output import print_json
from .registry import Subparsers


def add_parsers(sub: Subparsers) -> None:
    audit = sub.add_parser(
        "audit",
        help="the audit trail, newest first",
        description="Recorded events (connections, commands, cancels, emergency stops, control "
        "actions, queue moves, presets, profiles, errors), newest first.",
    )
    audit.add_argument(
        "--type", type=str.upper, choices=[t.value for t in AuditEventType], metavar="TYPE"
    )
    audit.add_argument("--since", metavar="ISO", help="from this time on (UTC unless an offset)")
    audit.add_argument("--agent", metavar="NAME", help="only events about this agent")
    # (dest: "command" is taken by the top-level parser's subcommand)
    audit.add_argument(
        "--command", dest="command_id", metavar="ID", help="only this command's (" + ID_HELP + ")"
    )
    audit.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(ctl_handler=_audit)


async def _audit(client: ControlClient, args: argparse.Namespace) -> int:
    entries = await client.call(
        "audit.list",
        type=args.type,
        since=args.since,
        agent=args.agent,
        commandId=await client.command_id(args.command_id) if args.command_id else None,
        limit=args.limit,
    )
    if args.json:
        print_json(entries)
        return 0
    for e in entries:
        when = datetime.fromisoformat(e["at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        ids = " ".join(
            f"{label}={e[key][:8]}"
            for label, key in (("agent", "agentId"), ("cmd", "commandId"))
            if e[key]
        )
        details = json.dumps(e["details"], separators=(",", ":"), ensure_ascii=False)
        if len(details) > 120:
            details = details[:119] + "…"
        print(f"{when}  {e['type']:<20} {ids:<28} {details}")
    return 0
