"""``onsembl ctl``: a command-line client of the running app's control endpoint.

Each module here adds its subcommands (``add_parsers``); the client is in :mod:`.client`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from . import agent, audit, commands, history, presets, queue, terminal, tokens, traces
from .client import ControlClient, CtlError
from .registry import Subparsers

MODULES = [commands, queue, agent, presets, audit, history, traces, terminal, tokens]

__all__ = ["ControlClient", "CtlError", "add_parser", "run"]


def add_parser(sub: Subparsers) -> None:
    ctl = sub.add_parser("ctl", help="talk to the running app (for scripts and tests)")
    ctl_sub = ctl.add_subparsers(dest="ctl_command", required=True)
    for module in MODULES:
        module.add_parsers(ctl_sub)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand. A closed stdout (`onsembl ctl audit | head -3`) ends it quietly with
    status 0: ``cli.main`` catches the BrokenPipeError."""
    try:
        return asyncio.run(_run(args))
    except CtlError as exc:
        print(f"onsembl ctl: {exc}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace) -> int:
    async with ControlClient(args.data_dir) as client:
        result: int = await args.ctl_handler(client, args)
        return result
