"""Stopping runs: out of the queue if waiting, through the agent (COMMAND_CANCEL) if executing,
closed by the app when the agent is away or does not confirm (functions of the commands service).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..protocol import messages as m
from ..protocol.enums import CommandStatus, CompletionReason
from ..store import queries
from .model import Run

if TYPE_CHECKING:
    from .commands import CommandService

log = logging.getLogger("onsembl.core.commands")


def cancel_run(svc: CommandService, run: Run, reason: CompletionReason, message: str) -> None:
    """Take a waiting run out of its queue, or ask the agent to stop an executing one (closing it
    here if the agent is away, or if it does not confirm in time)."""
    if run.status.is_final:
        return
    queue = svc._queue(run.agent_id)
    if queue.remove(run) or run.status is not CommandStatus.EXECUTING:
        svc._mark_queue(run.agent_id)
        svc._finish(run, CommandStatus.CANCELLED, error=message, reason=reason.value)
        return
    session = svc._agents.session(run.agent_id)
    if session is None:
        final = (
            CommandStatus.FAILED
            if reason in (CompletionReason.TIME_LIMIT_EXCEEDED,)
            else CommandStatus.CANCELLED
        )
        svc._finish(run, final, error=message, reason=reason.value)
        return
    run.cancel_reason = reason.value
    svc._store.call(queries.mark_interrupt, run.entry_id, message)
    session.link.send(m.CommandCancel(command_id=run.command.id, reason=reason, message=message))
    run.timers.append(
        svc.loop.call_later(svc.timing.cancel_timeout_s, _cancel_timed_out, svc, run, reason)
    )


def _cancel_timed_out(svc: CommandService, run: Run, reason: CompletionReason) -> None:
    if run.status.is_final:
        return
    log.warning("%s did not confirm the cancel of %s", run.agent_name, run.command.id)
    status = (
        CommandStatus.FAILED
        if reason is CompletionReason.TIME_LIMIT_EXCEEDED
        else CommandStatus.CANCELLED
    )
    svc._finish(
        run,
        status,
        error=f"agent {run.agent_name} did not confirm the stop within "
        f"{svc.timing.cancel_timeout_s:g} s",
        reason=reason.value,
    )
