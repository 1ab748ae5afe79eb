"""Control methods for queues and the emergency stop: list, move, re-prioritise, cancel an entry,
stop everything, resume everything."""

from __future__ import annotations

import uuid
from typing import Any

from ...core.commands import CommandError
from ...core.service import Core
from ...protocol import control as c
from ..views import command_view
from .endpoint import ControlSession, method
from .records import queue_view, summary_view


def agent_id_of(core: Core, name: str | None) -> uuid.UUID | None:
    """The id of the agent called ``name`` (None for None); a KnownError if there is none."""
    if name is None:
        return None
    agent = core.agents.by_name(name)
    if agent is None:
        raise CommandError(f"no agent named {name!r}")
    return agent.id


@method("queue.list", c.QueueListParams)
async def queue_list(s: ControlSession, p: c.QueueListParams) -> Any:
    agent_id = agent_id_of(s.core, p.agent)
    queues = [s.core.queues.get(agent_id)] if agent_id else s.core.queues.all()
    return {"halted": s.core.queues.halted, "queues": [queue_view(q) for q in queues]}


@method("queue.move", c.QueueMoveParams)
async def queue_move(s: ControlSession, p: c.QueueMoveParams) -> Any:
    queue = s.core.queues.move(p.command_id, p.position, agent_id_of(s.core, p.agent))
    return queue_view(queue)


@method("queue.priority", c.QueuePriorityParams)
async def queue_priority(s: ControlSession, p: c.QueuePriorityParams) -> Any:
    return command_view(s.core.queues.set_priority(p.command_id, p.priority))


@method("queue.cancel", c.QueueCancelParams)
async def queue_cancel(s: ControlSession, p: c.QueueCancelParams) -> Any:
    return command_view(s.core.queues.cancel(p.command_id, agent_id_of(s.core, p.agent)))


@method("emergency.stopAll", c.StopAllParams)
async def stop_all(s: ControlSession, p: c.StopAllParams) -> Any:
    return summary_view(s.core.emergency.stop_all(p.reason))


@method("emergency.resumeAll", c.NoParams)
async def resume_all(s: ControlSession, _p: c.NoParams) -> Any:
    return {"resumed": s.core.emergency.resume_all()}
