"""The emergency stop: one action that stops every executing command on every agent and pauses
every queue until the user resumes them.

Each executing run gets COMMAND_CANCEL with reason EMERGENCY_STOP, on which the agent skips the
polite SIGINT and kills the command's process group fast (SIGTERM, SIGKILL 0.3 s later: see
``agent.process``), so every agent is quiet within a second. Every queue, including those of
agents that connect later, stays paused (and every agent told PAUSE) until ``resume_all``.
A run whose agent is disconnected cannot be reached: it is closed as CANCELLED at once, and the
agent is told to drop it when it returns.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..protocol.enums import AuditEventType, CompletionReason
from ..store.types import utcnow
from ..words import plural
from .agents import AgentRegistry
from .audit import Audit
from .events import EmergencyStopped, EventBus, Notice, QueuesResumed
from .queues import QueueControl
from .records import EmergencyStopSummary, StoppedRun

if TYPE_CHECKING:
    from .commands import CommandService

log = logging.getLogger("onsembl.core.emergency")


class EmergencyStop:
    def __init__(
        self,
        commands: CommandService,
        queues: QueueControl,
        agents: AgentRegistry,
        audit: Audit,
        bus: EventBus,
    ) -> None:
        self._svc = commands
        self._queues = queues
        self._agents = agents
        self._audit = audit
        self._bus = bus

    @property
    def active(self) -> bool:
        """An emergency stop is in force (queues paused until :meth:`resume_all`)."""
        return self._svc.halted

    def stop_all(self, reason: str | None = None) -> EmergencyStopSummary:
        """Stop everything now. Returns (and publishes as :class:`EmergencyStopped`) what it did."""
        at = utcnow()
        stopped: list[StoppedRun] = []
        # Cancels first: the agent then reads PAUSE after the cancel and holds nothing stopped.
        for queue in list(self._svc._queues.values()):
            run = queue.current
            if run is None or run.status.is_final:
                continue
            stopped.append(
                StoppedRun(run.agent_id, run.agent_name, run.command.id, run.command.content)
            )
            self._svc._cancel_run(run, CompletionReason.EMERGENCY_STOP, "emergency stop")
            log.warning("emergency stop: %s on %s", run.command.id, run.agent_name)
        paused = self._queues.pause_all()
        names = tuple(sorted(a.name for a in (self._agents.get(i) for i in paused) if a))
        waiting = sum(len(q.waiting) for q in self._svc._queues.values())
        summary = EmergencyStopSummary(
            at=at, stopped=tuple(stopped), paused_agents=names, waiting=waiting, reason=reason
        )
        self._audit.record(
            AuditEventType.EMERGENCY_STOP,
            reason=reason,
            stopped=[
                {
                    "agent": s.agent_name,
                    "agent_id": s.agent_id,
                    "command_id": s.command_id,
                    "content": s.content[:200],
                }
                for s in stopped
            ],
            paused_agents=list(names),
            waiting=waiting,
        )
        self._bus.publish(EmergencyStopped(summary))
        self._bus.publish(
            Notice(
                "warning",
                f"Emergency stop: {plural(len(stopped), 'running command')} stopped, "
                f"{plural(len(names), 'queue')} paused until you resume them.",
                key="emergency",
            )
        )
        return summary

    def resume_all(self) -> list[str]:
        """Lift the emergency stop and every paused queue; returns the names of resumed agents."""
        was_halted = self._svc.halted
        resumed = self._queues.resume_all()
        names = sorted(a.name for a in (self._agents.get(i) for i in resumed) if a)
        self._audit.record(
            AuditEventType.QUEUE_RESUMED, agents=names, emergency_stop_lifted=was_halted
        )
        self._bus.publish(QueuesResumed(tuple(resumed)))
        self._bus.publish(
            Notice("info", f"{plural(len(names), 'queue')} resumed.", key="emergency")
        )
        return names
