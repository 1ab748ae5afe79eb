"""What the scheduler writes down: database rows, audit entries, messages, notices, built from its
model (pure functions; the scheduler decides when)."""

from __future__ import annotations

from typing import Any

from ...protocol import messages as m
from ...protocol.enums import AuditEventType, CommandStatus, CompletionReason
from ...words import plural
from ..events import EmergencyStopped, Notice, QueuesResumed
from ..records import EmergencyStopSummary
from . import actions as a
from .model import Agent, Command, Run, Submission
from .stored import QueueEntryRow

_LIMIT_EVENTS = {
    CompletionReason.TIME_LIMIT_EXCEEDED.value,
    CompletionReason.TOKEN_LIMIT_EXCEEDED.value,
    CompletionReason.MEMORY_LIMIT_EXCEEDED.value,
}


def command_created(command: Command, targets: list[Agent], sub: Submission) -> list[a.Action]:
    """The new command's rows, and COMMAND_SENT once per target (with its agent id, so the audit
    filtered by agent shows what was sent to it)."""
    now = command.created_at
    insert = a.InsertCommand(
        {
            "id": command.id,
            "content": command.content,
            "type": command.type,
            "target_agents": [str(t.id) for t in targets],
            "broadcast": command.broadcast,
            "status": CommandStatus.PENDING,
            "priority": command.priority,
            "execution_constraints": command.constraints,
            "preset_id": sub.preset_id,
            "constraint_id": sub.constraint_id,
            "created_at": now,
            "updated_at": now,
        },
        tuple(
            {
                "id": r.id,
                "command_id": command.id,
                "agent_id": r.agent_id,
                "status": CommandStatus.PENDING,
                "created_at": now,
                "updated_at": now,
            }
            for r in command.runs.values()
        ),
    )
    sent: list[a.Action] = [
        a.Audit(
            AuditEventType.COMMAND_SENT,
            agent.id,
            command.id,
            details={
                "agent": agent.name,
                "targets": len(targets),
                "broadcast": command.broadcast,
                "type": command.type.value,
                "priority": command.priority,
                "content": command.content[:500],
                "constraints": command.constraints,
            },
        )
        for agent in targets
    ]
    return [insert, *sent]


def command_request(run: Run) -> m.CommandRequest:
    command = run.command
    limits = command.constraints
    return m.CommandRequest(
        command_id=command.id,
        content=command.content,
        command_type=command.type,
        priority=command.priority,
        constraints=m.Constraints(
            time_limit_ms=limits.get("time_limit_ms"),
            token_budget=limits.get("token_budget"),
            memory_limit_mb=limits.get("memory_limit_mb"),
            cpu_limit_percent=limits.get("cpu_limit_percent"),
        ),
    )


def queue_row(run: Run) -> QueueEntryRow:
    return QueueEntryRow(run.entry_id, run.command.id, run.priority, run.enqueued_at)


def run_ended(run: Run, session_id: str | None) -> a.UpdateRun:
    values: dict[str, Any] = {
        "status": run.status,
        "completed_at": run.completed_at,
        "exit_code": run.exit_code,
        "error": run.error,
        "reason": run.reason,
        "input_tokens": run.tokens.input,
        "output_tokens": run.tokens.output,
        "cached_tokens": run.tokens.cached,
        "total_tokens": run.tokens.total,
        "cost_usd": run.tokens.cost_usd,
    }
    if session_id:
        values["session_id"] = session_id
    return a.UpdateRun(run.command.id, run.agent_id, values)


def end_audits(run: Run) -> list[a.Action]:
    """COMMAND_COMPLETED for every run's end; also COMMAND_FAILED, and the limit it broke."""
    details: dict[str, Any] = {
        "agent": run.agent_name,
        "status": run.status.value,
        "exit_code": run.exit_code,
        "error": run.error,
        "reason": run.reason,
        "tokens": run.tokens.total,
    }
    events = [(AuditEventType.COMMAND_COMPLETED, details)]
    if run.status is CommandStatus.FAILED:  # errors are findable by type, not only by details
        events.append((AuditEventType.COMMAND_FAILED, details))
    if run.reason in _LIMIT_EVENTS:
        limit = details | {"constraints": run.command.constraints}
        events.append((AuditEventType(run.reason), limit))
    return [
        a.Audit(event, run.agent_id, run.command.id, by_user=False, details=values)
        for event, values in events
    ]


def emergency_stopped(summary: EmergencyStopSummary) -> list[a.Action]:
    """EMERGENCY_STOP with what was stopped; the summary and a notice for the user."""
    audit = a.Audit(
        AuditEventType.EMERGENCY_STOP,
        details={
            "reason": summary.reason,
            "stopped": [
                {
                    "agent": s.agent_name,
                    "agent_id": s.agent_id,
                    "command_id": s.command_id,
                    "content": s.content[:200],
                }
                for s in summary.stopped
            ],
            "paused_agents": list(summary.paused_agents),
            "waiting": summary.waiting,
        },
    )
    notice = Notice(
        "warning",
        f"Emergency stop: {plural(len(summary.stopped), 'running command')} stopped, "
        f"{plural(len(summary.paused_agents), 'queue')} paused until you resume them.",
        key="emergency",
    )
    return [audit, a.Publish(EmergencyStopped(summary)), a.Publish(notice)]


def queues_resumed(resumed: list[Agent], was_halted: bool) -> list[a.Action]:
    """QUEUE_RESUMED with the agents' names; the event and a notice for the user."""
    names = sorted(agent.name for agent in resumed if agent.registered)
    audit = a.Audit(
        AuditEventType.QUEUE_RESUMED,
        details={"agents": names, "emergency_stop_lifted": was_halted},
    )
    notice = Notice("info", f"{plural(len(names), 'queue')} resumed.", key="emergency")
    event = QueuesResumed(tuple(agent.id for agent in resumed))
    return [audit, a.Publish(event), a.Publish(notice)]
