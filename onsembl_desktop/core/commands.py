"""Commands: submission, per-agent queues, dispatch, results, cancellation, disconnect grace.

Each agent runs one command at a time; the rest wait in its queue by priority (higher first), then
by arrival, unless the user moved them. Every change is mirrored to the database through the
writer (in order), so a restart rebuilds exactly the same queues.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from ..errors import KnownError
from ..protocol import messages as m
from ..protocol.enums import (
    ActivityState,
    AgentStatus,
    AuditEventType,
    CommandStatus,
    CommandType,
    CompletionReason,
)
from ..store import queries
from ..store.store import Store
from ..store.types import utcnow
from . import cancels, disconnects
from .agents import AgentRegistry, AgentSession
from .audit import Audit
from .events import CommandChanged, EventBus, QueueChanged
from .model import AgentQueue, Command, Run
from .restore import restore_open_work
from .state import CommandInfo, Tokens

log = logging.getLogger("onsembl.core.commands")


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the app waits before it acts on an agent's behalf."""

    grace_s: float = 60.0  # a disconnected agent's running command survives this long
    cancel_timeout_s: float = (
        10.0  # after a cancel, force the command closed if the agent is silent
    )
    time_limit_slack_s: float = (
        2.0  # the app's time-limit backstop fires this long after the agent's
    )


_LIMIT_EVENTS = {
    AuditEventType.TIME_LIMIT_EXCEEDED.value,
    AuditEventType.TOKEN_LIMIT_EXCEEDED.value,
    AuditEventType.MEMORY_LIMIT_EXCEEDED.value,
}


class CommandError(KnownError):
    """A command request the user must change (unknown agent, nothing to run on, ...)."""


