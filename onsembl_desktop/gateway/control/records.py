"""JSON views of the orchestration snapshots (``core.records``), as control methods return them."""

from __future__ import annotations

from typing import Any

from ...core.records import (
    AuditEntry,
    EmergencyStopSummary,
    Limits,
    LocalAgentInfo,
    PresetInfo,
    ProfileInfo,
    QueueEntryInfo,
    QueueInfo,
)
from ..views import iso


def entry_view(e: QueueEntryInfo) -> dict[str, Any]:
    c = e.command
    return {
        "position": e.position,
        "status": e.status.value,
        "commandId": str(c.id),
        "content": c.content,
        "type": c.type.value,
        "priority": c.priority,
        "broadcast": c.broadcast,
        "commandStatus": c.status.value,
        "enqueuedAt": iso(e.enqueued_at),
    }


def queue_view(q: QueueInfo) -> dict[str, Any]:
    return {
        "agentId": str(q.agent_id),
        "agent": q.agent_name,
        "paused": q.paused,
        "current": entry_view(q.current) if q.current else None,
        "waiting": [entry_view(e) for e in q.waiting],
    }


def summary_view(s: EmergencyStopSummary) -> dict[str, Any]:
    return {
        "at": iso(s.at),
        "atEpoch": s.at.timestamp(),
        "reason": s.reason,
        "stopped": [
            {
                "agent": r.agent_name,
                "agentId": str(r.agent_id),
                "commandId": str(r.command_id),
                "content": r.content,
            }
            for r in s.stopped
        ],
        "pausedAgents": list(s.paused_agents),
        "waiting": s.waiting,
    }


def limits_view(limits: Limits) -> dict[str, Any]:
    return {
        "timeLimitMs": limits.time_limit_ms,
        "tokenBudget": limits.token_budget,
        "memoryLimitMb": limits.memory_limit_mb,
        "cpuLimitPercent": limits.cpu_limit_percent,
    }


def profile_view(p: ProfileInfo) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "description": p.description,
        "isDefault": p.is_default,
        "limits": limits_view(p.limits),
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
    }


def preset_view(p: PresetInfo) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "description": p.description,
        "content": p.content,
        "type": p.type.value,
        "targetAgentTypes": [t.value for t in p.target_agent_types],
        "variables": [
            {"name": v.name, "description": v.description, "default": v.default}
            for v in p.variables
        ],
        "usageCount": p.usage_count,
        "lastUsedAt": iso(p.last_used_at),
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
    }


def local_agent_view(a: LocalAgentInfo) -> dict[str, Any]:
    spec = a.spec
    return {
        "name": spec.name,
        "type": spec.type.value,
        "cwd": spec.cwd,
        "cli": spec.cli,
        "cliArgs": list(spec.cli_args),
        "interactive": spec.interactive,
        "state": a.state,
        "enabled": a.enabled,
        "pid": a.pid,
        "restarts": a.restarts,
        "lastExit": a.last_exit,
        "nextRestartInS": a.next_restart_in_s,
        "error": a.error,
        "log": str(a.log_path) if a.log_path else None,
    }


def audit_view(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "type": e.event_type.value,
        "at": iso(e.created_at),
        "userId": str(e.user_id) if e.user_id else None,
        "agentId": str(e.agent_id) if e.agent_id else None,
        "commandId": str(e.command_id) if e.command_id else None,
        "details": e.details,
        "ipAddress": e.ip_address,
        "userAgent": e.user_agent,
    }
