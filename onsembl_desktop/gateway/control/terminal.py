"""Control methods for an agent's terminal: keystrokes and size (interactive sessions).

``terminal.input`` / ``terminal.resize`` back ``onsembl ctl input`` / ``resize``, so scripts and
tests can drive an interactive session as the UI's terminal view does (``Core.terminal_input``,
``Core.terminal_resize``).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from ...core.commands import CommandError
from ...protocol import control as c
from .endpoint import ControlSession, method


class InputParams(c.Params, kw_only=True):
    agent: str
    data: Annotated[str, msgspec.Meta(min_length=1)]


class ResizeParams(c.Params, kw_only=True):
    agent: str
    cols: Annotated[int, msgspec.Meta(ge=2, le=1000)]
    rows: Annotated[int, msgspec.Meta(ge=2, le=1000)]


def _online(s: ControlSession, name: str) -> Any:
    agent = s.core.agents.by_name(name)
    if agent is None:
        raise CommandError(f"no agent named {name!r}")
    return agent.id


@method("terminal.input", InputParams)
async def terminal_input(s: ControlSession, p: InputParams) -> Any:
    if not s.core.terminal_input(_online(s, p.agent), p.data):
        raise CommandError(f"{p.agent} is not connected")
    return {"sent": len(p.data)}


@method("terminal.resize", ResizeParams)
async def terminal_resize(s: ControlSession, p: ResizeParams) -> Any:
    if not s.core.terminal_resize(_online(s, p.agent), p.cols, p.rows):
        raise CommandError(f"{p.agent} is not connected")
    return {"cols": p.cols, "rows": p.rows}
