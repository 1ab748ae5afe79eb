"""How ``ctl`` subcommand modules plug in: each has ``add_parsers(sub)``, which sets
``ctl_handler``."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from .client import ControlClient

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[["ControlClient", argparse.Namespace], Awaitable[int]]
