"""Command presets: saved command templates with ``{{variable}}`` placeholders.

Using a preset fills its placeholders (given values, else the variable's default; a variable with
neither is an error naming it), counts the use (``usage_count``, ``last_used_at``) and audits
PRESET_USED. Presets belong to the local user (``store.user_id``); they are exported and imported
as JSON (:data:`EXPORT_FORMAT`). As with profiles, a copy is kept in memory and changes only once
the database has committed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from ..protocol.enums import AgentType, AuditEventType, CommandType
from ..store import queries
from ..store.store import Store
from ..store.types import utcnow
from .audit import Audit
from .commands import CommandError
from .events import EventBus, PresetsChanged
from .records import PresetInfo, PresetVariable

log = logging.getLogger("onsembl.core.presets")

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
EXPORT_FORMAT = "onsembl-presets"
EXPORT_VERSION = 1


class PresetError(CommandError):
    """A preset that cannot be saved or used as asked (bad template, missing variable, ...)."""


def placeholders(content: str) -> list[str]:
    """Variable names in ``content``, once each, in order of appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(content)))


def fill(preset: PresetInfo, values: Mapping[str, str]) -> str:
    """The preset's content with every placeholder replaced; raises PresetError naming what is
    missing (no value and no default) or unknown (a value for no variable of the preset)."""
    declared = {v.name: v for v in preset.variables}
    unknown = sorted(set(values) - set(declared) - set(placeholders(preset.content)))
    if unknown:
        raise PresetError(f"preset {preset.name!r} has no variable {', '.join(unknown)}")
    missing: list[str] = []

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        var = declared.get(name)
        if var is not None and var.default is not None:
            return var.default
        if name not in missing:
            missing.append(name)
        return match.group(0)

    text = PLACEHOLDER.sub(value_of, preset.content)
    if missing:
        described = [
            f"{n} ({declared[n].description})" if n in declared and declared[n].description else n
            for n in missing
        ]
        raise PresetError(
            f"preset {preset.name!r} needs a value for {', '.join(described)} "
            f"(give {' '.join(f'--var {n}=VALUE' for n in missing)})"
        )
    return text


class Presets:
    def __init__(self, store: Store, bus: EventBus, audit: Audit) -> None:
        self._store = store
        self._bus = bus
        self._audit = audit
        self._presets: dict[str, PresetInfo] = {}

    async def load(self) -> None:
        rows = await self._store.read(partial(queries.load_presets, user_id=self._store.user_id))
        self._presets = {r.name: _info(r) for r in rows}

    # --- reading ---------------------------------------------------------------------------------

    def all(self) -> list[PresetInfo]:
        return sorted(self._presets.values(), key=lambda p: p.name.lower())

    def get(self, name: str) -> PresetInfo | None:
        return self._presets.get(name)

    def need(self, name: str) -> PresetInfo:
        preset = self._presets.get(name)
        if preset is None:
            raise PresetError(f"no preset named {name!r}")
        return preset

    # --- using -----------------------------------------------------------------------------------

    def render(self, name: str, values: Mapping[str, str]) -> tuple[PresetInfo, str]:
        """The preset and its filled-in content (nothing is recorded: see :meth:`record_use`)."""
        preset = self.need(name)
        return preset, fill(preset, values)

    def record_use(
        self, preset: PresetInfo, command_id: uuid.UUID, values: Mapping[str, str]
    ) -> None:
        """Count one use (written in order with the command) and audit PRESET_USED."""
        now = utcnow()
        self._store.call(queries.record_preset_use, preset.id, now)
        current = self._presets.get(preset.name)
        if current is not None and current.id == preset.id:
            self._presets[preset.name] = dataclasses.replace(
                current, usage_count=current.usage_count + 1, last_used_at=now
            )
        self._audit.record(
            AuditEventType.PRESET_USED,
            command_id=command_id,
            preset=preset.name,
            preset_id=preset.id,
            variables=dict(values),
        )
        self._bus.publish(PresetsChanged())

    # --- changing --------------------------------------------------------------------------------

    async def create(
        self,
        name: str,
        content: str,
        *,
        type: CommandType = CommandType.NATURAL,
        description: str | None = None,
        variables: Sequence[PresetVariable] = (),
        target_agent_types: Iterable[AgentType] = (),
    ) -> PresetInfo:
        name = _check_name(name)
        if name in self._presets:
            raise PresetError(f"a preset named {name!r} already exists")
        now = utcnow()
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "user_id": self._store.user_id,
            "name": name,
            "description": description or None,
            "content": _check_content(content),
            "type": CommandType(type),
            "target_agent_types": [AgentType(t).value for t in target_agent_types] or None,
            "variables": _variables_json(content, variables),
            "usage_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        row = await self._store.write_wait(partial(queries.insert_preset, values=values))
        info = self._put(row)
        self._audit.record(
            AuditEventType.PRESET_CREATED,
            preset=info.name,
            preset_id=info.id,
            type=info.type.value,
            variables=[v.name for v in info.variables],
        )
        self._bus.publish(PresetsChanged())
        return info

    async def update(
        self,
        name: str,
        *,
        new_name: str | None = None,
        content: str | None = None,
        type: CommandType | None = None,
        description: str | None = None,
        variables: Sequence[PresetVariable] | None = None,
        target_agent_types: Iterable[AgentType] | None = None,
    ) -> PresetInfo:
        """Change a preset; arguments left None keep their value (``description=""`` clears it).

        Variables named in ``variables`` replace the declared ones; placeholders of the content
        that no variable declares are added (without a default)."""
        old = self.need(name)
        values: dict[str, Any] = {}
        if new_name is not None and new_name != name:
            values["name"] = _check_name(new_name)
            if values["name"] in self._presets:
                raise PresetError(f"a preset named {new_name!r} already exists")
        if content is not None:
            values["content"] = _check_content(content)
        if type is not None:
            values["type"] = CommandType(type)
        if description is not None:
            values["description"] = description or None
        if target_agent_types is not None:
            values["target_agent_types"] = [AgentType(t).value for t in target_agent_types] or None
        if content is not None or variables is not None:
            values["variables"] = _variables_json(
                content if content is not None else old.content,
                variables if variables is not None else old.variables,
            )
        if not values:
            return old
        row = await self._store.write_wait(
            partial(queries.update_preset, preset_id=old.id, values=values)
        )
        del self._presets[name]
        info = self._put(row)
        self._audit.record(
            AuditEventType.PRESET_UPDATED,
            preset=info.name,
            preset_id=info.id,
            changed=sorted(values),
            previous_name=name if name != info.name else None,
        )
        self._bus.publish(PresetsChanged())
        return info

    async def delete(self, name: str) -> None:
        preset = self.need(name)
        await self._store.write_wait(partial(queries.delete_preset, preset_id=preset.id))
        self._presets.pop(name, None)
        self._audit.record(AuditEventType.PRESET_DELETED, preset=name, preset_id=preset.id)
        self._bus.publish(PresetsChanged())

    # --- import / export -------------------------------------------------------------------------

    def export(self, names: Sequence[str] | None = None) -> dict[str, Any]:
        """A JSON-ready document of the named presets (all if None)."""
        presets = [self.need(n) for n in names] if names else self.all()
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "presets": [_export_one(p) for p in presets],
        }

    async def import_(self, doc: Any, *, replace: bool = False) -> dict[str, list[str]]:
        """Add the presets of an exported document; one whose name exists is skipped, or with
        ``replace`` overwritten. Returns the names ``created``, ``updated`` and ``skipped``."""
        items = _import_items(doc)
        result: dict[str, list[str]] = {"created": [], "updated": [], "skipped": []}
        for item in items:
            fields = _import_fields(item)
            name = fields.pop("name")
            if name in self._presets:
                if not replace:
                    result["skipped"].append(name)
                    continue
                await self.update(name, description=fields.pop("description") or "", **fields)
                result["updated"].append(name)
            else:
                await self.create(name, **fields)
                result["created"].append(name)
        return result

    def _put(self, row: Any) -> PresetInfo:
        if row is None:
            raise PresetError("the preset vanished while it was being saved")
        info = _info(row)
        self._presets[info.name] = info
        return info


