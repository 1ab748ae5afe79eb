"""Execution-constraint profiles: named sets of limits (time, tokens, memory, CPU), one default.

A command uses the default profile unless it names another, and its own limits (if it gives any)
override the profile's one by one: ``resolve`` returns the profile it was based on (stored as
``commands.constraint_id``) and the limits that apply (stored in ``execution_constraints``).

Profiles live in ``execution_constraints``; the database enforces one default, unique names and
positive limits. A copy is kept in memory so sending a command never waits on disk; it changes
only after the database committed the change.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from ..protocol.enums import AuditEventType
from ..store import queries
from ..store.store import Store
from ..store.types import utcnow
from .audit import Audit
from .commands import CommandError
from .events import EventBus, ProfilesChanged
from .records import Limits, ProfileInfo

log = logging.getLogger("onsembl.core.constraints")

MAX_LIMIT = 2**63 - 1  # the agent protocol's integer bound
MAX_CPU_PERCENT = 100_00  # 100 cores


def check_limits(limits: Limits) -> Limits:
    """Refuse limits that are not positive whole numbers (or too large to send to an agent)."""
    for name, value in limits.as_dict().items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise CommandError(f"{name} must be a positive whole number, not {value!r}")
        top = MAX_CPU_PERCENT if name == "cpu_limit_percent" else MAX_LIMIT
        if value > top:
            raise CommandError(f"{name} must be at most {top}")
    return limits


class ConstraintProfiles:
    def __init__(self, store: Store, bus: EventBus, audit: Audit) -> None:
        self._store = store
        self._bus = bus
        self._audit = audit
        self._profiles: dict[str, ProfileInfo] = {}

    async def load(self) -> None:
        rows = await self._store.read(queries.load_profiles)
        self._profiles = {r.name: _info(r) for r in rows}

    # --- reading ---------------------------------------------------------------------------------

    def all(self) -> list[ProfileInfo]:
        return sorted(self._profiles.values(), key=lambda p: p.name.lower())

    def get(self, name: str) -> ProfileInfo | None:
        return self._profiles.get(name)

    def default(self) -> ProfileInfo | None:
        return next((p for p in self._profiles.values() if p.is_default), None)

    def resolve(
        self, profile: str | None = None, own: Limits | None = None
    ) -> tuple[ProfileInfo | None, Limits]:
        """The profile a command is based on (named, else the default, else none) and its limits:
        ``own`` where given, the profile's elsewhere."""
        own = check_limits(own or Limits())
        base = self.default()
        if profile is not None:
            base = self._profiles.get(profile)
            if base is None:
                raise CommandError(f"no constraint profile named {profile!r}")
        return base, own.over(base.limits) if base else own

    # --- changing --------------------------------------------------------------------------------

    async def create(
        self,
        name: str,
        limits: Limits | None = None,
        *,
        description: str | None = None,
        default: bool = False,
    ) -> ProfileInfo:
        name = _check_name(name)
        limits = check_limits(limits or Limits())
        if name in self._profiles:
            raise CommandError(f"a constraint profile named {name!r} already exists")
        now = utcnow()
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "name": name,
            "description": description,
            "is_default": default,
            "created_at": now,
            "updated_at": now,
            **{k: getattr(limits, k) for k in Limits.names()},
        }
        row = await self._store.write_wait(partial(queries.insert_profile, values=values))
        info = self._replace(row, default)
        self._changed("created", info)
        return info

    async def update(
        self,
        name: str,
        *,
        new_name: str | None = None,
        description: str | None = None,
        limits: Mapping[str, int | None] | None = None,
        default: bool | None = None,
    ) -> ProfileInfo:
        """Change a profile. ``limits`` maps limit names to new values (None: no such limit);
        limits not named keep their value. ``description=""`` clears the description."""
        old = self._need(name)
        values: dict[str, Any] = {}
        if new_name is not None and new_name != name:
            values["name"] = _check_name(new_name)
            if values["name"] in self._profiles:
                raise CommandError(f"a constraint profile named {new_name!r} already exists")
        if description is not None:
            values["description"] = description or None
        for key, value in (limits or {}).items():
            if key not in Limits.names():
                raise CommandError(f"unknown limit {key!r} (one of {', '.join(Limits.names())})")
            values[key] = value
        check_limits(Limits.of({**old.limits.as_dict(), **values}))
        if default is not None:
            values["is_default"] = default
        if not values:
            return old
        row = await self._store.write_wait(
            partial(queries.update_profile, profile_id=old.id, values=values)
        )
        del self._profiles[name]
        info = self._replace(row, bool(default))
        self._changed("updated", info, previous_name=name if name != info.name else None)
        return info

    async def delete(self, name: str) -> None:
        """Remove a profile (commands that used it keep their limits; their link is cleared)."""
        info = self._need(name)
        await self._store.write_wait(partial(queries.delete_profile, profile_id=info.id))
        self._profiles.pop(name, None)
        self._changed("deleted", info)

    async def set_default(self, name: str | None) -> ProfileInfo | None:
        """Make ``name`` the default profile (None: commands get no limits unless they ask)."""
        info = self._need(name) if name is not None else None
        await self._store.write_wait(
            partial(queries.set_default_profile, profile_id=info.id if info else None)
        )
        for key, p in list(self._profiles.items()):
            is_default = info is not None and p.id == info.id
            if p.is_default != is_default:
                self._profiles[key] = _with_default(p, is_default)
        result = self._profiles.get(name) if name is not None else None
        self._audit.record(
            AuditEventType.CONSTRAINT_CHANGED,
            action="default",
            name=name,
            profile_id=info.id if info else None,
        )
        self._bus.publish(ProfilesChanged())
        return result

    # --- helpers ---------------------------------------------------------------------------------

    def _need(self, name: str) -> ProfileInfo:
        info = self._profiles.get(name)
        if info is None:
            raise CommandError(f"no constraint profile named {name!r}")
        return info

    def _replace(self, row: Any, took_default: bool) -> ProfileInfo:
        if row is None:
            raise CommandError("the profile vanished while it was being saved")
        info = _info(row)
        if took_default:  # the database cleared the old default in the same transaction
            for key, p in list(self._profiles.items()):
                if p.is_default and p.id != info.id:
                    self._profiles[key] = _with_default(p, False)
        self._profiles[info.name] = info
        return info

    def _changed(self, action: str, info: ProfileInfo, **extra: Any) -> None:
        self._audit.record(
            AuditEventType.CONSTRAINT_CHANGED,
            action=action,
            name=info.name,
            profile_id=info.id,
            limits=info.limits.as_dict(),
            is_default=info.is_default,
            **{k: v for k, v in extra.items() if v is not None},
        )
        self._bus.publish(ProfilesChanged())


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise CommandError("a profile name must have 1 to 100 characters")
    return name


def _info(row: Any) -> ProfileInfo:
    return ProfileInfo(
        id=row.id,
        name=row.name,
        limits=Limits(
            time_limit_ms=row.time_limit_ms,
            token_budget=row.token_budget,
            memory_limit_mb=row.memory_limit_mb,
            cpu_limit_percent=row.cpu_limit_percent,
        ),
        description=row.description,
        is_default=bool(row.is_default),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _with_default(p: ProfileInfo, is_default: bool) -> ProfileInfo:
    return dataclasses.replace(p, is_default=is_default)
