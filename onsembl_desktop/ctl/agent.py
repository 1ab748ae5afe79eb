"""``onsembl ctl agent …``: control one agent (stop, restart, pause, resume), and the local agents
the app launches and supervises (add, rm, list, start)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from .client import ControlClient
from .output import Col, Table, print_json
from .registry import Subparsers

_TYPES = ["shell", "claude", "codex", "gemini"]


def add_parsers(sub: Subparsers) -> None:
    agent = sub.add_parser(
        "agent",
        help="stop, restart, pause or resume an agent; add and remove local agents",
    )
    actions = agent.add_subparsers(dest="agent_action", required=True)
    for action, text in (
        ("stop", "stop the agent (a local one stays stopped until started)"),
        ("restart", "restart the agent"),
        ("pause", "hold its running command and start nothing new"),
        ("resume", "undo pause"),
    ):
        p = actions.add_parser(action, help=text)
        p.add_argument("name")
        p.set_defaults(ctl_handler=_control, action=action.upper())

    start = actions.add_parser("start", help="start a stopped local agent")
    start.add_argument("name")
    start.set_defaults(ctl_handler=_local_start)

    add = actions.add_parser(
        "add",
        help="add a local agent: the app launches and supervises it",
        description="Add an agent that the app runs on this machine: it is started now (unless "
        "--no-start), restarted if it crashes, and started again whenever the app starts.",
    )
    add.add_argument("name")
    add.add_argument("--type", choices=_TYPES, default="shell")
    add.add_argument("--cwd", required=True, help="working directory for its commands")
    add.add_argument("--cli", help="path of the CLI binary (default: found on PATH)")
    add.add_argument(
        "--cli-arg", action="append", default=[], metavar="ARG", help="extra CLI argument"
    )
    add.add_argument("--interactive", action="store_true", help="run the CLI's own UI")
    add.add_argument("--no-start", action="store_true", help="add it stopped")
    add.set_defaults(ctl_handler=_local_add)

    rm = actions.add_parser("rm", help="stop and remove a local agent")
    rm.add_argument("name")
    rm.set_defaults(ctl_handler=_local_rm)

    ls = actions.add_parser("list", help="the local agents and their state")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(ctl_handler=_local_list)


async def _control(client: ControlClient, args: argparse.Namespace) -> int:
    await client.call("agents.control", name=args.name, action=args.action)
    print(f"{args.action.lower()}: {args.name}")
    return 0


async def _local_start(client: ControlClient, args: argparse.Namespace) -> int:
    info = await client.call("localAgents.start", name=args.name)
    print(f"{info['name']}: {info['state']} (pid {info['pid']})")
    return 0


async def _local_add(client: ControlClient, args: argparse.Namespace) -> int:
    cli = _absolute(args.cli) if args.cli and os.sep in args.cli else args.cli
    info = await client.call(
        "localAgents.add",
        name=args.name,
        type=args.type.upper(),
        cwd=_absolute(args.cwd),
        cli=cli,
        cliArgs=args.cli_arg,
        interactive=args.interactive,
        start=not args.no_start,
    )
    print(f"{info['name']}: {info['state']}; log: {info['log']}")
    return 0


async def _local_rm(client: ControlClient, args: argparse.Namespace) -> int:
    await client.call("localAgents.remove", name=args.name)
    print(f"removed {args.name}")
    return 0


async def _local_list(client: ControlClient, args: argparse.Namespace) -> int:
    agents = await client.call("localAgents.list")
    if args.json:
        print_json(agents)
        return 0
    print(LOCAL_AGENTS.header())
    for a in agents:
        print(LOCAL_AGENTS.row(a))
        if a.get("error"):  # under the row, from its second column
            print(f"{'':<20} {a['error']}")
    return 0


LOCAL_AGENTS = Table[dict[str, Any]](
    Col("NAME", lambda a: a["name"], 20),
    Col("TYPE", lambda a: a["type"], 7),
    Col("STATE", lambda a: a["state"], 9),
    Col("PID", lambda a: a["pid"] if a["pid"] is not None else "-", 7, right=True),
    Col("RESTARTS", lambda a: a["restarts"], 8, right=True),
    Col("CWD", lambda a: a["cwd"]),
)


def _absolute(path: str) -> str:
    # The user's paths are relative to where they run ctl, not to where the app runs.
    return str(Path(path).expanduser().absolute())