# --- helpers -------------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise PresetError("a preset name must have 1 to 100 characters")
    return name


def _check_content(content: str) -> str:
    if not content.strip():
        raise PresetError("a preset's content cannot be empty")
    return content


def _variables_json(content: str, variables: Sequence[PresetVariable]) -> list[dict[str, Any]]:
    """Declared variables, plus any placeholder of ``content`` they leave out (no default)."""
    seen: dict[str, PresetVariable] = {}
    for var in variables:
        if not VARIABLE_NAME.match(var.name):
            raise PresetError(f"{var.name!r} is not a valid variable name (letters, digits, _.-)")
        if var.name in seen:
            raise PresetError(f"variable {var.name!r} is declared twice")
        seen[var.name] = var
    for name in placeholders(content):
        seen.setdefault(name, PresetVariable(name))
    out = []
    for var in seen.values():
        item: dict[str, Any] = {"name": var.name, "description": var.description}
        if var.default is not None:
            item["default"] = var.default
        out.append(item)
    return out


def _info(row: Any) -> PresetInfo:
    variables = tuple(
        PresetVariable(
            name=str(v.get("name", "")),
            description=str(v.get("description") or ""),
            default=None if v.get("default") is None else str(v["default"]),
        )
        for v in (row.variables or [])
        if isinstance(v, dict)
    )
    return PresetInfo(
        id=row.id,
        name=row.name,
        content=row.content,
        type=CommandType(row.type),
        description=row.description,
        target_agent_types=tuple(AgentType(t) for t in (row.target_agent_types or [])),
        variables=variables,
        usage_count=row.usage_count or 0,
        last_used_at=row.last_used_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _export_one(p: PresetInfo) -> dict[str, Any]:
    return {
        "name": p.name,
        "description": p.description,
        "content": p.content,
        "type": p.type.value,
        "targetAgentTypes": [t.value for t in p.target_agent_types],
        "variables": [
            {"name": v.name, "description": v.description}
            | ({"default": v.default} if v.default is not None else {})
            for v in p.variables
        ],
    }


def _import_items(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and doc.get("format") == EXPORT_FORMAT:
        if doc.get("version") != EXPORT_VERSION:
            raise PresetError(f"unsupported preset file version {doc.get('version')!r}")
        doc = doc.get("presets")
    if not isinstance(doc, list) or not all(isinstance(i, dict) for i in doc):
        raise PresetError(f"not a preset export (expected {EXPORT_FORMAT!r} JSON)")
    return doc


def _import_fields(item: dict[str, Any]) -> dict[str, Any]:
    try:
        return {
            "name": str(item["name"]),
            "content": str(item["content"]),
            "type": CommandType(str(item.get("type") or "NATURAL").upper()),
            "description": item.get("description"),
            "target_agent_types": [
                AgentType(str(t).upper()) for t in item.get("targetAgentTypes") or []
            ],
            "variables": [
                PresetVariable(
                    str(v["name"]),
                    str(v.get("description") or ""),
                    None if v.get("default") is None else str(v["default"]),
                )
                for v in item.get("variables") or []
            ],
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise PresetError(f"bad preset {item.get('name', '?')!r} in the file: {exc}") from None
