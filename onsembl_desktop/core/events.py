"""Events the core publishes, and the bus that carries them to the UI, the control endpoint and
tests.

The bus is synchronous and runs on the asyncio loop: a publisher calls every subscriber in turn.
Subscribers must be quick (the UI only records what changed and repaints later, at most once a
frame). A subscriber that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..protocol.enums import AuditEventType, StreamType
from ..sync.status import SyncStatus
from .records import EmergencyStopSummary, LocalAgentInfo
from .state import AgentInfo, CommandInfo

log = logging.getLogger("onsembl.core.events")


@dataclass(frozen=True, slots=True)
class AgentChanged:
    agent: AgentInfo


@dataclass(frozen=True, slots=True)
class AgentRemoved:
    agent_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CommandChanged:
    command: CommandInfo


@dataclass(frozen=True, slots=True)
class OutputReceived:
    agent_id: uuid.UUID
    agent_name: str
    command_id: uuid.UUID
    seq: int
    data: str
    stream: StreamType
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class SessionOutput:
    """Output of an interactive agent's session outside any command (shown, not stored)."""

    agent_id: uuid.UUID
    data: str


@dataclass(frozen=True, slots=True)
class TraceChanged:
    command_id: uuid.UUID
    agent_id: uuid.UUID
    entry_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ReportChanged:
    report_id: uuid.UUID
    command_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AuditRecorded:
    event_type: AuditEventType
    details: dict[str, Any]
    agent_id: uuid.UUID | None = None
    command_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should be told (an error they can act on, or a confirmation)."""

    level: str  # "info" | "warning" | "error"
    message: str
    key: str | None = None  # notices with a key replace the previous one with that key


@dataclass(frozen=True, slots=True)
class StorageStatus:
    error: str | None  # None: writing works


# --- orchestration (core.queues, core.emergency, core.constraints, core.presets, core.supervisor)


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """An agent's queue changed: what runs, what waits, the order, or whether it is paused.

    Published at most once per loop iteration per agent; read the queue with
    ``core.queues.get(agent_id)``.
    """

    agent_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class EmergencyStopped:
    summary: EmergencyStopSummary


@dataclass(frozen=True, slots=True)
class QueuesResumed:
    """``resume_all``: every queue runs again (the emergency stop, if any, is over)."""

    agent_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class ProfilesChanged:
    """Execution-constraint profiles were added, changed, removed, or the default moved."""


@dataclass(frozen=True, slots=True)
class PresetsChanged:
    """Presets were added, changed, removed or used (usage counts)."""


@dataclass(frozen=True, slots=True)
class LocalAgentChanged:
    agent: LocalAgentInfo


@dataclass(frozen=True, slots=True)
class LocalAgentRemoved:
    name: str


@dataclass(frozen=True, slots=True)
class TokensChanged:
    """Agent tokens were created or revoked, or their connections changed (gateway.tokens);
    read them with ``app.tokens.all()``."""


Event = (
    AgentChanged
    | AgentRemoved
    | CommandChanged
    | OutputReceived
    | SessionOutput
    | TraceChanged
    | ReportChanged
    | AuditRecorded
    | Notice
    | StorageStatus
    | QueueChanged
    | EmergencyStopped
    | QueuesResumed
    | ProfilesChanged
    | PresetsChanged
    | LocalAgentChanged
    | LocalAgentRemoved
    | TokensChanged
    | SyncStatus  # the sync engine's state (sync.status): published as it changes
)
E = TypeVar("E")


class EventBus:
    def __init__(self) -> None:
        self._subs: dict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event_type: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Call ``callback`` for every event of ``event_type``; returns an unsubscribe function."""
        subs = self._subs[event_type]
        subs.append(callback)

        def unsubscribe() -> None:
            if callback in subs:
                subs.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback in tuple(self._subs.get(type(event), ())):
            try:
                callback(event)
            except Exception:
                log.exception("subscriber %r failed on %s", callback, type(event).__name__)
