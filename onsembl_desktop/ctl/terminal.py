"""``onsembl ctl input|resize``: type into an agent's terminal, or resize it."""

from __future__ import annotations

import argparse

from .client import ControlClient
from .registry import Subparsers


def add_parsers(sub: Subparsers) -> None:
    keys = sub.add_parser(
        "input",
        help="type into an agent's terminal (its interactive session)",
        description="Send TEXT to the agent's terminal as keystrokes. Backslash escapes are "
        r"decoded (\r is Enter, \x03 is Ctrl-C).",
    )
    keys.add_argument("agent", metavar="AGENT")
    keys.add_argument("text")
    keys.add_argument("--enter", action="store_true", help="press Enter after the text")
    keys.set_defaults(ctl_handler=_input)

    size = sub.add_parser("resize", help="resize an agent's terminal")
    size.add_argument("agent", metavar="AGENT")
    size.add_argument("cols", type=int)
    size.add_argument("rows", type=int)
    size.set_defaults(ctl_handler=_resize)


async def _input(client: ControlClient, args: argparse.Namespace) -> int:
    text = args.text.encode("utf-8").decode("unicode_escape") + ("\r" if args.enter else "")
    await client.call("terminal.input", agent=args.agent, data=text)
    return 0


async def _resize(client: ControlClient, args: argparse.Namespace) -> int:
    await client.call("terminal.resize", agent=args.agent, cols=args.cols, rows=args.rows)
    return 0
