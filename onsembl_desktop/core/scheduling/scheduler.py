"""Command scheduling as one sans-I/O state machine: events in, actions out.

The :class:`Scheduler` holds every open command, its per-agent runs and each agent's queue. Its
input methods are the events scheduling reacts to — a command sent, an agent connected or gone,
its acknowledgement, usage and completion, a cancel, a pause, the emergency stop, a move, the
restore at start, and :meth:`Scheduler.tick` of the clock it was given — and each one only
changes the state and appends :mod:`.actions` (send to an agent, write a row, publish, audit, set
or cancel a timer), which :meth:`Scheduler.actions_to_perform` hands to whoever drives it. No
asyncio, no database, no sockets: the tests drive it directly with a clock they move by hand.

The rules it keeps (docs/ARCHITECTURE.md, *Core*):

* One run per target agent; the command's status is the aggregate of its runs.
* Each agent executes at most one run; the rest wait in its queue, by priority (higher first)
  then arrival, and a newcomer never overtakes a waiting run of its own priority or higher, even
  after the user moved entries. A run starts only on an agent that is connected, not paused, not
  leaving (told to STOP or RESTART) and free.
* A run the agent does not acknowledge before its connection drops is run again when the same
  agent process returns; one a new process does not know is FAILED (AGENT_LOST).
* A disconnected agent's executing run waits ``grace_s`` for it, then FAILS (AGENT_LOST).
* A stop (cancel, limit, emergency stop) of an executing run is COMMAND_CANCEL to its agent; if
  the agent does not confirm it within ``cancel_timeout_s`` the app closes the run. A waiting run
  just leaves the queue; a run whose agent is away is closed at once.
* The app's backstop of a time limit fires ``time_limit_slack_s`` after the agent should have
  stopped the run, counted from its start whether the agent is connected or not; a token budget's
  backstop fires on the usage report that exceeds it.
* A paused queue starts nothing, and its agent is told (AGENT_CONTROL PAUSE), now or when it
  connects. The emergency stop stops every executing run and pauses every queue, also those of
  agents first seen later, until ``resume_all`` (or the user resumes one agent).
* Every change is mirrored to the database through the actions, in order, so that
  :meth:`Scheduler.restore` rebuilds the same queues after a restart.

Each input ends by *settling*: it starts what can start, then reports each changed command once
(its status row if the aggregate changed, and ``CommandChanged``), each changed queue once
(``command_queue`` rows and ``QueueChanged``), each agent whose work changed (``UpdateAgent``) and
the pause state if it changed.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from ...errors import KnownError
from ...protocol import messages as m
from ...protocol.enums import (
    AuditEventType,
    CommandStatus,
    CompletionReason,
    ControlAction,
)
from ..events import CommandChanged, QueueChanged
from ..records import EmergencyStopSummary, QueueInfo, StoppedRun
from ..state import CommandInfo, Tokens
from . import actions as a
from . import writes as w
from .actions import TimerKey, TimerKind
from .model import Agent, AgentQueue, Command, Run, Stop, Submission, Timing
from .restoring import rebuild
from .stored import KnownAgent, PauseState, StoredWork
from .views import activity_of, command_info, queue_info, runs_of

log = logging.getLogger("onsembl.core.scheduling")

AGENT_LOST = CompletionReason.AGENT_LOST.value


class CommandError(KnownError):
    """A command request the user must change (unknown agent, nothing to run on, ...)."""


P = ParamSpec("P")
R = TypeVar("R")


def _input(
    method: Callable[Concatenate[Scheduler, P], R],
) -> Callable[Concatenate[Scheduler, P], R]:
    """An input: read the clock once, apply the event, then settle (also after an error)."""

    def wrapper(self: Scheduler, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._in_input:
            raise RuntimeError(f"{method.__name__} called while another input is applied")
        self._in_input = True
        self._now = self._clock()
        try:
            return method(self, *args, **kwargs)
        finally:
            self._settle()
            self._in_input = False

    functools.update_wrapper(wrapper, method)
    return wrapper


class Scheduler:
    def __init__(
        self,
        clock: Callable[[], datetime],
        timing: Timing | None = None,
        new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self.timing = timing or Timing()
        self._clock = clock
        self._new_id = new_id
        self._now = clock()
        self._in_input = False
        self._agents: dict[uuid.UUID, Agent] = {}
        self._commands: dict[uuid.UUID, Command] = {}  # open ones, plus those finished here
        self._halted = False  # an emergency stop is in force
        self._timers: dict[TimerKey, datetime] = {}
        self._actions: list[a.Action] = []
        # What settling reports at the end of the current input.
        self._to_pump: dict[uuid.UUID, None] = {}
        self._changed_commands: dict[uuid.UUID, Command] = {}
        self._changed_rows: dict[uuid.UUID, None] = {}  # queues whose waiting order changed
        self._changed_queues: dict[uuid.UUID, None] = {}  # ... or what runs, or paused
        self._changed_agents: dict[uuid.UUID, None] = {}  # ... or whether it can take work
        self._shown: dict[uuid.UUID, a.UpdateAgent] = {}  # each agent's work as last reported
        self._saved = PauseState()

    # --- output -----------------------------------------------------------------------------------

    def actions_to_perform(self) -> list[a.Action]:
        """Everything the inputs so far asked for, in order (each action is handed over once)."""
        taken, self._actions = self._actions, []
        return taken

    # --- reading ----------------------------------------------------------------------------------

    @property
    def halted(self) -> bool:
        """An emergency stop is in force: queues stay paused until :meth:`resume_all`."""
        return self._halted

    @property
    def timers(self) -> Mapping[TimerKey, datetime]:
        """The deadlines not yet reached: set by ``SetTimer``, until ``CancelTimer`` or until
        :meth:`tick` acts on them."""
        return dict(self._timers)

    def command(self, command_id: uuid.UUID) -> CommandInfo | None:
        command = self._commands.get(command_id)
        return self._info(command) if command else None

    def has_run(self, command_id: uuid.UUID, agent_id: uuid.UUID) -> bool:
        return self._run(command_id, agent_id) is not None

    def open_commands(self) -> list[CommandInfo]:
        return [self._info(c) for c in self._commands.values() if not c.status.is_final]

    def queue_of(self, agent_id: uuid.UUID) -> list[CommandInfo]:
        """The commands of the agent's queue: the executing one first, then those waiting."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return []
        return [self._info(r.command) for r in runs_of(agent.queue)]

    def queue(self, agent_id: uuid.UUID) -> QueueInfo:
        """One agent's queue (empty for an agent the scheduler does not know)."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return QueueInfo(agent_id, str(agent_id), self._halted, None, ())
        return queue_info(agent, self._agents)

    def queues(self) -> list[QueueInfo]:
        """Every agent's queue: known agents by name, then any other agent with open runs."""
        return [self.queue(agent.id) for agent in self._in_order()]

    def is_paused(self, agent_id: uuid.UUID) -> bool:
        agent = self._agents.get(agent_id)
        return agent.queue.paused if agent is not None else self._halted

    # --- start-up ---------------------------------------------------------------------------------

    @_input
    def restore(self, agents: Iterable[KnownAgent], work: StoredWork, pauses: PauseState) -> None:
        """Rebuild the queues after a restart or crash: the same runs in the same order, none
        twice; the pauses and an emergency stop as they were saved. A run that was executing is
        in doubt until its agent returns and says whether it still runs it: it gets the grace
        period, and its time limit goes on counting from when it started."""
        if self._agents or self._commands:
            raise RuntimeError("restore() is for an empty scheduler, at start")
        self._halted = pauses.halted
        rebuilt = rebuild(agents, work, pauses, self._new_id)
        self._agents, self._commands = rebuilt.agents, rebuilt.commands
        for run in rebuilt.in_doubt:
            run.limit_since = run.started_at or self._now
            self._set_timer(TimerKind.GRACE, run, self._now + _seconds(self.timing.grace_s))
            self._arm_time_limit(run)
        for run in rebuilt.doubled:
            error = "the app restarted with another command running on this agent"
            self._finish(run, CommandStatus.FAILED, error=error, reason=AGENT_LOST)
        self._changed_agents.update(dict.fromkeys(self._agents))
        self._saved = self._pause_state()  # (what was saved, less agents no longer known)

    # --- agents coming and going ------------------------------------------------------------------

    @_input
    def agent_connected(
        self,
        agent_id: uuid.UUID,
        name: str,
        *,
        new_instance: bool,
        reported: Sequence[m.CommandState] = (),
    ) -> list[uuid.UUID]:
        """An agent's connection was accepted. Reconciles what it says it holds (AGENT_CONNECT's
        ``commands``) with what the app thinks, and returns the commands it must drop (for its
        AGENT_WELCOME, which the caller sends before performing the actions: they may tell the
        agent to pause and hand it its next command)."""
        agent = self._agent(agent_id, name)
        agent.online, agent.leaving = True, False
        current = agent.queue.current
        if current is not None and current.status is CommandStatus.EXECUTING:
            running = {c.command_id: c.running for c in reported}
            self._reconcile(agent, current, running, new_instance=new_instance)
        unknown = []
        for state in reported:
            run = self._run(state.command_id, agent_id)
            # Not ours, or given up on while the agent was away (its grace ran out): the agent
            # must stop it, or it would refuse every next command as busy until it ends.
            if run is None or (state.running and run.status.is_final):
                unknown.append(state.command_id)
        self._tell(agent)
        self._to_pump.update(dict.fromkeys(self._agents))
        self._changed_agents[agent_id] = None
        return unknown

    def _reconcile(
        self, agent: Agent, current: Run, reported: dict[uuid.UUID, bool], *, new_instance: bool
    ) -> None:
        self._cancel_timer(TimerKind.GRACE, current)
        if current.command.id in reported:
            self._arm_time_limit(current)
            if current.stop is not None and reported[current.command.id]:
                # The COMMAND_CANCEL may have been lost with the old connection: say it again
                # (the agent's stop is idempotent); the first one's deadline still holds.
                self._send_stop(current, current.stop)
        elif current.stop is not None:
            # Being stopped, and the agent no longer has it: the stop is done.
            self._finish(
                current,
                _stopped_status(current.stop.reason),
                error=current.stop.message,
                reason=current.stop.reason.value,
            )
        elif not current.acked and not new_instance:
            # Sent just as the connection died and never received: it never ran, so run it now.
            self._requeue_first(agent, current)
        else:
            self._finish(
                current,
                CommandStatus.FAILED,
                error="the agent restarted and lost this command",
                reason=AGENT_LOST,
            )

    @_input
    def agent_gone(self, agent_id: uuid.UUID) -> None:
        """The agent's connection ended: its executing run gets the grace period to return in
        (its time limit and any stop asked of it go on counting meanwhile)."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return
        agent.online = agent.leaving = False
        current = agent.queue.current
        if current is not None and current.status is CommandStatus.EXECUTING:
            self._set_timer(TimerKind.GRACE, current, self._now + _seconds(self.timing.grace_s))
        self._changed_agents[agent_id] = None

    @_input
    def agent_leaving(self, agent_id: uuid.UUID) -> None:
        """The agent was told to STOP or RESTART: give it no new work on this connection (a
        command sent now would be refused, or orphaned)."""
        agent = self._agents.get(agent_id)
        if agent is not None and agent.online:
            agent.leaving = True

    # --- what agents report -----------------------------------------------------------------------

    @_input
    def acknowledged(self, agent_id: uuid.UUID, ack: m.CommandAck) -> None:
        run = self._run(ack.command_id, agent_id)
        if run is None or run.status.is_final:
            return
        run.acked = True
        if not ack.accepted:
            error = ack.reason or "the agent refused the command"
            self._finish(run, CommandStatus.FAILED, error=error)

    @_input
    def usage(self, agent_id: uuid.UUID, update: m.UsageUpdate) -> None:
        run = self._run(update.command_id, agent_id)
        if run is None or run.status.is_final:
            return
        run.tokens = Tokens.of(update.usage)
        self._changed_commands[run.command.id] = run.command
        budget = run.command.constraints.get("token_budget")
        if budget and run.tokens.total > budget and run.stop is None:
            # The agent enforces budgets itself; this is the app's backstop.
            reason = CompletionReason.TOKEN_LIMIT_EXCEEDED
            self._stop_run(run, reason, "token budget exceeded")

    @_input
    def completed(self, agent_id: uuid.UUID, done: m.CommandComplete) -> None:
        run = self._run(done.command_id, agent_id)
        if run is None:
            log.warning("completion of unknown command %s from agent %s", done.command_id, agent_id)
            return
        run.agent_done = True
        if run.status.is_final:
            return
        self._finish(
            run,
            done.status,
            exit_code=done.exit_code,
            error=done.error,
            reason=done.reason.value if done.reason else None,
            tokens=Tokens.of(done.usage) if done.usage else None,
            session_id=done.session_id,
        )

    @_input
    def agent_error(self, agent_id: uuid.UUID, err: m.AgentError) -> None:
        """An AGENT_ERROR about one of its runs: kept as the run's error until it ends."""
        run = self._run(err.command_id, agent_id) if err.command_id else None
        if run is not None and not run.status.is_final:
            run.error = err.message
            self._changed_commands[run.command.id] = run.command

    # --- what the user asks -----------------------------------------------------------------------

    @_input
    def submit(self, sub: Submission) -> CommandInfo:
        """Create a command with one run per target and queue (or start) them; raises
        CommandError for a request that cannot be sent as asked."""
        targets = self._targets(sub)
        now = self._now
        command = Command(
            id=self._new_id(),
            content=sub.content,
            type=sub.type,
            priority=sub.priority,
            created_at=now,
            constraints=dict(sub.constraints),
            broadcast=sub.broadcast,
        )
        for agent in targets:
            command.runs[agent.id] = Run(command, agent.id, agent.name, now, id=self._new_id())
        self._commands[command.id] = command
        self._actions += w.command_created(command, targets, sub)
        for agent in targets:
            run = command.runs[agent.id]
            if sub.fail_if_offline and not agent.online:
                self._finish(run, CommandStatus.FAILED, error=f"agent {agent.name} is offline")
            else:
                self._enqueue(agent, run)
            self._to_pump[agent.id] = None
        self._changed_commands[command.id] = command
        self._settle()  # (what it started shows in the answer)
        return self._info(command)

    def _targets(self, sub: Submission) -> list[Agent]:
        if not sub.content.strip():
            raise CommandError("the command is empty")
        if not 0 <= sub.priority <= 100:
            raise CommandError(f"priority must be between 0 and 100, not {sub.priority}")
        ids = list(sub.agent_ids)
        if sub.broadcast:
            ids = [agent.id for agent in self._in_order() if agent.registered and agent.online]
            if not ids:
                raise CommandError("no agent is online to broadcast to")
        if not ids:
            raise CommandError("name at least one agent, or send to all")
        targets = []
        for agent_id in dict.fromkeys(ids):
            agent = self._agents.get(agent_id)
            if agent is None or not agent.registered:
                raise CommandError(f"no such agent: {agent_id}")
            targets.append(agent)
        return targets

    @_input
    def cancel(
        self,
        command_id: uuid.UUID,
        reason: CompletionReason = CompletionReason.CANCELLED,
        message: str | None = None,
    ) -> CommandInfo:
        """Stop the command on every agent (waiting runs leave their queues)."""
        command = self._commands.get(command_id)
        if command is None:
            raise CommandError(f"no open command {command_id}")
        if command.status.is_final:
            return self._info(command)
        for run in list(command.runs.values()):
            self._stop_run(run, reason, message or "cancelled by the user")
        self._audit(
            AuditEventType.COMMAND_CANCELLED,
            command_id=command_id,
            reason=reason.value,
            message=message,
        )
        self._settle()
        return self._info(command)

    @_input
    def cancel_run(self, command_id: uuid.UUID, agent_id: uuid.UUID) -> CommandInfo:
        """Stop the command on one agent: its entry in that queue (executing or waiting)."""
        command = self._open_command(command_id)
        run = command.runs.get(agent_id)
        if run is None:
            raise CommandError(f"command {command_id} was not sent to that agent")
        if not run.status.is_final:
            was = run.status
            self._stop_run(run, CompletionReason.CANCELLED, "cancelled by the user")
            self._audit(
                AuditEventType.COMMAND_CANCELLED,
                agent_id=agent_id,
                command_id=command_id,
                agent=run.agent_name,
                reason=CompletionReason.CANCELLED.value,
                was=was.value,
            )
        self._settle()
        return self._info(command)

    @_input
    def move(
        self, command_id: uuid.UUID, position: int, agent_id: uuid.UUID | None = None
    ) -> QueueInfo:
        """Move a waiting command to ``position`` (1: next to run; clamped to the queue's length).
        ``agent_id`` picks the queue when the command waits in several (a broadcast)."""
        run = self._waiting_run(command_id, agent_id)
        queue = self._agents[run.agent_id].queue
        before = queue.position_of(run)
        after = queue.move(run, position)
        self._queue_rows_changed(run.agent_id)
        self._changed_commands[command_id] = run.command
        self._audit(
            AuditEventType.QUEUE_MOVED,
            agent_id=run.agent_id,
            command_id=command_id,
            agent=run.agent_name,
            action="move",
            from_position=before,
            to_position=after,
        )
        self._settle()
        return self.queue(run.agent_id)

    @_input
    def set_priority(self, command_id: uuid.UUID, priority: int) -> CommandInfo:
        """Change an open command's priority (0-100) and re-sort it in every queue it waits in."""
        if not 0 <= priority <= 100:
            raise CommandError(f"priority must be between 0 and 100, not {priority}")
        command = self._open_command(command_id)
        old, command.priority = command.priority, priority
        self._emit(a.UpdateCommand(command_id, {"priority": priority, "updated_at": self._now}))
        positions: dict[str, int] = {}
        for run in command.runs.values():
            queue = self._agents[run.agent_id].queue
            if queue.remove(run):
                positions[run.agent_name] = queue.insert(run)
                self._queue_rows_changed(run.agent_id)
        self._changed_commands[command_id] = command
        self._audit(
            AuditEventType.QUEUE_MOVED,
            command_id=command_id,
            action="priority",
            from_priority=old,
            to_priority=priority,
            positions=positions,
        )
        self._settle()
        return self._info(command)

    @_input
    def pause(self, agent_id: uuid.UUID) -> QueueInfo:
        """Start nothing new on this agent (what runs now is held by the agent, not stopped)."""
        self._set_paused(self._known(agent_id), True)
        return self.queue(agent_id)

    @_input
    def resume(self, agent_id: uuid.UUID) -> QueueInfo:
        """Let this agent's queue run again (also during an emergency stop: the user chose)."""
        self._set_paused(self._known(agent_id), False)
        self._to_pump[agent_id] = None
        self._settle()
        return self.queue(agent_id)

    @_input
    def emergency_stop(self, reason: str | None = None) -> EmergencyStopSummary:
        """Stop every executing run (COMMAND_CANCEL, reason EMERGENCY_STOP) and pause every queue,
        also of agents first seen later, until :meth:`resume_all`."""
        stopped: list[StoppedRun] = []
        # Cancels first: the agent then reads PAUSE after the cancel and holds nothing stopped.
        for agent in list(self._agents.values()):
            run = agent.queue.current
            if run is None or run.status.is_final:
                continue
            stopped.append(
                StoppedRun(run.agent_id, run.agent_name, run.command.id, run.command.content)
            )
            self._stop_run(run, CompletionReason.EMERGENCY_STOP, "emergency stop")
            log.warning("emergency stop: %s on %s", run.command.id, run.agent_name)
        self._halted = True
        for agent in self._in_order():
            self._set_paused(agent, True)
        names = tuple(sorted(agent.name for agent in self._agents.values() if agent.registered))
        waiting = sum(len(agent.queue.waiting) for agent in self._agents.values())
        summary = EmergencyStopSummary(
            at=self._now,
            stopped=tuple(stopped),
            paused_agents=names,
            waiting=waiting,
            reason=reason,
        )
        self._actions += w.emergency_stopped(summary)
        return summary

    @_input
    def resume_all(self) -> list[str]:
        """Lift the emergency stop and every paused queue; returns the names of resumed agents."""
        was_halted, self._halted = self._halted, False
        resumed = [agent for agent in self._in_order() if agent.queue.paused]
        for agent in resumed:
            self._set_paused(agent, False)
        self._to_pump.update(dict.fromkeys(self._agents))
        self._actions += w.queues_resumed(resumed, was_halted)
        return sorted(agent.name for agent in resumed if agent.registered)

    # --- time ------------------------------------------------------------------------------------

    @_input
    def tick(self) -> None:
        """Act on every deadline the clock has reached (grace periods, time limits, stops the
        agent did not confirm)."""
        due = sorted((at, key) for key, at in self._timers.items() if at <= self._now)
        for at, key in due:
            if self._timers.get(key) != at:
                continue  # cancelled or moved by an earlier one
            del self._timers[key]
            kind, command_id, agent_id = key
            run = self._run(command_id, agent_id)
            if run is None or run.status.is_final:
                continue
            if kind is TimerKind.GRACE:
                self._grace_over(run)
            elif kind is TimerKind.TIME_LIMIT:
                self._time_limit_over(run)
            else:
                self._stop_unconfirmed(run)

    def _grace_over(self, run: Run) -> None:
        if self._agents[run.agent_id].online:
            return
        self._finish(
            run,
            CommandStatus.FAILED,
            error=f"agent {run.agent_name} disconnected and did not return within "
            f"{self.timing.grace_s:g} s",
            reason=AGENT_LOST,
        )

    def _time_limit_over(self, run: Run) -> None:
        if run.status is CommandStatus.EXECUTING and run.stop is None:
            log.warning("%s overran its time limit; the app stops it", run.agent_name)
            self._stop_run(run, CompletionReason.TIME_LIMIT_EXCEEDED, "time limit exceeded")

    def _stop_unconfirmed(self, run: Run) -> None:
        stop = run.stop
        assert stop is not None
        log.warning("%s did not confirm the stop of %s", run.agent_name, run.command.id)
        self._finish(
            run,
            _stopped_status(stop.reason),
            error=f"agent {run.agent_name} did not confirm the stop within "
            f"{self.timing.cancel_timeout_s:g} s",
            reason=stop.reason.value,
        )

    # --- transitions ------------------------------------------------------------------------------

    def _enqueue(self, agent: Agent, run: Run) -> None:
        run.status = CommandStatus.QUEUED
        agent.queue.insert(run)
        self._queue_rows_changed(agent.id)
        self._emit(a.UpdateRun(run.command.id, run.agent_id, {"status": CommandStatus.QUEUED}))

    def _requeue_first(self, agent: Agent, run: Run) -> None:
        agent.queue.current = None
        self._cancel_timers(run)
        run.status, run.started_at, run.limit_since = CommandStatus.QUEUED, None, None
        agent.queue.waiting.insert(0, run)
        self._queue_rows_changed(agent.id)
        self._changed_commands[run.command.id] = run.command
        values = {"status": CommandStatus.QUEUED, "started_at": None}
        self._emit(a.UpdateRun(run.command.id, run.agent_id, values))

    def _pump(self, agent: Agent) -> None:
        """Start the agent's next waiting run if it is connected, free, not paused and not
        leaving."""
        queue = agent.queue
        if (
            queue.current is None
            and queue.waiting
            and not queue.paused
            and agent.online
            and not agent.leaving
        ):
            run = queue.waiting.pop(0)
            self._queue_rows_changed(agent.id)
            self._dispatch(agent, run)

    def _dispatch(self, agent: Agent, run: Run) -> None:
        now = self._now
        agent.queue.current = run
        run.status, run.started_at = CommandStatus.EXECUTING, now
        run.limit_since, run.limit_spent = now, timedelta(0)
        command = run.command
        self._emit(a.StartQueueEntry(agent.id, w.queue_row(run), now))
        values = {"status": CommandStatus.EXECUTING, "started_at": now}
        self._emit(a.UpdateRun(command.id, agent.id, values))
        request = w.command_request(run)
        self._emit(a.SendToAgent(agent.id, request))
        self._arm_time_limit(run)
        self._changed_commands[command.id] = command

    def _arm_time_limit(self, run: Run) -> None:
        deadline = run.limit_deadline(self.timing.time_limit_slack_s)
        if deadline is not None and run.stop is None:
            self._set_timer(TimerKind.TIME_LIMIT, run, deadline)

    def _stop_run(self, run: Run, reason: CompletionReason, message: str) -> None:
        """Take a waiting run out of its queue, or ask the agent to stop an executing one
        (closing it here if the agent is away, or if it does not confirm in time)."""
        if run.status.is_final:
            return
        agent = self._agents[run.agent_id]
        if agent.queue.remove(run) or run.status is not CommandStatus.EXECUTING:
            self._queue_rows_changed(agent.id)
            self._finish(run, CommandStatus.CANCELLED, error=message, reason=reason.value)
            return
        if not agent.online:
            self._finish(run, _stopped_status(reason), error=message, reason=reason.value)
            return
        run.stop = Stop(reason, message)
        self._cancel_timer(TimerKind.TIME_LIMIT, run)
        self._emit(a.MarkInterrupt(run.entry_id, message))
        self._send_stop(run, run.stop)
        if (TimerKind.STOP_CONFIRM, *run.key) not in self._timers:
            deadline = self._now + _seconds(self.timing.cancel_timeout_s)
            self._set_timer(TimerKind.STOP_CONFIRM, run, deadline)

    def _send_stop(self, run: Run, stop: Stop) -> None:
        cancel = m.CommandCancel(
            command_id=run.command.id, reason=stop.reason, message=stop.message
        )
        self._emit(a.SendToAgent(run.agent_id, cancel))

    def _finish(
        self,
        run: Run,
        status: CommandStatus,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        reason: str | None = None,
        tokens: Tokens | None = None,
        session_id: str | None = None,
    ) -> None:
        self._cancel_timers(run)
        run.status = status
        run.completed_at = self._now
        run.exit_code = exit_code
        run.error = error
        run.reason = reason or (run.stop.reason.value if run.stop else None)
        if tokens is not None:
            run.tokens = tokens
        agent = self._agents[run.agent_id]
        if agent.queue.current is run:
            agent.queue.current = None
            self._changed_queues[agent.id] = None
        if agent.queue.remove(run):
            self._queue_rows_changed(agent.id)
        self._emit(a.RemoveQueueEntry(run.entry_id))
        self._emit(w.run_ended(run, session_id))
        self._actions += w.end_audits(run)
        self._changed_commands[run.command.id] = run.command
        self._to_pump[agent.id] = None

    # --- pausing ----------------------------------------------------------------------------------

    def _set_paused(self, agent: Agent, paused: bool) -> None:
        if agent.queue.paused != paused:
            agent.queue.paused = paused
            self._changed_queues[agent.id] = None
        self._tell(agent)

    def _tell(self, agent: Agent) -> None:
        """Bring a connected agent's own pause in line with its queue's."""
        if not agent.online:
            return  # told when it connects
        if agent.queue.paused:
            agent.told_paused = True
            control = m.AgentControl(action=ControlAction.PAUSE, reason="queue paused")
        elif agent.told_paused:
            agent.told_paused = False
            control = m.AgentControl(action=ControlAction.RESUME, reason="queue resumed")
        else:
            return
        self._emit(a.SendToAgent(agent.id, control))

    def _pause_state(self) -> PauseState:
        agents = self._agents.values()
        return PauseState(
            halted=self._halted,
            paused=frozenset(x.id for x in agents if x.queue.paused),
            running=frozenset(x.id for x in agents if not x.queue.paused),
            told=frozenset(x.id for x in agents if x.told_paused),
        )

    # --- settling ---------------------------------------------------------------------------------

    def _settle(self) -> None:
        """Start what can start, then report what changed (see the module docstring)."""
        while self._to_pump:
            agent_id = next(iter(self._to_pump))
            del self._to_pump[agent_id]
            agent = self._agents.get(agent_id)
            if agent is not None:
                self._pump(agent)
        commands, self._changed_commands = self._changed_commands, {}
        for command in commands.values():
            self._refresh(command)
        rows, self._changed_rows = self._changed_rows, {}
        for agent_id in rows:
            entries = tuple(w.queue_row(r) for r in self._agents[agent_id].queue.waiting)
            self._emit(a.SyncWaiting(agent_id, entries))
        queues, self._changed_queues = self._changed_queues, {}
        for agent_id in queues:
            self._emit(a.Publish(QueueChanged(agent_id)))
        agents, self._changed_agents = self._changed_agents, {}
        for agent_id in queues | agents:
            self._show(self._agents[agent_id])
        state = self._pause_state()
        if state != self._saved:
            self._saved = state
            self._emit(a.SaveQueueState(state))

    def _refresh(self, command: Command) -> None:
        """Recompute the aggregate status, persist it if it changed, and publish."""
        status = command.aggregate()
        if status is not command.status:
            command.status = status
            values: dict[str, Any] = {"status": status, "updated_at": self._now}
            if status is CommandStatus.EXECUTING and command.started_at is None:
                command.started_at = values["started_at"] = self._now
            if status.is_final:
                command.completed_at = values["completed_at"] = self._now
                command.error = values["error"] = command.first_error()
            self._emit(a.UpdateCommand(command.id, values))
        self._emit(a.Publish(CommandChanged(self._info(command))))

    def _show(self, agent: Agent) -> None:
        queue = agent.queue
        current = queue.current.command.id if queue.current else None
        update = a.UpdateAgent(
            agent.id, activity_of(queue), current, len(queue.waiting), queue.paused
        )
        if self._shown.get(agent.id) != update:
            self._shown[agent.id] = update
            self._emit(update)

    def _queue_rows_changed(self, agent_id: uuid.UUID) -> None:
        self._changed_rows[agent_id] = None
        self._changed_queues[agent_id] = None

    # --- helpers ----------------------------------------------------------------------------------

    def _emit(self, action: a.Action) -> None:
        self._actions.append(action)

    def _audit(
        self,
        event: AuditEventType,
        *,
        agent_id: uuid.UUID | None = None,
        command_id: uuid.UUID | None = None,
        **details: Any,
    ) -> None:
        self._emit(a.Audit(event, agent_id, command_id, details=details))

    def _set_timer(self, kind: TimerKind, run: Run, at: datetime) -> None:
        key = (kind, *run.key)
        if self._timers.get(key) != at:
            self._timers[key] = at
            self._emit(a.SetTimer(key, at))

    def _cancel_timer(self, kind: TimerKind, run: Run) -> None:
        key = (kind, *run.key)
        if self._timers.pop(key, None) is not None:
            self._emit(a.CancelTimer(key))

    def _cancel_timers(self, run: Run) -> None:
        for kind in TimerKind:
            self._cancel_timer(kind, run)

    def _agent(self, agent_id: uuid.UUID, name: str, *, registered: bool = True) -> Agent:
        """The agent, made known (with its name) if it is new."""
        agent = self._agents.get(agent_id)
        if agent is None:
            queue = AgentQueue(paused=self._halted)
            agent = self._agents[agent_id] = Agent(agent_id, name, queue, registered=registered)
        elif registered:
            agent.name, agent.registered = name, True
        return agent

    def _known(self, agent_id: uuid.UUID) -> Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise CommandError(f"no agent {agent_id}")
        return agent

    def _in_order(self) -> list[Agent]:
        known = sorted((x for x in self._agents.values() if x.registered), key=lambda x: x.name)
        return known + [x for x in self._agents.values() if not x.registered]

    def _run(self, command_id: uuid.UUID, agent_id: uuid.UUID) -> Run | None:
        command = self._commands.get(command_id)
        return command.runs.get(agent_id) if command else None

    def _open_command(self, command_id: uuid.UUID) -> Command:
        command = self._commands.get(command_id)
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

    def _info(self, command: Command) -> CommandInfo:
        return command_info(command, self._agents)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _stopped_status(reason: CompletionReason) -> CommandStatus:
    """How a run the app closed because of a stop ends: a time limit fails it, else cancelled."""
    if reason is CompletionReason.TIME_LIMIT_EXCEEDED:
        return CommandStatus.FAILED
    return CommandStatus.CANCELLED
