"""The control endpoint and its methods (one module per domain, each registering on import)."""

from . import (
    agent_control,
    audit,
    commands,
    history,
    presets,
    queues,
    sync,
    terminal,
    tokens,
    traces,
)
from .endpoint import METHODS, ControlSession, ReplayGuard, handle_control, method

__all__ = [
    "METHODS",
    "ControlSession",
    "ReplayGuard",
    "agent_control",
    "audit",
    "commands",
    "handle_control",
    "history",
    "method",
    "presets",
    "queues",
    "sync",
    "terminal",
    "tokens",
    "traces",
]
