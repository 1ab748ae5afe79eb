"""JSON views of core snapshots and stored rows, as the control endpoint returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core.state import AgentInfo, CommandInfo, RunInfo, Tokens


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def tokens_view(t: Tokens) -> dict[str, Any]:
    return {
        "input": t.input,
        "output": t.output,
        "cached": t.cached,
        "total": t.total,
        "costUsd": t.cost_usd,
        "costEstimated": t.estimated,  # from a price table, not the CLI (costSource says which)
        "costSource": t.cost_source if t.estimated else None,
    }


def agent_view(a: AgentInfo) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "name": a.name,
        "type": a.type.value,
        "status": a.status.value,
        "activity": a.activity.value,
        "hostMachine": a.host_machine,
        "connectedAt": iso(a.connected_at),
        "disconnectedAt": iso(a.disconnected_at),
        "currentCommandId": str(a.current_command_id) if a.current_command_id else None,
        "queueLength": a.queue_length,
        "paused": a.paused,
        "interactive": a.interactive,
        "health": a.health,
        "tokens": tokens_view(a.tokens),
        "version": a.version,
        "cwd": a.cwd,
        "refused": a.refused,
        "cli": {"name": a.cli_name, "version": a.cli_version} if a.cli_name else None,
        "notice": a.notice,
    }


def run_view(r: RunInfo) -> dict[str, Any]:
    return {
        "agentId": str(r.agent_id),
        "agent": r.agent_name,
        "status": r.status.value,
        "exitCode": r.exit_code,
        "error": r.error,
        "reason": r.reason,
        "tokens": tokens_view(r.tokens),
        "startedAt": iso(r.started_at),
        "completedAt": iso(r.completed_at),
        "queuePosition": r.queue_position,
    }


def command_view(c: CommandInfo) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "content": c.content,
        "type": c.type.value,
        "status": c.status.value,
        "priority": c.priority,
        "broadcast": c.broadcast,
        "constraints": c.constraints,
        "createdAt": iso(c.created_at),
        "startedAt": iso(c.started_at),
        "completedAt": iso(c.completed_at),
        "error": c.error,
        "runs": [run_view(r) for r in c.runs],
    }
