"""The scheduler's working state: commands, their per-agent runs, and each agent's queue.

Plain mutable data with no I/O and no timers (the scheduler keeps its deadlines itself). Only
:class:`~.scheduler.Scheduler` mutates these; everyone else sees the frozen snapshots of
:mod:`..state` and :mod:`..records`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...protocol.enums import CommandStatus, CommandType, CompletionReason
from ..state import CommandInfo, RunInfo, Tokens


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the app waits before it acts on an agent's behalf."""

    grace_s: float = 60.0  # a disconnected agent's running command survives this long
    cancel_timeout_s: float = 10.0  # after a cancel, close the run if the agent is silent
    time_limit_slack_s: float = 2.0  # the app's time-limit backstop acts this much after the agent


@dataclass(frozen=True, slots=True)
class Submission:
    """A command as the user sends it, resolved (text, targets, limits: see ``core.sending``)."""

    content: str
    agent_ids: Sequence[uuid.UUID] = ()
    broadcast: bool = False  # every agent online now
    type: CommandType = CommandType.NATURAL
    priority: int = 50
    constraints: Mapping[str, Any] = field(default_factory=dict)
    fail_if_offline: bool = False
    preset_id: uuid.UUID | None = None
    constraint_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop the app asked of the agent running a run (COMMAND_CANCEL sent)."""

    reason: CompletionReason
    message: str


@dataclass(eq=False, slots=True)
class Run:
    """One command on one agent."""

    command: Command
    agent_id: uuid.UUID
    agent_name: str
    enqueued_at: datetime
    status: CommandStatus = CommandStatus.PENDING
    id: uuid.UUID = field(default_factory=uuid.uuid4)  # its command_runs row
    entry_id: uuid.UUID = field(default_factory=uuid.uuid4)  # its command_queue row
    exit_code: int | None = None
    error: str | None = None
    reason: str | None = None
    tokens: Tokens = field(default_factory=Tokens)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    acked: bool = False  # the agent confirmed it received the request (this app run)
    agent_done: bool = False  # the agent sent its COMMAND_COMPLETE: it reports nothing more
    stop: Stop | None = None  # set once a COMMAND_CANCEL has been sent to the agent
    # The time limit is charged while its clock runs: ``limit_spent`` before ``limit_since``
    # (None: the clock stands, e.g. while a run would wait for the user), then from then on.
    limit_since: datetime | None = None
    limit_spent: timedelta = timedelta(0)

    @property
    def key(self) -> RunKey:
        return (self.command.id, self.agent_id)

    @property
    def priority(self) -> int:
        return self.command.priority

    @property
    def time_limit_ms(self) -> int | None:
        limit = self.command.constraints.get("time_limit_ms")
        return limit if isinstance(limit, int) and limit > 0 else None

    def limit_deadline(self, slack_s: float) -> datetime | None:
        """When the app's backstop stops the run: ``slack_s`` after the agent should have."""
        limit = self.time_limit_ms
        if limit is None or self.limit_since is None:
            return None
        left = timedelta(milliseconds=limit, seconds=slack_s) - self.limit_spent
        return self.limit_since + left

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


RunKey = tuple[uuid.UUID, uuid.UUID]  # (command id, agent id)


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


@dataclass(eq=False, slots=True)
class Agent:
    """What the scheduler knows of an agent: its name, whether it can take work, its queue."""

    id: uuid.UUID
    name: str
    queue: AgentQueue
    registered: bool = True  # a known agent (False: only its runs name it, e.g. after a restore)
    online: bool = False
    leaving: bool = False  # told to STOP or RESTART: no new work on this connection
    told_paused: bool = False  # last told PAUSE (not RESUME since)
