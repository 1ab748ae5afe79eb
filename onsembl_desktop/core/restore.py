"""Rebuilding the commands service's open work from the database after a restart or a crash.

Every queue change was mirrored to ``command_queue`` (in order, through the writer), so the queues
come back exactly as they were: the same commands, in the same order, none twice. A run that was
executing is in doubt until its agent reconnects and says whether it still runs it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ..protocol.enums import CommandStatus, QueueStatus
from ..store import queries
from .model import Command, Run
from .state import Tokens

if TYPE_CHECKING:
    from .commands import CommandService

_UNPLACED = 10**9  # a waiting run without a queue row (never persisted): after the placed ones


async def restore_open_work(service: CommandService) -> None:
    work = await service._store.read(queries.load_open_work)
    names = {a.id: a.name for a in service._agents.all()}
    for c in work.commands:
        service._commands[c.id] = Command(
            id=c.id,
            content=c.content,
            type=c.type,
            priority=c.priority,
            created_at=c.created_at,
            constraints=dict(c.execution_constraints or {}),
            broadcast=c.broadcast,
            status=c.status,
            started_at=c.started_at,
        )
    entries = {(q.command_id, q.agent_id): q for q in work.queue}
    sort_keys: dict[Run, tuple[int, float]] = {}
    for r in work.runs:
        command = service._commands.get(r.command_id)
        if command is None:
            continue
        entry = entries.get((r.command_id, r.agent_id))
        run = Run(
            command=command,
            id=r.id,
            agent_id=r.agent_id,
            agent_name=names.get(r.agent_id, "?"),
            enqueued_at=entry.enqueued_at if entry else r.created_at,
            order=0,
            status=r.status,
            entry_id=entry.id if entry else uuid.uuid4(),
            tokens=Tokens(
                r.input_tokens, r.output_tokens, r.cached_tokens, r.total_tokens, r.cost_usd
            ),
            started_at=r.started_at,
            completed_at=r.completed_at,
            exit_code=r.exit_code,
            error=r.error,
            reason=r.reason,
        )
        command.runs[r.agent_id] = run
        queue = service._queue(r.agent_id)
        if r.status is CommandStatus.EXECUTING:
            queue.current = run
            service._start_grace(run)
        elif not r.status.is_final:
            run.status = CommandStatus.QUEUED
            placed = entry is not None and entry.status == QueueStatus.WAITING
            position = entry.position if entry is not None and placed else _UNPLACED
            sort_keys[run] = (position, run.enqueued_at.timestamp())
            queue.waiting.append(run)
    for queue in service._queues.values():
        queue.waiting.sort(key=lambda run: sort_keys[run])
        for run in queue.waiting:
            run.order = next(service._order)
    for agent_id in service._queues:
        service._sync_agent(agent_id)
