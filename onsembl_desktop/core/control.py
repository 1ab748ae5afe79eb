"""Controlling one agent: pause, resume, stop, restart (AGENT_CONTROL), each audited.

* pause — its queue starts nothing new, and the agent holds its running command (SIGSTOP) and
  refuses new ones; resume undoes both (``core.queues`` keeps the two in step, also across
  reconnects and app restarts).
* stop — the agent stops its command and exits. A local agent (``core.supervisor``) is not
  restarted and stays stopped until started again; its waiting commands stay queued.
* restart — a local agent is stopped and launched again by the app; any other agent re-executes
  itself (AGENT_CONTROL RESTART) and reconnects.

Agents are named by id or by name; a local agent that never connected is known by name only.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from ..protocol import messages as m
from ..protocol.enums import AuditEventType, ControlAction
from .agents import AgentRegistry
from .audit import Audit
from .commands import CommandError
from .queues import QueueControl
from .records import QueueInfo
from .state import AgentInfo

if TYPE_CHECKING:
    from .commands import CommandService
    from .supervisor import Supervisor

log = logging.getLogger("onsembl.core.control")


class AgentControls:
    def __init__(
        self,
        commands: CommandService,
        queues: QueueControl,
        agents: AgentRegistry,
        audit: Audit,
    ) -> None:
        self._svc = commands
        self._queues = queues
        self._agents = agents
        self._audit = audit
        self.local: Supervisor | None = None  # set by the app once it supervises local agents

    def pause(self, agent: uuid.UUID | str) -> QueueInfo:
        info = self._known(agent)
        queue = self._queues.pause(info.id)
        self._record(ControlAction.PAUSE, info.name, info, via="agent")
        return queue

    def resume(self, agent: uuid.UUID | str) -> QueueInfo:
        info = self._known(agent)
        queue = self._queues.resume(info.id)
        self._record(ControlAction.RESUME, info.name, info, via="agent")
        return queue

    async def stop(self, agent: uuid.UUID | str) -> None:
        name, info = self._resolve(agent)
        if self.local is not None and self.local.is_local(name):
            await self.local.stop_agent(name)  # (audited there)
            return
        self._send(ControlAction.STOP, name, info)

    async def restart(self, agent: uuid.UUID | str) -> None:
        name, info = self._resolve(agent)
        if self.local is not None and self.local.is_local(name):
            await self.local.restart_agent(name)  # (audited there)
            return
        self._send(ControlAction.RESTART, name, info)

    async def apply(self, agent: uuid.UUID | str, action: ControlAction) -> None:
        """Any of the four actions (what ``ctl agent ACTION NAME`` calls)."""
        if action is ControlAction.PAUSE:
            self.pause(agent)
        elif action is ControlAction.RESUME:
            self.resume(agent)
        elif action is ControlAction.STOP:
            await self.stop(agent)
        else:
            await self.restart(agent)

    # --- helpers ---------------------------------------------------------------------------------

    def _send(self, action: ControlAction, name: str, info: AgentInfo | None) -> None:
        """STOP or RESTART to a connected agent (which then leaves this connection)."""
        session = self._agents.session(info.id) if info else None
        if session is None:
            raise CommandError(f"agent {name} is not connected")
        session.stopping = True
        session.link.send(m.AgentControl(action=action, reason="asked by the user"))
        self._record(action, name, info, via="agent")

    def _record(
        self, action: ControlAction, name: str, info: AgentInfo | None, *, via: str
    ) -> None:
        online = info is not None and self._agents.session(info.id) is not None
        log.info("%s %s (via %s)", action.value.lower(), name, via)
        self._audit.record(
            AuditEventType.AGENT_CONTROL,
            agent_id=info.id if info else None,
            action=action.value,
            name=name,
            via=via,
            online=online,
        )

    def _known(self, agent: uuid.UUID | str) -> AgentInfo:
        name, info = self._resolve(agent)
        if info is None:
            raise CommandError(f"agent {name} has never connected")
        return info

    def _resolve(self, agent: uuid.UUID | str) -> tuple[str, AgentInfo | None]:
        if isinstance(agent, uuid.UUID):
            info = self._agents.get(agent)
            if info is None:
                raise CommandError(f"no agent {agent}")
            return info.name, info
        info = self._agents.by_name(agent)
        if info is None and (self.local is None or not self.local.is_local(agent)):
            raise CommandError(f"no agent named {agent!r}")
        return agent, info
