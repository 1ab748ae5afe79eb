"""Control methods for command presets and execution-constraint profiles."""

from __future__ import annotations

from typing import Any

from ...core.commands import CommandError
from ...core.records import Limits, PresetVariable
from ...protocol import control as c
from .endpoint import ControlSession, method
from .records import preset_view, profile_view

# --- presets -------------------------------------------------------------------------------------


def _variables(items: list[c.PresetVariableParams]) -> list[PresetVariable]:
    return [PresetVariable(v.name, v.description, v.default) for v in items]


@method("presets.list", c.NoParams)
async def presets_list(s: ControlSession, _p: c.NoParams) -> Any:
    return [preset_view(p) for p in s.core.presets.all()]


@method("presets.show", c.NameParams)
async def presets_show(s: ControlSession, p: c.NameParams) -> Any:
    return preset_view(s.core.presets.need(p.name))


@method("presets.add", c.PresetParams)
async def presets_add(s: ControlSession, p: c.PresetParams) -> Any:
    preset = await s.core.presets.create(
        p.name,
        p.content,
        type=p.type,
        description=p.description,
        variables=_variables(p.variables),
        target_agent_types=p.target_agent_types,
    )
    return preset_view(preset)


@method("presets.edit", c.PresetEditParams)
async def presets_edit(s: ControlSession, p: c.PresetEditParams) -> Any:
    preset = await s.core.presets.update(
        p.name,
        new_name=p.new_name,
        content=p.content,
        type=p.type,
        description=p.description,
        variables=_variables(p.variables) if p.variables is not None else None,
        target_agent_types=p.target_agent_types,
    )
    return preset_view(preset)


@method("presets.remove", c.NameParams)
async def presets_remove(s: ControlSession, p: c.NameParams) -> Any:
    await s.core.presets.delete(p.name)
    return {"removed": p.name}


@method("presets.export", c.PresetExportParams)
async def presets_export(s: ControlSession, p: c.PresetExportParams) -> Any:
    return s.core.presets.export(p.names or None)


@method("presets.import", c.PresetImportParams)
async def presets_import(s: ControlSession, p: c.PresetImportParams) -> Any:
    return await s.core.presets.import_(p.document, replace=p.replace)


# --- profiles ------------------------------------------------------------------------------------


@method("profiles.list", c.NoParams)
async def profiles_list(s: ControlSession, _p: c.NoParams) -> Any:
    return [profile_view(p) for p in s.core.profiles.all()]


@method("profiles.add", c.ProfileParams)
async def profiles_add(s: ControlSession, p: c.ProfileParams) -> Any:
    limits = Limits(p.time_limit_ms, p.token_budget, p.memory_limit_mb, p.cpu_limit_percent)
    profile = await s.core.profiles.create(
        p.name, limits, description=p.description, default=p.default
    )
    return profile_view(profile)


@method("profiles.edit", c.ProfileEditParams)
async def profiles_edit(s: ControlSession, p: c.ProfileEditParams) -> Any:
    profile = await s.core.profiles.update(
        p.name,
        new_name=p.new_name,
        description=p.description,
        limits=p.limits,
        default=p.default,
    )
    return profile_view(profile)


@method("profiles.remove", c.NameParams)
async def profiles_remove(s: ControlSession, p: c.NameParams) -> Any:
    await s.core.profiles.delete(p.name)
    return {"removed": p.name}


@method("profiles.default", c.ProfileDefaultParams)
async def profiles_default(s: ControlSession, p: c.ProfileDefaultParams) -> Any:
    profile = await s.core.profiles.set_default(p.name)
    if p.name is not None and profile is None:
        raise CommandError(f"no constraint profile named {p.name!r}")
    return profile_view(profile) if profile else None
