"""Control methods for agents: stop / restart / pause / resume one, and the local agents the app
supervises (list, add, remove, start, stop, restart)."""

from __future__ import annotations

from typing import Any

from ...core.commands import CommandError
from ...core.records import LocalAgentSpec
from ...core.supervisor import Supervisor
from ...protocol import control as c
from .endpoint import ControlSession, method
from .records import local_agent_view


@method("agents.control", c.AgentControlParams)
async def agents_control(s: ControlSession, p: c.AgentControlParams) -> Any:
    await s.core.control.apply(p.name, p.action)
    return {"name": p.name, "action": p.action.value}


def _local(s: ControlSession) -> Supervisor:
    if s.core.control.local is None:
        raise CommandError("this app does not supervise local agents")
    return s.core.control.local


@method("localAgents.list", c.NoParams)
async def local_list(s: ControlSession, _p: c.NoParams) -> Any:
    return [local_agent_view(a) for a in _local(s).all()]


@method("localAgents.add", c.LocalAgentParams)
async def local_add(s: ControlSession, p: c.LocalAgentParams) -> Any:
    spec = LocalAgentSpec(
        name=p.name,
        type=p.type,
        cwd=p.cwd,
        cli=p.cli,
        cli_args=tuple(p.cli_args),
        interactive=p.interactive,
    )
    return local_agent_view(await _local(s).add(spec, start=p.start))


@method("localAgents.remove", c.NameParams)
async def local_remove(s: ControlSession, p: c.NameParams) -> Any:
    await _local(s).remove(p.name)
    return {"removed": p.name}


@method("localAgents.start", c.NameParams)
async def local_start(s: ControlSession, p: c.NameParams) -> Any:
    return local_agent_view(await _local(s).start_agent(p.name))


@method("localAgents.stop", c.NameParams)
async def local_stop(s: ControlSession, p: c.NameParams) -> Any:
    return local_agent_view(await _local(s).stop_agent(p.name))


@method("localAgents.restart", c.NameParams)
async def local_restart(s: ControlSession, p: c.NameParams) -> Any:
    return local_agent_view(await _local(s).restart_agent(p.name))