class CommandService:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        audit: Audit,
        agents: AgentRegistry,
        timing: Timing | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._audit = audit
        self._agents = agents
        self.timing = timing or Timing()
        self._commands: dict[uuid.UUID, Command] = {}  # open ones, plus recently finished
        self._queues: dict[uuid.UUID, AgentQueue] = {}
        self._order = itertools.count()
        self._dirty_queues: set[uuid.UUID] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Emergency stop in force (core.emergency): every queue, even one made later, is paused.
        self.halted = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    # --- start-up ---------------------------------------------------------------------------------

    async def load(self) -> None:
        """Rebuild open commands and queues from the database (after a restart or crash)."""
        await restore_open_work(self)

    # --- queries ----------------------------------------------------------------------------------

    def get(self, command_id: uuid.UUID) -> CommandInfo | None:
        command = self._commands.get(command_id)
        return self._info(command) if command else None

    def has_run(self, command_id: uuid.UUID, agent_id: uuid.UUID) -> bool:
        command = self._commands.get(command_id)
        return command is not None and agent_id in command.runs

    def find_run(self, command_id: uuid.UUID, agent_id: uuid.UUID) -> Run | None:
        """The agent's run of the command, while the command is held in memory."""
        return self._run(command_id, agent_id)

    def queue_of(self, agent_id: uuid.UUID) -> list[CommandInfo]:
        queue = self._queues.get(agent_id)
        if queue is None:
            return []
        runs = ([queue.current] if queue.current else []) + queue.waiting
        return [self._info(r.command) for r in runs]

    def open_commands(self) -> list[CommandInfo]:
        return [self._info(c) for c in self._commands.values() if not c.status.is_final]

    # --- submission -------------------------------------------------------------------------------

    def submit(
        self,
        content: str,
        *,
        agent_ids: list[uuid.UUID],
        broadcast: bool = False,
        command_type: CommandType = CommandType.NATURAL,
        priority: int = 50,
        constraints: dict[str, Any] | None = None,
        fail_if_offline: bool = False,
        preset_id: uuid.UUID | None = None,
        constraint_id: uuid.UUID | None = None,
    ) -> CommandInfo:
        if not content.strip():
            raise CommandError("the command is empty")
        if "\0" in content:
            # No program can take it in an argument (exec stops at it): refused here, where the
            # user hears why, not as a failure inside the agent.
            raise CommandError(
                "the command contains a NUL character (\\0), which no program can be given: "
                "remove it"
            )
        if not 0 <= priority <= 100:
            raise CommandError(f"priority must be between 0 and 100, not {priority}")
        if broadcast:
            agent_ids = [a.id for a in self._agents.all() if a.status is AgentStatus.ONLINE]
            if not agent_ids:
                raise CommandError("no agent is online to broadcast to")
        if not agent_ids:
            raise CommandError("name at least one agent, or send to all")
        agents = []
        for agent_id in dict.fromkeys(agent_ids):
            info = self._agents.get(agent_id)
            if info is None:
                raise CommandError(f"no such agent: {agent_id}")
            agents.append(info)
        now = utcnow()
        command = Command(
            id=uuid.uuid4(),
            content=content,
            type=command_type,
            priority=priority,
            created_at=now,
            constraints=dict(constraints or {}),
            broadcast=broadcast,
        )
        for info in agents:
            command.runs[info.id] = Run(
                command=command,
                agent_id=info.id,
                agent_name=info.name,
                enqueued_at=now,
                order=next(self._order),
            )
        self._commands[command.id] = command
        self._store.call(
            queries.insert_command,
            {
                "id": command.id,
                "user_id": self._store.user_id,
                "content": content,
                "type": command_type,
                "target_agents": [str(a.id) for a in agents],
                "broadcast": broadcast,
                "status": CommandStatus.PENDING,
                "priority": priority,
                "execution_constraints": command.constraints,
                "preset_id": preset_id,
                "constraint_id": constraint_id,
                "created_at": now,
                "updated_at": now,
            },
            [
                {
                    "id": r.id,
                    "command_id": command.id,
                    "agent_id": r.agent_id,
                    "status": CommandStatus.PENDING,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in command.runs.values()
            ],
        )
        # One row per target, with its agent id, so the audit filtered by agent shows the sends.
        for info in agents:
            self._audit.record(
                AuditEventType.COMMAND_SENT,
                agent_id=info.id,
                command_id=command.id,
                agent=info.name,
                targets=len(agents),
                broadcast=broadcast,
                type=command_type.value,
                priority=priority,
                content=content[:500],
                constraints=command.constraints,
            )
        for info in agents:
            run = command.runs[info.id]
            if fail_if_offline and info.status is not AgentStatus.ONLINE:
                self._finish(run, CommandStatus.FAILED, error=f"agent {info.name} is offline")
                continue
            self._enqueue(run)
        self._refresh(command)
        for info in agents:
            self._pump(info.id)
        return self._info(command)

    def _enqueue(self, run: Run) -> None:
        queue = self._queue(run.agent_id)
        run.status = CommandStatus.QUEUED
        queue.insert(run)
        self._mark_queue(run.agent_id)
        self._store.call(
            queries.update_run,
            run.command.id,
            run.agent_id,
            {"status": CommandStatus.QUEUED},
        )

    # --- dispatch ---------------------------------------------------------------------------------

    def pump_all(self) -> None:
        for agent_id in list(self._queues):
            self._pump(agent_id)

    def _pump(self, agent_id: uuid.UUID) -> None:
        """Start the next waiting command if the agent is connected, free and not paused (nor
        leaving: a command sent to an agent told to stop would be refused, or orphaned)."""
        queue = self._queue(agent_id)
        session = self._agents.session(agent_id)
        free = queue.current is None and not queue.paused
        if free and queue.waiting and session is not None and not session.stopping:
            run = queue.waiting.pop(0)
            self._dispatch(run, session)
            self._mark_queue(agent_id)
        self._sync_agent(agent_id)

    def _dispatch(self, run: Run, session: AgentSession) -> None:
        queue = self._queue(run.agent_id)
        queue.current = run
        now = utcnow()
        run.status = CommandStatus.EXECUTING
        run.started_at = now
        command = run.command
        entry = queries.QueueRow(run.entry_id, command.id, run.priority, run.enqueued_at)
        self._store.call(queries.start_queue_entry, entry, run.agent_id, now)
        self._store.call(
            queries.update_run,
            command.id,
            run.agent_id,
            {"status": CommandStatus.EXECUTING, "started_at": now},
        )
        constraints = m.Constraints(
            time_limit_ms=command.constraints.get("time_limit_ms"),
            token_budget=command.constraints.get("token_budget"),
            memory_limit_mb=command.constraints.get("memory_limit_mb"),
            cpu_limit_percent=command.constraints.get("cpu_limit_percent"),
        )
        session.link.send(
            m.CommandRequest(
                command_id=command.id,
                content=command.content,
                command_type=command.type,
                priority=command.priority,
                constraints=constraints,
                run_id=run.id,
            )
        )
        self.arm_time_limit(run)
        self._refresh(command)

    def arm_time_limit(self, run: Run) -> None:
        """(Re)start the app's backstop of the run's time limit, if it has one: it fires
        ``time_limit_slack_s`` after the agent should have stopped the run itself, counted from
        when the run started, whether the agent is connected then or not."""
        limit = run.command.constraints.get("time_limit_ms")
        if not limit or run.started_at is None:
            return
        if run.limit_timer is not None:
            run.limit_timer.cancel()
        elapsed = (utcnow() - run.started_at).total_seconds()
        delay = max(0.0, limit / 1000 + self.timing.time_limit_slack_s - elapsed)
        run.limit_timer = self.loop.call_later(delay, self._time_limit_backstop, run)

    def _time_limit_backstop(self, run: Run) -> None:
        run.limit_timer = None
        if run.status is CommandStatus.EXECUTING and run.cancel_reason is None:
            log.warning("%s overran its time limit; the app stops it", run.agent_name)
            self._cancel_run(run, CompletionReason.TIME_LIMIT_EXCEEDED, "time limit exceeded")

    # --- results from agents ----------------------------------------------------------------------

    def on_ack(self, session: AgentSession, ack: m.CommandAck) -> None:
        run = self._run(ack.command_id, session.agent_id)
        if run is None or run.status.is_final:
            return
        run.acked = True
        if not ack.accepted:
            self._finish(
                run, CommandStatus.FAILED, error=ack.reason or "the agent refused the command"
            )

    def on_usage(self, session: AgentSession, update: m.UsageUpdate) -> None:
        run = self._run(update.command_id, session.agent_id)
        if run is None or run.status.is_final:
            return
        run.tokens = Tokens.of(update.usage)
        self._agents.run_tokens(run.agent_id, run.command.id, run.tokens)
        self._refresh(run.command)
        budget = run.command.constraints.get("token_budget")
        if budget and run.tokens.total > budget and run.cancel_reason is None:
            # The agent enforces budgets itself; this is the app's backstop.
            self._cancel_run(run, CompletionReason.TOKEN_LIMIT_EXCEEDED, "token budget exceeded")

    def on_complete(self, session: AgentSession, done: m.CommandComplete) -> None:
        run = self._run(done.command_id, session.agent_id)
        if run is None:
            log.warning("completion for unknown command %s from %s", done.command_id, session.name)
            return
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

    def on_agent_error(self, session: AgentSession, err: m.AgentError) -> None:
        if err.command_id is None:
            return
        run = self._run(err.command_id, session.agent_id)
        if run is not None and not run.status.is_final:
            run.error = err.message
            self._refresh(run.command)

    # --- connection changes (core.disconnects) ---------------------------------------------------

    def agent_online(
        self, session: AgentSession, reported: list[m.CommandState]
    ) -> list[uuid.UUID]:
        """Reconcile what the agent says it runs with what we think; returns commands to drop."""
        return disconnects.reconcile(self, session, reported)

    def agent_offline(self, agent_id: uuid.UUID) -> None:
        disconnects.went_offline(self, agent_id)

    def _start_grace(self, run: Run) -> None:
        disconnects.start_grace(self, run)

    # --- cancellation -----------------------------------------------------------------------------

    def cancel(
        self,
        command_id: uuid.UUID,
        reason: CompletionReason = CompletionReason.CANCELLED,
        message: str | None = None,
    ) -> CommandInfo:
        command = self._commands.get(command_id)
        if command is None:
            raise CommandError(f"no open command {command_id}")
        if command.status.is_final:
            return self._info(command)
        for run in list(command.runs.values()):
            self._cancel_run(run, reason, message or "cancelled by the user")
        self._audit.record(
            AuditEventType.COMMAND_CANCELLED,
            command_id=command_id,
            reason=reason.value,
            message=message,
        )
        return self._info(command)

    def _cancel_run(self, run: Run, reason: CompletionReason, message: str) -> None:
        cancels.cancel_run(self, run, reason, message)

    # --- finishing --------------------------------------------------------------------------------

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
        run.clear_timers()
        now = utcnow()
        run.status = status
        run.completed_at = now
        run.exit_code = exit_code
        run.error = error
        run.reason = reason or run.cancel_reason
        if tokens is not None:
            run.tokens = tokens
        queue = self._queue(run.agent_id)
        if queue.current is run:
            queue.current = None
        queue.remove(run)
        self._mark_queue(run.agent_id)
        self._store.call(queries.remove_queue_entry, run.entry_id)
        values: dict[str, Any] = {
            "status": status,
            "completed_at": now,
            "exit_code": exit_code,
            "error": error,
            "reason": run.reason,
            "input_tokens": run.tokens.input,
            "output_tokens": run.tokens.output,
            "cached_tokens": run.tokens.cached,
            "total_tokens": run.tokens.total,
            "cost_usd": run.tokens.cost_usd,
        }
        if session_id:
            values["session_id"] = session_id
        self._store.call(queries.update_run, run.command.id, run.agent_id, values)
        self._agents.run_ended(run.agent_id, run.command.id, run.tokens, session_id)
        self._audit_end(run)
        self._refresh(run.command)
        if self.loop.is_running():
            self.loop.call_soon(self._pump, run.agent_id)

    def _audit_end(self, run: Run) -> None:
        """COMMAND_COMPLETED for every run's end; also COMMAND_FAILED, and the limit it broke."""
        details: dict[str, Any] = {
            "agent": run.agent_name,
            "status": run.status.value,
            "exit_code": run.exit_code,
            "error": run.error,
            "reason": run.reason,
            "tokens": run.tokens.total,
        }
        events = [AuditEventType.COMMAND_COMPLETED]
        if run.status is CommandStatus.FAILED:  # errors are findable by type, not only by details
            events.append(AuditEventType.COMMAND_FAILED)
        for event in events:
            self._audit.record(
                event, agent_id=run.agent_id, command_id=run.command.id, by_user=False, **details
            )
        if run.reason in _LIMIT_EVENTS:
            self._audit.record(
                AuditEventType(run.reason),
                agent_id=run.agent_id,
                command_id=run.command.id,
                by_user=False,
                **details,
                constraints=run.command.constraints,
            )

    # --- helpers ----------------------------------------------------------------------------------

    def _queue(self, agent_id: uuid.UUID) -> AgentQueue:
        queue = self._queues.get(agent_id)
        if queue is None:
            queue = self._queues[agent_id] = AgentQueue(paused=self.halted)
        return queue

    def _run(self, command_id: uuid.UUID, agent_id: uuid.UUID) -> Run | None:
        command = self._commands.get(command_id)
        return command.runs.get(agent_id) if command else None

    def _refresh(self, command: Command) -> None:
        """Recompute the aggregate status, persist it if it changed, and publish."""
        status = command.aggregate()
        changed = status is not command.status
        if changed:
            command.status = status
            now = utcnow()
            values: dict[str, Any] = {"status": status, "updated_at": now}
            if status is CommandStatus.EXECUTING and command.started_at is None:
                command.started_at = now
                values["started_at"] = now
            if status.is_final:
                command.completed_at = now
                command.error = command.first_error()
                values["completed_at"] = now
                values["error"] = command.error
            self._store.call(queries.update_command, command.id, values)
        self._bus.publish(CommandChanged(self._info(command)))

    def _info(self, command: Command) -> CommandInfo:
        positions = {}
        for agent_id in command.runs:
            queue = self._queues.get(agent_id)
            if queue is not None:
                run = command.runs[agent_id]
                position = queue.position_of(run)
                if position is not None:
                    positions[agent_id] = position
        return command.info(positions)

    def _mark_queue(self, agent_id: uuid.UUID) -> None:
        """Persist the agent's waiting order once this loop iteration is done changing it."""
        if agent_id in self._dirty_queues:
            return
        self._dirty_queues.add(agent_id)
        self.loop.call_soon(self._flush_queue, agent_id)

    def _flush_queue(self, agent_id: uuid.UUID) -> None:
        self._dirty_queues.discard(agent_id)
        queue = self._queue(agent_id)
        rows = [
            queries.QueueRow(r.entry_id, r.command.id, r.priority, r.enqueued_at)
            for r in queue.waiting
        ]
        self._store.call(queries.sync_waiting, agent_id, rows)
        self._bus.publish(QueueChanged(agent_id))

    def _sync_agent(self, agent_id: uuid.UUID) -> None:
        self.update_activity(agent_id)

    def update_activity(self, agent_id: uuid.UUID) -> None:
        queue = self._queue(agent_id)
        if queue.current is not None:
            activity = ActivityState.PROCESSING
        elif queue.waiting:
            activity = ActivityState.QUEUED
        else:
            activity = ActivityState.IDLE
        self._agents.update(
            agent_id,
            activity=activity,
            current_command_id=queue.current.command.id if queue.current else None,
            queue_length=len(queue.waiting),
            paused=queue.paused,
        )

    def forget_finished(self, keep: int = 500) -> None:
        """Drop finished commands from memory beyond the newest ``keep`` (the database has them)."""
        finished = [c for c in self._commands.values() if c.status.is_final]
        if len(finished) <= keep:
            return
        finished.sort(key=lambda c: c.created_at)
        for command in finished[: len(finished) - keep]:
            del self._commands[command.id]
