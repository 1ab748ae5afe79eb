"""Snapshots the orchestration services publish: queues, emergency stops, limit profiles, presets,
local agents and audit entries. Immutable, like :mod:`state`; safe to keep and to hand to the UI.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from ..protocol.enums import AgentType, AuditEventType, CommandStatus, CommandType
from .state import CommandInfo

# --- queues ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueEntryInfo:
    """One command in one agent's queue."""

    agent_id: uuid.UUID
    command: CommandInfo
    position: int  # 0: executing now; 1, 2, ...: waiting, in the order they will run
    status: CommandStatus  # this agent's run of the command
    enqueued_at: datetime


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """One agent's queue: what it runs now and what waits, in order."""

    agent_id: uuid.UUID
    agent_name: str
    paused: bool  # nothing new starts (the user paused the agent, or an emergency stop)
    current: QueueEntryInfo | None
    waiting: tuple[QueueEntryInfo, ...]

    @property
    def entries(self) -> tuple[QueueEntryInfo, ...]:
        return ((self.current,) if self.current else ()) + self.waiting


@dataclass(frozen=True, slots=True)
class StoppedRun:
    agent_id: uuid.UUID
    agent_name: str
    command_id: uuid.UUID
    content: str


@dataclass(frozen=True, slots=True)
class EmergencyStopSummary:
    """What one emergency stop did (the UI shows it as the confirmation)."""

    at: datetime
    stopped: tuple[StoppedRun, ...]  # the executing runs it stopped
    paused_agents: tuple[str, ...]  # names of every agent whose queue it paused
    waiting: int  # commands left waiting in the paused queues
    reason: str | None = None


# --- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Execution limits; None: no limit of that kind."""

    time_limit_ms: int | None = None
    token_budget: int | None = None
    memory_limit_mb: int | None = None
    cpu_limit_percent: int | None = None  # of one core: 100 is one full core

    def as_dict(self) -> dict[str, int]:
        """Only the limits that are set (the form ``commands.execution_constraints`` stores)."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    def over(self, base: Limits) -> Limits:
        """These limits where set, ``base``'s elsewhere."""
        return Limits(
            **{f.name: getattr(self, f.name) or getattr(base, f.name) for f in fields(self)}
        )

    @classmethod
    def of(cls, values: dict[str, Any]) -> Limits:
        return cls(**{f.name: values.get(f.name) for f in fields(cls)})

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    """An ExecutionConstraint profile."""

    id: uuid.UUID
    name: str
    limits: Limits
    description: str | None = None
    is_default: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


# --- presets --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PresetVariable:
    name: str
    description: str = ""
    default: str | None = None  # None: the user must give a value


@dataclass(frozen=True, slots=True)
class PresetInfo:
    """A CommandPreset: a command template with ``{{variable}}`` placeholders."""

    id: uuid.UUID
    name: str
    content: str
    type: CommandType = CommandType.NATURAL
    description: str | None = None
    target_agent_types: tuple[AgentType, ...] = ()
    variables: tuple[PresetVariable, ...] = ()
    usage_count: int = 0
    last_used_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# --- local agents ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalAgentSpec:
    """An agent the app launches and supervises on this machine (what the user entered)."""

    name: str
    type: AgentType
    cwd: str
    cli: str | None = None  # the CLI binary (default: found on PATH)
    cli_args: tuple[str, ...] = ()
    interactive: bool = False


class LocalAgentState:
    """States of a supervised agent process (plain strings, for JSON and the UI)."""

    STARTING = "STARTING"  # launched, not yet known to be up
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"  # by the user, or it exited cleanly: not restarted
    CRASHED = "CRASHED"  # exited on its own with an error; restarted after a backoff
    FAILED = "FAILED"  # exited with status 2 (refused for good, bad arguments): not restarted


@dataclass(frozen=True, slots=True)
class LocalAgentInfo:
    spec: LocalAgentSpec
    state: str  # a LocalAgentState
    pid: int | None = None
    restarts: int = 0  # automatic restarts after crashes, since the app started
    last_exit: int | None = None  # exit code (negative: killed by that signal)
    next_restart_in_s: float | None = None
    log_path: Path | None = None
    enabled: bool = True  # launched when the app starts
    error: str | None = None  # FAILED: why (the last lines the agent wrote to its log)


# --- audit ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: uuid.UUID
    event_type: AuditEventType
    created_at: datetime
    user_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    command_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)
    ip_address: str | None = None
    user_agent: str | None = None
