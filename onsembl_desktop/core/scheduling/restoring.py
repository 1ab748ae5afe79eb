"""Rebuilding the scheduler's state from what was stored, after a restart or a crash.

Every queue change was mirrored to ``command_queue`` (in order, through the writer), so the queues
come back exactly as they were: the same runs, in the same order, none twice. A waiting run
without a queue row goes after the placed ones, by arrival. A run that was executing is *in
doubt* until its agent reconnects and says whether it still runs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ...protocol.enums import CommandStatus, QueueStatus
from .model import Agent, AgentQueue, Command, Run
from .stored import KnownAgent, PauseState, StoredWork

_UNPLACED = 10**9  # a waiting run without a queue row (never persisted): after the placed ones


@dataclass(slots=True)
class Rebuilt:
    agents: dict[uuid.UUID, Agent] = field(default_factory=dict)
    commands: dict[uuid.UUID, Command] = field(default_factory=dict)
    in_doubt: list[Run] = field(default_factory=list)  # executing when the app stopped
    # A second executing run on one agent: never written so, but if a database held one it
    # would be stuck EXECUTING forever; the scheduler fails it.
    doubled: list[Run] = field(default_factory=list)


def rebuild(
    agents: Iterable[KnownAgent],
    work: StoredWork,
    pauses: PauseState,
    new_id: Callable[[], uuid.UUID],
) -> Rebuilt:
    out = Rebuilt()
    for known in agents:
        out.agents[known.id] = Agent(
            known.id, known.name, AgentQueue(), told_paused=known.id in pauses.told
        )
    for c in work.commands:
        out.commands[c.id] = Command(
            id=c.id,
            content=c.content,
            type=c.type,
            priority=c.priority,
            created_at=c.created_at,
            constraints=dict(c.constraints),
            broadcast=c.broadcast,
            status=c.status,
            started_at=c.started_at,
        )
    entries = {(e.command_id, e.agent_id): e for e in work.entries}
    places: dict[Run, tuple[int, float]] = {}
    for r in work.runs:
        command = out.commands.get(r.command_id)
        if command is None:
            continue
        agent = out.agents.get(r.agent_id)
        if agent is None:  # its agent is gone from the database; its runs still count
            agent = out.agents[r.agent_id] = Agent(r.agent_id, "?", AgentQueue(), registered=False)
        entry = entries.get((r.command_id, r.agent_id))
        run = Run(
            command=command,
            agent_id=r.agent_id,
            agent_name=agent.name,
            enqueued_at=entry.enqueued_at if entry else r.created_at,
            status=r.status,
            id=r.id,
            entry_id=entry.id if entry else new_id(),
            tokens=r.tokens,
            started_at=r.started_at,
            completed_at=r.completed_at,
            exit_code=r.exit_code,
            error=r.error,
            reason=r.reason,
        )
        command.runs[r.agent_id] = run
        if r.status is CommandStatus.EXECUTING:
            if agent.queue.current is None:
                agent.queue.current = run
                out.in_doubt.append(run)
            else:
                out.doubled.append(run)
        elif not r.status.is_final:
            run.status = CommandStatus.QUEUED
            placed = entry is not None and entry.status is QueueStatus.WAITING
            position = entry.position if entry is not None and placed else _UNPLACED
            places[run] = (position, run.enqueued_at.timestamp())
            agent.queue.waiting.append(run)
    for agent in out.agents.values():
        agent.queue.waiting.sort(key=lambda run: places[run])
        agent.queue.paused = pauses.paused_at_start(agent.id)
    return out
