"""``onsembl ctl queue|move|priority|stop-all|resume-all``: the agents' queues and the emergency
stop. A command id may be shortened to any unique prefix of it (``ControlClient.command_id``)."""

from __future__ import annotations

import argparse
from typing import Any

from ..words import first_line, plural
from .client import ID_HELP, ControlClient
from .output import print_json
from .registry import Subparsers

_CONTENT_WIDTH = 60


def add_parsers(sub: Subparsers) -> None:
    queue = sub.add_parser("queue", help="each agent's queue: what runs and what waits, in order")
    queue.add_argument("--agent", metavar="NAME", help="only this agent's queue")
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(ctl_handler=_queue)

    move = sub.add_parser("move", help="move a waiting command to another place in its queue")
    move.add_argument("id", help=ID_HELP)
    move.add_argument("--position", type=int, required=True, help="1: the next to run")
    move.add_argument("--agent", metavar="NAME", help="which queue, if it waits in several")
    move.set_defaults(ctl_handler=_move)

    priority = sub.add_parser("priority", help="change an open command's priority (0-100)")
    priority.add_argument("id", help=ID_HELP)
    priority.add_argument("priority", type=int)
    priority.set_defaults(ctl_handler=_priority)

    stop = sub.add_parser(
        "stop-all",
        help="emergency stop: stop every running command and pause every queue",
        description="Stops every executing command on every agent at once and pauses every "
        "queue. Nothing starts again until `onsembl ctl resume-all`.",
    )
    stop.add_argument("--reason", help="recorded in the audit log")
    stop.add_argument("--json", action="store_true")
    stop.set_defaults(ctl_handler=_stop_all)

    resume = sub.add_parser("resume-all", help="resume every paused queue (after a stop-all)")
    resume.set_defaults(ctl_handler=_resume_all)


async def _queue(client: ControlClient, args: argparse.Namespace) -> int:
    result = await client.call("queue.list", agent=args.agent)
    if args.json:
        print_json(result)
        return 0
    if result["halted"]:
        print("EMERGENCY STOP in force: queues are paused until `onsembl ctl resume-all`\n")
    for q in result["queues"]:
        state = "  (paused)" if q["paused"] else ""
        print(f"{q['agent']}{state}")
        if q["current"] is None and not q["waiting"]:
            print("    (empty)")
        if q["current"] is not None:
            print(_row("▶", q["current"]))
        for e in q["waiting"]:
            print(_row(str(e["position"]), e))
    return 0


def _row(mark: str, e: dict[str, Any]) -> str:
    content = first_line(e["content"], empty="(empty)")
    if len(content) > _CONTENT_WIDTH:
        content = content[: _CONTENT_WIDTH - 1] + "…"
    return f"  {mark:>3} {e['commandId'][:8]}  {e['status']:<9}  p{e['priority']:<3}  {content}"


async def _move(client: ControlClient, args: argparse.Namespace) -> int:
    command_id = await client.command_id(args.id)
    q = await client.call(
        "queue.move", commandId=command_id, position=args.position, agent=args.agent
    )
    where = next((e["position"] for e in q["waiting"] if e["commandId"] == command_id), None)
    print(f"{command_id} is now {where} in {q['agent']}'s queue")
    return 0


async def _priority(client: ControlClient, args: argparse.Namespace) -> int:
    command_id = await client.command_id(args.id)
    view = await client.call("queue.priority", commandId=command_id, priority=args.priority)
    places = ", ".join(
        f"{r['agent']} {r['queuePosition']}" for r in view["runs"] if r["queuePosition"]
    )
    print(f"{view['id']} priority {view['priority']}" + (f" (queue: {places})" if places else ""))
    return 0


async def _stop_all(client: ControlClient, args: argparse.Namespace) -> int:
    summary = await client.call("emergency.stopAll", reason=args.reason)
    if args.json:
        print_json(summary)
        return 0
    print(f"EMERGENCY STOP at {summary['at']}")
    print(f"stopped {plural(len(summary['stopped']), 'running command')}")
    for s in summary["stopped"]:
        content = first_line(s["content"], empty="(empty)")[:60]
        print(f"  {s['agent']}: {s['commandId'][:8]}  {content}")
    paused = len(summary["pausedAgents"])
    print(
        f"paused {plural(paused, 'queue')} with {plural(summary['waiting'], 'waiting command')}; "
        f"`onsembl ctl resume-all` resumes {'it' if paused == 1 else 'them'}"
    )
    return 0


async def _resume_all(client: ControlClient, _args: argparse.Namespace) -> int:
    result = await client.call("emergency.resumeAll")
    names = result["resumed"]
    print(f"resumed {plural(len(names), 'queue')}" + (f": {', '.join(names)}" if names else ""))
    return 0
