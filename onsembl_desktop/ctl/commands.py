"""``onsembl ctl agents|send|show|cancel``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from . import paging
from .client import ID_HELP, ControlClient, CtlError
from .output import Col, Table, print_json
from .registry import Subparsers
from .tagging import TaggedOutput

# --- the command line -----------------------------------------------------------------------------


def add_parsers(sub: Subparsers) -> None:
    agents = sub.add_parser("agents", help="list agents")
    agents.add_argument("--json", action="store_true")
    agents.set_defaults(ctl_handler=_agents)

    send = sub.add_parser(
        "send",
        help="send a command; prints its id",
        description="Send TEXT, or a preset (--preset NAME --var k=v ...), to the named agents or "
        "to every online agent (--all). It uses the default constraint profile unless --profile "
        "names another; --time-limit and the other limits override the profile's.",
    )
    send.add_argument(
        "--agent", action="append", default=[], metavar="NAME", help="target agent (repeatable)"
    )
    send.add_argument("--all", action="store_true", help="send to every online agent")
    send.add_argument(
        "--type",
        default=None,
        type=str.upper,
        choices=["NATURAL", "INVESTIGATE", "REVIEW", "PLAN", "SYNTHESIZE"],
        help="command type (default: the preset's, else NATURAL)",
    )
    send.add_argument("--priority", type=int, default=50, help="0-100, higher first (default 50)")
    send.add_argument("--profile", metavar="NAME", help="constraint profile (default: the default)")
    send.add_argument("--time-limit", type=float, metavar="SEC")
    send.add_argument("--token-budget", type=int)
    send.add_argument("--memory-limit", type=int, metavar="MB")
    send.add_argument("--cpu-limit", type=int, metavar="PCT", help="percent of one core")
    send.add_argument("--preset", metavar="NAME", help="send this preset instead of TEXT")
    send.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a preset variable (repeatable)",
    )
    send.add_argument(
        "--fail-if-offline",
        action="store_true",
        help="fail at once instead of queueing for an offline agent",
    )
    send.add_argument(
        "--wait",
        action="store_true",
        help="stream the output; exit 0 only if the command COMPLETED",
    )
    send.add_argument("text", nargs="?", default="")
    send.set_defaults(ctl_handler=_send)

    show = sub.add_parser(
        "show",
        help="a command's status and stored output",
        description="Print a command's status and all its stored output. The output is fetched "
        "and printed a page at a time, so any amount of it is shown in bounded memory.",
    )
    show.add_argument("id", help=ID_HELP)
    show.add_argument("--json", action="store_true")
    show.set_defaults(ctl_handler=_show)

    cancel = sub.add_parser(
        "cancel", help="cancel a command (running: stopped; waiting: taken out of the queue)"
    )
    cancel.add_argument("id", help=ID_HELP)
    cancel.add_argument("--agent", metavar="NAME", help="only on this agent")
    cancel.set_defaults(ctl_handler=_cancel)


async def _agents(client: ControlClient, args: argparse.Namespace) -> int:
    agents = await client.call("agents.list")
    if args.json:
        print_json(agents)
        return 0
    AGENTS.print(agents)
    for a in agents:
        if a.get("notice"):  # what a retrying CLI waits for
            print(f"{a['name']}: {a['notice']}")
    return 0


def _cli_text(a: dict[str, Any]) -> str:
    cli = a.get("cli") or {}
    return f"{cli.get('name', '')} {cli.get('version', '')}".strip() or "-"


def _cost_text(a: dict[str, Any]) -> str:
    """``$0.0123``, or ``≈$0.0123`` for an estimate from a price table."""
    tokens = a.get("tokens") or {}
    cost = tokens.get("costUsd")
    if cost is None:
        return "-"
    return f"{'≈' if tokens.get('costEstimated') else ''}${cost:.4f}"


AGENTS = Table[dict[str, Any]](
    Col("NAME", lambda a: a["name"], 20),
    Col("TYPE", lambda a: a["type"], 8),
    Col("STATUS", lambda a: a["status"], 10),
    Col("ACTIVITY", lambda a: a["activity"], 11),
    Col("QUEUE", lambda a: a["queueLength"], 5, right=True),
    Col("CLI", _cli_text, 18),
    Col("TOKENS", lambda a: f"{(a.get('tokens') or {}).get('total', 0):,}", 9, right=True),
    Col("COST", _cost_text, 10, right=True),
    Col("HOST", lambda a: a["hostMachine"]),
)


async def _send(client: ControlClient, args: argparse.Namespace) -> int:
    options = {
        "agents": args.agent,
        "all": args.all,
        "type": args.type,
        "priority": args.priority,
        "profile": args.profile,
        "timeLimitMs": int(args.time_limit * 1000) if args.time_limit else None,
        "tokenBudget": args.token_budget,
        "memoryLimitMb": args.memory_limit,
        "cpuLimitPercent": args.cpu_limit,
        "failIfOffline": args.fail_if_offline,
    }
    if args.preset is not None:
        if args.text:
            raise CtlError("give either --preset or TEXT, not both")
        variables = {}
        for item in args.var:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CtlError(f"--var takes NAME=VALUE, not {item!r}")
            variables[name] = value
        result = await client.call(
            "commands.sendPreset", preset=args.preset, variables=variables, **options
        )
    else:
        if not args.text:
            raise CtlError("nothing to send: give TEXT or --preset NAME")
        if args.var:
            raise CtlError("--var is for presets: give --preset NAME too")
        result = await client.call("commands.send", content=args.text, **options)
    print(result["id"], flush=True)
    queued = [r["agent"] for r in result["runs"] if r["status"] == "QUEUED"]
    if queued and not args.wait:
        print(f"queued for {', '.join(queued)}", file=sys.stderr)
    if not args.wait:
        return 0
    return await _watch(client, result["id"], [r["agent"] for r in result["runs"]])


async def _watch(client: ControlClient, command_id: str, agents: list[str]) -> int:
    await client.call("commands.watch", commandId=command_id)
    out = TaggedOutput(agents, sys.stdout)
    async for event in client.events():
        if event.event == "output":
            out.write(event.data["agent"], event.data["data"])
            sys.stdout.flush()
        elif event.event == "done":
            out.finish()
            status = event.data["status"]
            if status != "COMPLETED":
                error = event.data.get("error") or ""
                print(f"\ncommand {status}{': ' + error if error else ''}", file=sys.stderr)
            return 0 if status == "COMPLETED" else 1
    return 1


async def _show(client: ControlClient, args: argparse.Namespace) -> int:
    command_id = await client.command_id(args.id)
    view = await client.call("commands.show", commandId=command_id)
    pages = paging.pages(client, "commands.show", view, commandId=command_id)
    if args.json:
        await _print_json_view(view, pages)
        return 0
    print(f"command {view['id']}  {view['status']}  ({view['type']}, priority {view['priority']})")
    print(f"  {view['content']}")
    for run in view["runs"]:
        extra = f" exit {run['exitCode']}" if run["exitCode"] is not None else ""
        error = f" — {run['error']}" if run["error"] else ""
        print(f"  {run['agent']}: {run['status']}{extra}{error}")
    print()
    out = TaggedOutput([run["agent"] for run in view["runs"]], sys.stdout)
    async for page in pages:
        for chunk in page["output"]:
            out.write(chunk["agent"], chunk["data"])
        sys.stdout.flush()
    out.finish()
    return 0


async def _print_json_view(view: dict[str, Any], pages: AsyncIterator[dict[str, Any]]) -> None:
    """What ``json.dumps`` with ``indent=2`` prints for the command with all its output (one
    ``output`` list), written a page at a time."""
    out = sys.stdout
    head = json.dumps({k: v for k, v in view.items() if k not in ("output", "next")}, indent=2)
    out.write(head[: -len("\n}")] + ',\n  "output": ')
    await paging.write_json_list(out, (page["output"] async for page in pages), level=1)
    out.write("\n}\n")


async def _cancel(client: ControlClient, args: argparse.Namespace) -> int:
    command_id = await client.command_id(args.id)
    view = await client.call("queue.cancel", commandId=command_id, agent=args.agent)
    print(f"{view['id']} {view['status']}")
    return 0
