"""Per-agent queues as the user sees and changes them: list, move, re-prioritise, cancel, pause.

The queues themselves live in :class:`~.commands.CommandService` (which dispatches from them and
mirrors their order to ``command_queue``); this is the user's handle on them. Every change
publishes :class:`~.events.QueueChanged` for the agent (via the service) and is audited.

A paused queue starts nothing new. Its agent is told too (AGENT_CONTROL PAUSE: it holds the
running command with SIGSTOP and refuses new ones), now if it is connected, else when it connects;
RESUME undoes both. Which queues are paused, which agents were told, and whether an emergency stop
is in force is machine-local state in ``DATA_DIR/queues.json``, so a restart does not quietly
resume what the user paused.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from ..protocol import messages as m
from ..protocol.enums import AuditEventType, CommandStatus, CompletionReason, ControlAction
from ..store import queries
from ..store.types import utcnow
from .agents import AgentRegistry, AgentSession
from .audit import Audit
from .commands import CommandError
from .jsonfile import JsonFile
from .model import AgentQueue, Command, Run
from .records import QueueEntryInfo, QueueInfo
from .state import CommandInfo

if TYPE_CHECKING:
    from .commands import CommandService

log = logging.getLogger("onsembl.core.queues")


class QueueControl:
    def __init__(
        self,
        commands: CommandService,
        agents: AgentRegistry,
        audit: Audit,
        state_file: JsonFile | None = None,
    ) -> None:
        self._svc = commands
        self._agents = agents
        self._audit = audit
        self._state = state_file
        self._told_paused: set[uuid.UUID] = set()  # agents last sent PAUSE (not yet RESUME)

    async def load(self) -> None:
        """Restore which queues were paused, and an emergency stop still in force."""
        if self._state is None:
            return
        saved = await self._state.load({})
        halted = self._svc.halted = bool(saved.get("halted", False))
        paused = {uuid.UUID(i) for i in saved.get("paused", []) if _is_uuid(i)}
        running = {uuid.UUID(i) for i in saved.get("running", []) if _is_uuid(i)}
        self._told_paused = {uuid.UUID(i) for i in saved.get("told", []) if _is_uuid(i)}
        for agent in self._agents.all():
            # During an emergency stop, a queue not saved as resumed stays paused.
            self._set_paused(agent.id, agent.id in paused or (halted and agent.id not in running))

    # --- reading ---------------------------------------------------------------------------------

    @property
    def halted(self) -> bool:
        """An emergency stop is in force: nothing starts until ``core.emergency.resume_all()``."""
        return self._svc.halted

    def get(self, agent_id: uuid.UUID) -> QueueInfo:
        """One agent's queue (empty for an agent that never had work)."""
        agent = self._agents.get(agent_id)
        name = agent.name if agent else str(agent_id)
        queue = self._svc._queues.get(agent_id)
        if queue is None:
            return QueueInfo(agent_id, name, self._svc.halted, None, ())
        current = self._entry(queue.current, 0) if queue.current else None
        waiting = tuple(self._entry(r, i) for i, r in enumerate(queue.waiting, start=1))
        return QueueInfo(agent_id, name, queue.paused, current, waiting)

    def all(self) -> list[QueueInfo]:
        """Every known agent's queue, by agent name."""
        ids = [a.id for a in self._agents.all()]
        ids += [i for i in self._svc._queues if i not in set(ids)]
        return [self.get(i) for i in ids]

    def _entry(self, run: Run, position: int) -> QueueEntryInfo:
        return QueueEntryInfo(
            agent_id=run.agent_id,
            command=self._svc._info(run.command),
            position=position,
            status=run.status,
            enqueued_at=run.enqueued_at,
        )

    # --- changing --------------------------------------------------------------------------------

    def move(
        self, command_id: uuid.UUID, position: int, agent_id: uuid.UUID | None = None
    ) -> QueueInfo:
        """Move a waiting command to ``position`` (1: next to run; clamped to the queue's length).

        ``agent_id`` picks the queue when the command waits in several (a broadcast).
        """
        run = self._waiting_run(command_id, agent_id)
        queue = self._svc._queue(run.agent_id)
        before = queue.position_of(run)
        after = queue.move(run, position)
        self._svc._mark_queue(run.agent_id)
        self._svc._refresh(run.command)
        self._audit.record(
            AuditEventType.QUEUE_MOVED,
            agent_id=run.agent_id,
            command_id=command_id,
            agent=run.agent_name,
            action="move",
            from_position=before,
            to_position=after,
        )
        return self.get(run.agent_id)

    def set_priority(self, command_id: uuid.UUID, priority: int) -> CommandInfo:
        """Change an open command's priority (0-100) and re-sort it in every queue it waits in."""
        if not 0 <= priority <= 100:
            raise CommandError(f"priority must be between 0 and 100, not {priority}")
        command = self._open_command(command_id)
        old = command.priority
        command.priority = priority
        self._svc._store.call(
            queries.update_command, command_id, {"priority": priority, "updated_at": utcnow()}
        )
        positions: dict[str, int] = {}
        for run in command.runs.values():
            queue = self._svc._queue(run.agent_id)
            if queue.remove(run):
                positions[run.agent_name] = queue.insert(run)
                self._svc._mark_queue(run.agent_id)
        self._svc._refresh(command)
        self._audit.record(
            AuditEventType.QUEUE_MOVED,
            command_id=command_id,
            action="priority",
            from_priority=old,
            to_priority=priority,
            positions=positions,
        )
        return self._svc._info(command)

    def cancel(self, command_id: uuid.UUID, agent_id: uuid.UUID | None = None) -> CommandInfo:
        """Cancel a command on one agent (its entry in that queue), or everywhere (no agent).

        A waiting entry leaves the queue; an executing one is stopped by its agent, which then
        takes the next waiting command.
        """
        if agent_id is None:
            return self._svc.cancel(command_id)
        command = self._open_command(command_id)
        run = command.runs.get(agent_id)
        if run is None:
            raise CommandError(f"command {command_id} was not sent to that agent")
        if run.status.is_final:
            return self._svc._info(command)
        was = run.status
        self._svc._cancel_run(run, CompletionReason.CANCELLED, "cancelled by the user")
        self._audit.record(
            AuditEventType.COMMAND_CANCELLED,
            agent_id=agent_id,
            command_id=command_id,
            agent=run.agent_name,
            reason=CompletionReason.CANCELLED.value,
            was=was.value,
        )
        return self._svc._info(command)

    # --- pausing (core.control and core.emergency audit these) ---------------------------------

    def pause(self, agent_id: uuid.UUID) -> QueueInfo:
        """Start nothing new on this agent (what runs now goes on)."""
        self._set_paused(agent_id, True)
        self._save()
        return self.get(agent_id)

    def resume(self, agent_id: uuid.UUID) -> QueueInfo:
        """Let this agent's queue run again (also during an emergency stop: the user chose)."""
        self._set_paused(agent_id, False)
        self._save()
        self._svc._pump(agent_id)
        return self.get(agent_id)

    def pause_all(self) -> list[uuid.UUID]:
        """Pause every queue, now and any made later, until :meth:`resume_all`."""
        self._svc.halted = True
        ids = [a.id for a in self._agents.all()]
        ids += [i for i in self._svc._queues if i not in set(ids)]
        for agent_id in ids:
            self._set_paused(agent_id, True)
        self._save()
        return ids

    def resume_all(self) -> list[uuid.UUID]:
        """Lift the emergency stop and every pause; returns the agents whose queue was paused."""
        self._svc.halted = False
        resumed = [i for i, q in self._svc._queues.items() if q.paused]
        for agent_id in resumed:
            self._set_paused(agent_id, False)
        self._save()
        self._svc.pump_all()
        return resumed

    def is_paused(self, agent_id: uuid.UUID) -> bool:
        queue = self._svc._queues.get(agent_id)
        return queue.paused if queue is not None else self._svc.halted

    def agent_online(self, session: AgentSession) -> None:
        """An agent (re)connected (after its welcome): tell it whether it is paused."""
        self._tell(session.agent_id, self.is_paused(session.agent_id), session)

    def _set_paused(self, agent_id: uuid.UUID, paused: bool) -> None:
        queue: AgentQueue = self._svc._queue(agent_id)
        if queue.paused != paused:
            queue.paused = paused
            self._svc._mark_queue(agent_id)
        self._svc.update_activity(agent_id)
        self._tell(agent_id, paused)

    def _tell(self, agent_id: uuid.UUID, paused: bool, session: AgentSession | None = None) -> None:
        """Bring the agent's own pause in line with its queue's (no message if it already is)."""
        session = session or self._agents.session(agent_id)
        if session is None:
            return  # told when it connects
        if paused:
            self._told_paused.add(agent_id)
            session.link.send(m.AgentControl(action=ControlAction.PAUSE, reason="queue paused"))
        elif agent_id in self._told_paused:
            self._told_paused.discard(agent_id)
            session.link.send(m.AgentControl(action=ControlAction.RESUME, reason="queue resumed"))
        self._save()

    def _save(self) -> None:
        if self._state is None:
            return
        queues = self._svc._queues.items()
        self._state.save(
            {
                "halted": self._svc.halted,
                "paused": sorted(str(i) for i, q in queues if q.paused),
                "running": sorted(str(i) for i, q in queues if not q.paused),
                "told": sorted(str(i) for i in self._told_paused),
            }
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _open_command(self, command_id: uuid.UUID) -> Command:
        command = self._svc._commands.get(command_id)
        if command is None or command.status.is_final:
            raise CommandError(f"no open command {command_id}")
        return command

    def _waiting_run(self, command_id: uuid.UUID, agent_id: uuid.UUID | None) -> Run:
        command = self._open_command(command_id)
        if agent_id is not None:
            run = command.runs.get(agent_id)
            if run is None:
                raise CommandError(f"command {command_id} was not sent to that agent")
            runs = [run]
        else:
            runs = [r for r in command.runs.values() if not r.status.is_final]
        waiting = [r for r in runs if r.status is CommandStatus.QUEUED]
        if len(waiting) == 1:
            return waiting[0]
        if len(waiting) > 1:
            names = ", ".join(sorted(r.agent_name for r in waiting))
            raise CommandError(f"the command waits in several queues ({names}): name the agent")
        running = [r.agent_name for r in runs if r.status is CommandStatus.EXECUTING]
        if running:
            raise CommandError(
                f"the command is already running on {', '.join(running)}; cancel it instead"
            )
        raise CommandError("the command is not waiting in a queue")


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
