"""The audit trail: every event worth keeping for 30 days, written through the store's writer.

Who did it: an event the person caused (``by_user``) records where the request came from, so the
Audit page can say "onsembl ctl" or "the demo" rather than "you" for all of them. That origin is
the context of the call — :func:`acting_as` around the work a client asked for (the control
endpoint serves ctl in it, the demo its own commands) — recorded as the row's ``user_agent``;
the window's own actions have none, and are the user's.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial
from typing import Any

from ..protocol.enums import AuditEventType
from ..store import queries
from ..store.store import Store
from .events import AuditRecorded, EventBus
from .records import AuditEntry

log = logging.getLogger("onsembl.audit")

# Where the request being served came from ("onsembl ctl", "onsembl demo"); None: the window.
_origin: ContextVar[str | None] = ContextVar("onsembl_audit_origin", default=None)
CTL_ORIGIN = "onsembl ctl"
DEMO_ORIGIN = "onsembl demo"


@contextmanager
def acting_as(origin: str) -> Iterator[None]:
    """What the user's events recorded inside this block (and in tasks it starts) came from."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


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
        if by_user and user_agent is None:
            user_agent = _origin.get()
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

    async def query(
        self,
        *,
        event_type: AuditEventType | None = None,
        since: datetime | None = None,
        agent_id: uuid.UUID | None = None,
        command_id: uuid.UUID | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Recorded events, newest first (everything recorded so far is included)."""
        await self._store.flush()
        rows = await self._store.read(
            partial(
                queries.audit_rows,
                event_type=event_type,
                since=since,
                agent_id=agent_id,
                command_id=command_id,
                limit=limit,
            )
        )
        return [
            AuditEntry(
                id=r.id,
                event_type=r.event_type,
                created_at=r.created_at,
                user_id=r.user_id,
                agent_id=r.agent_id,
                command_id=r.command_id,
                details=dict(r.details or {}),
                ip_address=r.ip_address,
                user_agent=r.user_agent,
            )
            for r in rows
        ]


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
