"""The scheduler's records as they are kept: what it writes (queue rows, the pause state) and what
it is rebuilt from at start (:meth:`~.scheduler.Scheduler.restore`). Plain values, no database:
the driver converts rows to these and these to rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...protocol.enums import CommandStatus, CommandType, QueueStatus
from ..state import Tokens


@dataclass(frozen=True, slots=True)
class QueueEntryRow:
    """One ``command_queue`` row as the scheduler writes it (its position is its place in line)."""

    entry_id: uuid.UUID
    command_id: uuid.UUID
    priority: int
    enqueued_at: datetime


@dataclass(frozen=True, slots=True)
class PauseState:
    """Which queues are paused and whether an emergency stop is in force (machine-local state).

    ``running`` names the queues that ran when it was saved: during an emergency stop a queue the
    user resumed by hand stays resumed after a restart, and every other one (also of an agent
    first seen later) stays paused. ``told`` are the agents last sent PAUSE, so they are sent
    RESUME when their queue runs again.
    """

    halted: bool = False
    paused: frozenset[uuid.UUID] = frozenset()
    running: frozenset[uuid.UUID] = frozenset()
    told: frozenset[uuid.UUID] = frozenset()

    def paused_at_start(self, agent_id: uuid.UUID) -> bool:
        return agent_id in self.paused or (self.halted and agent_id not in self.running)

    def to_json(self) -> dict[str, Any]:
        return {
            "halted": self.halted,
            "paused": sorted(str(i) for i in self.paused),
            "running": sorted(str(i) for i in self.running),
            "told": sorted(str(i) for i in self.told),
        }

    @classmethod
    def from_json(cls, saved: Any) -> PauseState:
        """Read what :meth:`to_json` wrote; anything unreadable in it counts as absent."""
        if not isinstance(saved, dict):
            return cls()
        return cls(
            halted=saved.get("halted") is True,
            paused=_ids(saved.get("paused")),
            running=_ids(saved.get("running")),
            told=_ids(saved.get("told")),
        )


def _ids(values: Any) -> frozenset[uuid.UUID]:
    found = set()
    for value in values if isinstance(values, list) else ():
        try:
            found.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class KnownAgent:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class StoredCommand:
    id: uuid.UUID
    content: str
    type: CommandType
    priority: int
    created_at: datetime
    status: CommandStatus
    constraints: dict[str, Any] = field(default_factory=dict)
    broadcast: bool = False
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredRun:
    id: uuid.UUID
    command_id: uuid.UUID
    agent_id: uuid.UUID
    status: CommandStatus
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    exit_code: int | None = None
    error: str | None = None
    reason: str | None = None
    tokens: Tokens = field(default_factory=Tokens)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    id: uuid.UUID
    command_id: uuid.UUID
    agent_id: uuid.UUID
    status: QueueStatus
    position: int
    enqueued_at: datetime


@dataclass(frozen=True, slots=True)
class StoredWork:
    """The open commands (not final) with their runs and queue entries."""

    commands: tuple[StoredCommand, ...] = ()
    runs: tuple[StoredRun, ...] = ()
    entries: tuple[StoredEntry, ...] = ()

    @classmethod
    def of(
        cls,
        commands: Iterable[StoredCommand],
        runs: Iterable[StoredRun],
        entries: Iterable[StoredEntry],
    ) -> StoredWork:
        return cls(tuple(commands), tuple(runs), tuple(entries))
