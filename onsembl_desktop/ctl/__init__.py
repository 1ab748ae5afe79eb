"""``onsembl ctl``: a command-line client of the running app's control endpoint.

Each module here adds its subcommands (``add_parsers``); the client is in :mod:`.client`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    try:
        try:
            code = asyncio.run(_run(args))
        except CtlError as exc:
            print(f"onsembl ctl: {exc}", file=sys.stderr)
            code = 2
        sys.stdout.flush()  # here, where a closed reader is caught, not at the interpreter's exit
        return code
    except BrokenPipeError:
        # Whoever read stdout has gone (`onsembl ctl audit | head -3`): what it did not read is
        # not wanted, so stop quietly, as git does. Stdout goes to devnull so that the
        # interpreter's final flush of what is still buffered does not fail again (the Python
        # docs' way, under "Note on SIGPIPE" in the signal module).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


async def _run(args: argparse.Namespace) -> int:
    async with ControlClient(args.data_dir) as client:
        result: int = await args.ctl_handler(client, args)
        return result
