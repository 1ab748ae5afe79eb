"""Sending a command the way the user asks for it: text or a preset, to agents or to all, with a
constraint profile and/or its own limits. Resolves all that, then submits through the commands
service (which queues and dispatches).

Broadcast ("all") means every agent that is ONLINE when the command is sent: known agents that
are gone would otherwise collect work nobody is there to do. Name an offline agent explicitly to
queue a command for it until it returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..protocol.enums import AgentStatus, CommandType
from .agents import AgentRegistry
from .commands import CommandError, CommandService
from .constraints import ConstraintProfiles
from .presets import Presets
from .records import Limits
from .state import CommandInfo


@dataclass(frozen=True, slots=True)
class SendRequest:
    content: str = ""  # the command text; empty when ``preset`` gives it
    agents: Sequence[uuid.UUID] = ()
    broadcast: bool = False  # every ONLINE agent (see the module docstring)
    type: CommandType | None = None  # None: the preset's type, else NATURAL
    priority: int = 50  # 0-100, higher runs first
    profile: str | None = None  # constraint profile name; None: the default profile
    limits: Limits = field(default_factory=Limits)  # the command's own, over the profile's
    preset: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)  # the preset's {{variables}}
    fail_if_offline: bool = False  # fail at once for an offline agent instead of queueing


class Sender:
    def __init__(
        self,
        commands: CommandService,
        agents: AgentRegistry,
        profiles: ConstraintProfiles,
        presets: Presets,
    ) -> None:
        self._commands = commands
        self._agents = agents
        self._profiles = profiles
        self._presets = presets

    def send(self, req: SendRequest) -> CommandInfo:
        """Submit ``req``; raises CommandError (a KnownError) when it cannot be sent as asked."""
        content = req.content
        preset = None
        if req.preset is not None:
            if content.strip():
                raise CommandError("give either a preset or the command text, not both")
            preset, content = self._presets.render(req.preset, req.variables)
        elif req.variables:
            raise CommandError("variables are for presets: name the preset too")
        agents = list(req.agents)
        if preset is not None and preset.target_agent_types and not agents and not req.broadcast:
            agents = [
                a.id
                for a in self._agents.all()
                if a.type in preset.target_agent_types and a.status is AgentStatus.ONLINE
            ]
            if not agents:
                types = ", ".join(t.value for t in preset.target_agent_types)
                raise CommandError(f"preset {preset.name!r} targets {types} agents: none online")
        profile, limits = self._profiles.resolve(req.profile, req.limits)
        constraints: dict[str, object] = dict(limits.as_dict())
        if profile is not None:
            constraints["profile"] = profile.name
        info = self._commands.submit(
            content,
            agent_ids=agents,
            broadcast=req.broadcast,
            command_type=req.type or (preset.type if preset else CommandType.NATURAL),
            priority=req.priority,
            constraints=constraints,
            fail_if_offline=req.fail_if_offline,
            preset_id=preset.id if preset else None,
            constraint_id=profile.id if profile else None,
        )
        if preset is not None:
            self._presets.record_use(preset, info.id, req.variables)
        return info
