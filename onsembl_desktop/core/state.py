"""Snapshots of agents and commands as the core publishes them (immutable; safe to keep)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..protocol import messages as m
from ..protocol.enums import ActivityState, AgentStatus, AgentType, CommandStatus, CommandType


@dataclass(frozen=True, slots=True)
class Tokens:
    input: int = 0
    output: int = 0
    cached: int = 0
    total: int = 0
    cost_usd: float | None = None
    # The price table a cost was estimated from (Codex, Gemini); None: the CLI's own figure.
    cost_source: str | None = None

    @classmethod
    def of(cls, usage: m.Usage | None) -> Tokens:
        if usage is None:
            return cls()
        return cls(
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_tokens,
            usage.total_tokens,
            usage.cost_usd,
            usage.cost_source if usage.cost_usd is not None else None,
        )

    @property
    def estimated(self) -> bool:
        return self.cost_usd is not None and self.cost_source is not None

    def __add__(self, other: Tokens) -> Tokens:
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Tokens(
            self.input + other.input,
            self.output + other.output,
            self.cached + other.cached,
            self.total + other.total,
            cost,
            self.cost_source or other.cost_source,  # (a sum with an estimate in it is one)
        )


# A cost stored for a run of these agent types was estimated from a price table (their CLIs
# report no cost): what a stored total says it came from (the live runs name the table).
ESTIMATED_COSTS = frozenset({AgentType.CODEX, AgentType.GEMINI})
STORED_ESTIMATE = "price table (genai-prices)"


def stored_tokens(
    agent_type: AgentType, input: int, output: int, cached: int, total: int, cost: float | None
) -> Tokens:
    """Tokens summed from one agent's stored runs (its type says if the cost is an estimate)."""
    source = STORED_ESTIMATE if cost is not None and agent_type in ESTIMATED_COSTS else None
    return Tokens(input, output, cached, total, cost, source)


@dataclass(frozen=True, slots=True)
class AgentInfo:
    id: uuid.UUID
    name: str
    type: AgentType
    status: AgentStatus = AgentStatus.OFFLINE
    activity: ActivityState = ActivityState.IDLE
    host_machine: str = ""
    connected_at: datetime | None = None
    disconnected_at: datetime | None = None
    health: dict[str, Any] = field(default_factory=dict)
    current_command_id: uuid.UUID | None = None
    queue_length: int = 0
    paused: bool = False
    interactive: bool = False
    tokens: Tokens = Tokens()
    version: str = ""
    cwd: str = ""
    error: str | None = None
    refused: int = 0  # its messages refused since the app started (core.intake)
    cli_name: str = ""  # the AI CLI it drives, as the CLI says (``claude``, ``codex``, ``gemini``)
    cli_version: str = ""
    notice: str | None = None  # a passing state of its command (the CLI retrying an API call)


@dataclass(frozen=True, slots=True)
class RunInfo:
    agent_id: uuid.UUID
    agent_name: str
    status: CommandStatus
    exit_code: int | None = None
    error: str | None = None
    reason: str | None = None
    tokens: Tokens = Tokens()
    started_at: datetime | None = None
    completed_at: datetime | None = None
    queue_position: int | None = None


@dataclass(frozen=True, slots=True)
class CommandInfo:
    id: uuid.UUID
    content: str
    type: CommandType
    status: CommandStatus
    priority: int
    runs: tuple[RunInfo, ...]
    broadcast: bool = False
    constraints: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None

    def run_for(self, agent_id: uuid.UUID) -> RunInfo | None:
        return next((r for r in self.runs if r.agent_id == agent_id), None)


class AgentLink(Protocol):
    """The core's handle on one live agent connection (implemented by the gateway)."""

    remote: str

    def send(self, payload: m.Payload) -> None:
        """Queue a message for the agent; never blocks."""
        ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...
