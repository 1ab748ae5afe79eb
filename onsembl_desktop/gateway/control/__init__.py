"""The control endpoint and its methods (one module per domain, each registering on import)."""

from . import commands, history
from .endpoint import METHODS, ControlSession, ReplayGuard, handle_control, method

__all__ = [
    "METHODS",
    "ControlSession",
    "ReplayGuard",
    "commands",
    "handle_control",
    "history",
    "method",
]
