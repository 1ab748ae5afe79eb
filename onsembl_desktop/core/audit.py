"""The audit trail: every event worth keeping for 30 days, written through the store's writer."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ..protocol.enums import AuditEventType
from ..store import queries
from ..store.store import Store
from .events import AuditRecorded, EventBus

log = logging.getLogger("onsembl.audit")


class Audit:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self._store = store
        self._bus = bus

    def record(
        self,
        event_type: AuditEventType,
        *,
        agent_id: uuid.UUID | None = None,
        command_id: uuid.UUID | None = None,
        ip_address: str | None = None,
        user_agent: str | None = None,
        by_user: bool = True,
        **details: Any,
    ) -> None:
        """Record an event (asynchronously, in order with every other write)."""
        log.debug("audit %s agent=%s command=%s %s", event_type, agent_id, command_id, details)
        self._store.call(
            queries.insert_audit,
            event_type=event_type,
            user_id=self._store.user_id if by_user else None,
            agent_id=agent_id,
            command_id=command_id,
            details=_jsonable(details),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        self._bus.publish(AuditRecorded(event_type, details, agent_id, command_id))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
