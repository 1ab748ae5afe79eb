"""What the scheduler asks its driver to do: the output side of the sans-I/O state machine.

Every input of :class:`~.scheduler.Scheduler` only changes its state and appends actions;
``Scheduler.actions_to_perform()`` hands them over, in the order they must be performed (writes
go to the store's single writer in that order, so the database mirrors the state step by step).
The driver (``core.commands.CommandService``) performs each kind with one call: a message on the
agent's connection, a store write, a bus event, an audit row, a loop timer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ...protocol import messages as m
from ...protocol.enums import ActivityState, AuditEventType
from ..events import Event
from .stored import PauseState, QueueEntryRow

# --- to agents ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendToAgent:
    """A message for a connected agent (COMMAND_REQUEST, COMMAND_CANCEL, AGENT_CONTROL)."""

    agent_id: uuid.UUID
    payload: m.Payload


# --- the database (through the writer, in order) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsertCommand:
    """A new command and its runs (``values`` lacks only the user, which the driver knows)."""

    values: dict[str, Any]
    runs: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class UpdateCommand:
    command_id: uuid.UUID
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UpdateRun:
    command_id: uuid.UUID
    agent_id: uuid.UUID
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SyncWaiting:
    """The agent's waiting entries are exactly these, in this order (``command_queue``)."""

    agent_id: uuid.UUID
    entries: tuple[QueueEntryRow, ...]


@dataclass(frozen=True, slots=True)
class StartQueueEntry:
    """The run's queue entry is now the one executing."""

    agent_id: uuid.UUID
    entry: QueueEntryRow
    started_at: datetime


@dataclass(frozen=True, slots=True)
class RemoveQueueEntry:
    entry_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class MarkInterrupt:
    """A stop was asked of the agent for the entry's run (kept on its queue row)."""

    entry_id: uuid.UUID
    reason: str


@dataclass(frozen=True, slots=True)
class SaveQueueState:
    """Which queues are paused, which agents were told, whether an emergency stop is in force."""

    state: PauseState


# --- the rest of the app --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Publish:
    """An event for the bus (the UI, control subscribers)."""

    event: Event


@dataclass(frozen=True, slots=True)
class UpdateAgent:
    """The agent's work as its snapshot shows it (``AgentInfo``: activity, command, queue)."""

    agent_id: uuid.UUID
    activity: ActivityState
    current_command_id: uuid.UUID | None
    queue_length: int
    paused: bool


@dataclass(frozen=True, slots=True)
class Audit:
    event_type: AuditEventType
    agent_id: uuid.UUID | None = None
    command_id: uuid.UUID | None = None
    by_user: bool = True
    details: dict[str, Any] = field(default_factory=dict)


# --- time -----------------------------------------------------------------------------------------


class TimerKind(StrEnum):
    GRACE = "GRACE"  # a disconnected agent's running command waits this long for it
    TIME_LIMIT = "TIME_LIMIT"  # the app's backstop of a run's time limit
    STOP_CONFIRM = "STOP_CONFIRM"  # a stop the agent must confirm, else the app closes the run


TimerKey = tuple[TimerKind, uuid.UUID, uuid.UUID]  # (kind, command id, agent id)


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Call ``Scheduler.tick()`` at ``at`` (replaces an earlier timer with the same key)."""

    key: TimerKey
    at: datetime


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: TimerKey


Action = (
    SendToAgent
    | InsertCommand
    | UpdateCommand
    | UpdateRun
    | SyncWaiting
    | StartQueueEntry
    | RemoveQueueEntry
    | MarkInterrupt
    | SaveQueueState
    | Publish
    | UpdateAgent
    | Audit
    | SetTimer
    | CancelTimer
)
