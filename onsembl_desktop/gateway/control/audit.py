"""Control method for the audit trail: ``audit.list`` (newest first), read off the loop."""

from __future__ import annotations

from typing import Any

from ...protocol import control as c
from .endpoint import ControlSession, method
from .history import parse_time
from .queues import agent_id_of
from .records import audit_view


@method("audit.list", c.AuditParams)
async def audit_list(s: ControlSession, p: c.AuditParams) -> Any:
    entries = await s.core.audit.query(
        event_type=p.type,
        since=parse_time(p.since) if p.since else None,
        agent_id=agent_id_of(s.core, p.agent),
        command_id=p.command_id,
        limit=p.limit,
    )
    return [audit_view(e) for e in entries]
