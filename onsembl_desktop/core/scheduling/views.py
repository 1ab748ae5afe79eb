"""Snapshots of the scheduler's state as the rest of the app sees it (frozen, safe to keep)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from ...protocol.enums import ActivityState
from ..records import QueueEntryInfo, QueueInfo
from ..state import CommandInfo
from .model import Agent, AgentQueue, Command, Run


def command_info(command: Command, agents: Mapping[uuid.UUID, Agent]) -> CommandInfo:
    """The command with each waiting run's place in its agent's queue."""
    positions = {}
    for agent_id, run in command.runs.items():
        agent = agents.get(agent_id)
        position = agent.queue.position_of(run) if agent is not None else None
        if position is not None:
            positions[agent_id] = position
    return command.info(positions)


def queue_info(agent: Agent, agents: Mapping[uuid.UUID, Agent]) -> QueueInfo:
    queue = agent.queue
    current = _entry(queue.current, 0, agents) if queue.current else None
    waiting = tuple(_entry(r, i, agents) for i, r in enumerate(queue.waiting, start=1))
    return QueueInfo(agent.id, agent.name, queue.paused, current, waiting)


def _entry(run: Run, position: int, agents: Mapping[uuid.UUID, Agent]) -> QueueEntryInfo:
    return QueueEntryInfo(
        agent_id=run.agent_id,
        command=command_info(run.command, agents),
        position=position,
        status=run.status,
        enqueued_at=run.enqueued_at,
    )


def runs_of(queue: AgentQueue) -> list[Run]:
    """The executing run first, then those waiting, in order."""
    return ([queue.current] if queue.current else []) + queue.waiting


def activity_of(queue: AgentQueue) -> ActivityState:
    if queue.current is not None:
        return ActivityState.PROCESSING
    if queue.waiting:
        return ActivityState.QUEUED
    return ActivityState.IDLE
