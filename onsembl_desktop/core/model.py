"""The core's mutable working state for commands: a command, its per-agent runs, per-agent queues.

Only the commands service mutates these; everyone else sees :mod:`state` snapshots.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..protocol.enums import CommandStatus, CommandType
from .state import CommandInfo, RunInfo, Tokens


@dataclass(eq=False, slots=True)
class Run:
    command: Command
    agent_id: uuid.UUID
    agent_name: str
    enqueued_at: datetime
    order: int  # arrival order; ties within a priority run first come, first served
    status: CommandStatus = CommandStatus.PENDING
    entry_id: uuid.UUID = field(default_factory=uuid.uuid4)  # its command_queue row
    exit_code: int | None = None
    error: str | None = None
    reason: str | None = None
    tokens: Tokens = field(default_factory=Tokens)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancel_reason: str | None = None  # set once a cancel has been sent to the agent
    acked: bool = False  # the agent confirmed it received the request (this app run)
    # The agent sent its COMMAND_COMPLETE for it: nothing more of this run is taken from it.
    agent_done: bool = False
    # Its command_runs row; also the namespace of the ids of the rows the agent reports for it
    # (COMMAND_REQUEST.runId): random, so no other agent can name them in advance.
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    # The app's time-limit backstop: kept apart from the other timers, since it goes on counting
    # while a disconnected agent has its grace period (which clears the others).
    limit_timer: asyncio.TimerHandle | None = None
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def priority(self) -> int:
        return self.command.priority

    def clear_timers(self, *, keep_limit: bool = False) -> None:
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()
        if not keep_limit and self.limit_timer is not None:
            self.limit_timer.cancel()
            self.limit_timer = None

    def info(self, queue_position: int | None = None) -> RunInfo:
        return RunInfo(
            agent_id=self.agent_id,
            agent_name=self.agent_name,
            status=self.status,
            exit_code=self.exit_code,
            error=self.error,
            reason=self.reason,
            tokens=self.tokens,
            started_at=self.started_at,
            completed_at=self.completed_at,
            queue_position=queue_position,
        )


@dataclass(eq=False, slots=True)
class Command:
    id: uuid.UUID
    content: str
    type: CommandType
    priority: int
    created_at: datetime
    constraints: dict[str, Any] = field(default_factory=dict)
    broadcast: bool = False
    status: CommandStatus = CommandStatus.PENDING
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None
    runs: dict[uuid.UUID, Run] = field(default_factory=dict)

    def aggregate(self) -> CommandStatus:
        """The command's status from its runs' statuses."""
        statuses = [r.status for r in self.runs.values()]
        if not statuses:
            return CommandStatus.FAILED
        if CommandStatus.EXECUTING in statuses:
            return CommandStatus.EXECUTING
        if all(s.is_final for s in statuses):
            if CommandStatus.FAILED in statuses:
                return CommandStatus.FAILED
            if CommandStatus.CANCELLED in statuses:
                return CommandStatus.CANCELLED
            return CommandStatus.COMPLETED
        if CommandStatus.QUEUED in statuses:
            return CommandStatus.QUEUED
        return CommandStatus.PENDING

    def first_error(self) -> str | None:
        for run in self.runs.values():
            if run.status is CommandStatus.FAILED and run.error:
                return f"{run.agent_name}: {run.error}" if len(self.runs) > 1 else run.error
        return None

    def info(self, positions: dict[uuid.UUID, int] | None = None) -> CommandInfo:
        positions = positions or {}
        return CommandInfo(
            id=self.id,
            content=self.content,
            type=self.type,
            status=self.status,
            priority=self.priority,
            runs=tuple(r.info(positions.get(r.agent_id)) for r in self.runs.values()),
            broadcast=self.broadcast,
            constraints=dict(self.constraints),
            created_at=self.created_at,
            started_at=self.started_at,
            completed_at=self.completed_at,
            error=self.error,
        )


@dataclass(eq=False, slots=True)
class AgentQueue:
    """One agent's work: at most one run executing, the rest waiting in order."""

    current: Run | None = None
    waiting: list[Run] = field(default_factory=list)
    paused: bool = False

    def insert(self, run: Run) -> int:
        """Place ``run`` right after the last waiting run of equal or higher priority (at the front
        if there is none); returns its position (1-based).

        On a queue in priority order this is "by priority, then arrival". After the user moved
        entries the order is theirs, and a newcomer still never overtakes anything of its own
        priority or higher, nor falls behind anything that was already behind such an entry.
        """
        index = 0
        for i in range(len(self.waiting) - 1, -1, -1):
            if self.waiting[i].priority >= run.priority:
                index = i + 1
                break
        self.waiting.insert(index, run)
        return index + 1

    def remove(self, run: Run) -> bool:
        if run in self.waiting:
            self.waiting.remove(run)
            return True
        return False

    def move(self, run: Run, position: int) -> int:
        """Move a waiting run to 1-based ``position`` (clamped); returns where it ended up."""
        self.waiting.remove(run)
        index = max(0, min(position - 1, len(self.waiting)))
        self.waiting.insert(index, run)
        return index + 1

    def position_of(self, run: Run) -> int | None:
        try:
            return self.waiting.index(run) + 1
        except ValueError:
            return None
