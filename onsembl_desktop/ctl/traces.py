"""``onsembl ctl traces|reports|report``: what agents recorded about a command; a report exported
as Markdown, JSON, HTML or PDF."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import launcher
from ..paths import atomic_write
from ..words import first_line
from .client import ID_HELP, ControlClient, CtlError
from .output import print_json
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

    report = sub.add_parser(
        "report",
        help="one investigation report (Markdown, JSON, HTML or PDF)",
        description="Print or save one report. PDF needs -o FILE; it is laid out by Qt in a "
        "separate process without a display (the HTML, printed).",
    )
    report.add_argument("id", help="report id, or a unique prefix of it (4+ hex digits)")
    report.add_argument("--format", choices=["md", "json", "html", "pdf"], default="md")
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write it to FILE instead of standard output (PDF: required)",
    )
    report.set_defaults(ctl_handler=_report)


async def _traces(client: ControlClient, args: argparse.Namespace) -> int:
    tree = await client.call("traces.get", commandId=await client.command_id(args.id))
    if args.json:
        print_json(tree)
        return 0
    print(f"command {tree['commandId']}  {tree['status']}  {first_line(tree['content'])}")
    # A command sent to several agents has a tree from each: each agent's under its name.
    roots = tree["roots"]
    agents = list(dict.fromkeys(root.get("agent") for root in roots))
    depth = 1 if len(agents) > 1 else 0
    lines: list[tuple[str, dict[str, Any] | None]] = []
    for agent in agents:
        if depth:
            lines.append((f"agent {agent}", None))
        lines += [line for r in roots if r.get("agent") == agent for line in _lines(r, depth)]
    if not lines:
        print("(no trace entries)")
        return 0
    width = min(_NAME_WIDTH, max(len(label) for label, node in lines if node is not None))
    for label, node in lines:
        if node is None:
            print(label)
            continue
        if len(label) > width:
            label = label[: width - 1] + "…"
        tokens = f"{node['tokens']:,} tok" if node["tokens"] else ""
        status = node["status"] + (f": {first_line(node['error'])}" if node["error"] else "")
        print(f"{label:<{width}}  {_duration(node['durationMs']):>8}  {tokens:>12}  {status}")
    return 0


def _lines(node: dict[str, Any], depth: int) -> list[tuple[str, dict[str, Any] | None]]:
    label = f"{'  ' * depth}{node['type']} {first_line(node['name'])}"
    out: list[tuple[str, dict[str, Any] | None]] = [(label, node)]
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
        print_json(reports)
        return 0
    for r in reports:
        when = datetime.fromisoformat(r["updatedAt"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{when}  {r['status']:<11}  {r['id']}  {r['agent']:<16}  {first_line(r['title'])}")
    return 0


async def _report(client: ControlClient, args: argparse.Namespace) -> int:
    if args.format == "pdf" and args.output is None:
        raise CtlError("a PDF goes to a file: give -o FILE")
    report_id = await client.report_id(args.id)
    wanted = "html" if args.format == "pdf" else args.format
    report = await client.call("reports.get", reportId=report_id, format=wanted)
    if args.format == "pdf":
        assert args.output is not None
        await print_pdf(report["html"], args.output)
        print(f"saved {args.output}", file=sys.stderr)
        return 0
    if args.format == "json":
        text = json.dumps(report, indent=2) + "\n"
    else:
        text = str(report["markdown" if args.format == "md" else "html"])
    if args.output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(write_file, args.output, text.encode("utf-8"))
        print(f"saved {args.output}", file=sys.stderr)
    return 0


PDF_TIMEOUT_S = 120.0


async def print_pdf(html: str, path: Path) -> None:
    """``html`` printed to a PDF at ``path`` by ``onsembl --print-pdf`` in a child process with
    Qt's offscreen platform: ctl itself stays Qt-free, and no display is needed."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        proc = await asyncio.create_subprocess_exec(
            *launcher.app_command(),
            "--print-pdf",
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise CtlError(f"cannot start the PDF printer: {exc}") from None
    try:
        _out, err = await asyncio.wait_for(
            proc.communicate(html.encode("utf-8")), timeout=PDF_TIMEOUT_S
        )
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise CtlError(f"the PDF printer did not finish within {PDF_TIMEOUT_S:.0f} s") from None
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"exit status {proc.returncode}"
        raise CtlError(f"cannot print the PDF: {why}")


def write_file(path: Path, data: bytes) -> None:
    """``data`` into ``path`` whole or not at all (a temporary file beside it, then renamed)."""
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise CtlError(f"cannot write {path}: {exc.strerror or exc}") from None
