"""``onsembl ctl traces|reports|report``: what agents recorded about a command."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from ..words import first_line
from .client import ID_HELP, ControlClient
from .registry import Subparsers

_NAME_WIDTH = 72


def add_parsers(sub: Subparsers) -> None:
    traces = sub.add_parser(
        "traces",
        help="a command's trace tree",
        description="The command's trace tree: each LLM turn and tool call, indented under what "
        "started it, with its duration, tokens and status.",
    )
    traces.add_argument("id", help=ID_HELP)
    traces.add_argument("--json", action="store_true", help="the tree as JSON (with content)")
    traces.set_defaults(ctl_handler=_traces)

    reports = sub.add_parser("reports", help="investigation reports, most recent first")
    # (dest: "command" is taken by the top-level parser's subcommand)
    reports.add_argument(
        "--command",
        dest="command_id",
        metavar="ID",
        help="only this command's reports (" + ID_HELP + ")",
    )
    reports.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    reports.add_argument("--json", action="store_true")
    reports.set_defaults(ctl_handler=_reports)

    report = sub.add_parser("report", help="one investigation report")
    report.add_argument("id", help="report id")
    report.add_argument("--format", choices=["md", "json"], default="md")
    report.set_defaults(ctl_handler=_report)


async def _traces(client: ControlClient, args: argparse.Namespace) -> int:
    tree = await client.call("traces.get", commandId=await client.command_id(args.id))
    if args.json:
        print(json.dumps(tree, indent=2))
        return 0
    print(f"command {tree['commandId']}  {tree['status']}  {first_line(tree['content'])}")
    lines = [line for root in tree["roots"] for line in _lines(root, 0)]
    if not lines:
        print("(no trace entries)")
        return 0
    width = min(_NAME_WIDTH, max(len(label) for label, _ in lines))
    for label, node in lines:
        if len(label) > width:
            label = label[: width - 1] + "…"
        tokens = f"{node['tokens']:,} tok" if node["tokens"] else ""
        status = node["status"] + (f": {first_line(node['error'])}" if node["error"] else "")
        print(f"{label:<{width}}  {_duration(node['durationMs']):>8}  {tokens:>12}  {status}")
    return 0


def _lines(node: dict[str, Any], depth: int) -> list[tuple[str, dict[str, Any]]]:
    label = f"{'  ' * depth}{node['type']} {first_line(node['name'])}"
    out = [(label, node)]
    for child in node["children"]:
        out += _lines(child, depth + 1)
    return out


def _duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


async def _reports(client: ControlClient, args: argparse.Namespace) -> int:
    command_id = await client.command_id(args.command_id) if args.command_id else None
    reports = await client.call("reports.list", commandId=command_id, limit=args.limit)
    if args.json:
        print(json.dumps(reports, indent=2))
        return 0
    for r in reports:
        when = datetime.fromisoformat(r["updatedAt"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{when}  {r['status']:<11}  {r['id']}  {r['agent']:<16}  {first_line(r['title'])}")
    return 0


async def _report(client: ControlClient, args: argparse.Namespace) -> int:
    report = await client.call("reports.get", reportId=args.id, format=args.format)
    if args.format == "md":
        print(report["markdown"], end="")
    else:
        print(json.dumps(report, indent=2))
    return 0
