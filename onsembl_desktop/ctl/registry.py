"""How ``ctl`` subcommand modules plug in: each has ``add_parsers(sub)``, which sets
``ctl_handler``."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..cli_common import Subparsers

if TYPE_CHECKING:
    from .client import ControlClient

__all__ = ["Handler", "Subparsers"]
Handler = Callable[["ControlClient", argparse.Namespace], Awaitable[int]]
