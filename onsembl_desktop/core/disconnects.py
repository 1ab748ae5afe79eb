"""Agents going away and coming back: the grace period a running command gets, and reconciling
what a returning agent says it runs with what the app thinks (functions of the commands service).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ..protocol import messages as m
from ..protocol.enums import CommandStatus, CompletionReason
from .agents import AgentSession
from .model import Run

if TYPE_CHECKING:
    from .commands import CommandService


def reconcile(
    svc: CommandService, session: AgentSession, reported: list[m.CommandState]
) -> list[uuid.UUID]:
    """Reconcile what the agent says it runs with what we think; returns commands to drop."""
    known = {c.command_id for c in reported}
    queue = svc._queue(session.agent_id)
    current = queue.current
    if current is not None and current.status is CommandStatus.EXECUTING:
        current.clear_timers(keep_limit=True)  # (the grace period's; the time limit goes on)
        if current.command.id in known:
            svc.arm_time_limit(current)
        elif not current.acked and not session.new_instance:
            # Sent just as the connection died and never received: it never ran, so run it now.
            current.clear_timers()
            queue.current = None
            current.status = CommandStatus.QUEUED
            queue.waiting.insert(0, current)
            svc._mark_queue(session.agent_id)
            svc._refresh(current.command)
        else:
            svc._finish(
                current,
                CommandStatus.FAILED,
                error="the agent restarted and lost this command",
                reason=CompletionReason.AGENT_LOST.value,
            )
    unknown = []
    for state in reported:
        run = svc._run(state.command_id, session.agent_id)
        # Not ours, or given up on while the agent was away (its grace ran out): the agent
        # must stop it, or it would refuse every next command as busy until it ends.
        if run is None or (state.running and run.status.is_final):
            unknown.append(state.command_id)
    svc.update_activity(session.agent_id)
    return unknown


def went_offline(svc: CommandService, agent_id: uuid.UUID) -> None:
    queue = svc._queue(agent_id)
    if queue.current is not None and queue.current.status is CommandStatus.EXECUTING:
        start_grace(svc, queue.current)
    svc._sync_agent(agent_id)


def start_grace(svc: CommandService, run: Run) -> None:
    """The agent is away: give it ``grace_s`` to come back. The run's time limit goes on
    counting meanwhile (armed here too for a run restored after an app restart)."""
    run.clear_timers(keep_limit=True)
    run.timers.append(svc.loop.call_later(svc.timing.grace_s, _grace_expired, svc, run))
    if run.limit_timer is None:
        svc.arm_time_limit(run)


def _grace_expired(svc: CommandService, run: Run) -> None:
    if run.status.is_final or svc._agents.session(run.agent_id) is not None:
        return
    svc._finish(
        run,
        CommandStatus.FAILED,
        error=f"agent {run.agent_name} disconnected and did not return within "
        f"{svc.timing.grace_s:g} s",
        reason=CompletionReason.AGENT_LOST.value,
    )
