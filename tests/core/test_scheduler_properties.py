"""The scheduler's invariants, under any sequence of inputs (hypothesis, stateful).

The agents here are adversarial: they acknowledge, complete or report any command at any time,
come back as the same or a new process claiming to hold anything, or never confirm a stop. After
every step the scheduler's state, the actions it asked for and the real SQLite database its
writes went to must agree with the rules in ``core.scheduling.scheduler``:

* an agent executes at most one run, and every open run is in exactly one place (executing on
  its agent, or waiting in its queue);
* a command is sent only to an agent that is connected, not paused and not leaving;
* a newcomer is queued right after the last waiting run of its priority or higher (the front if
  there is none): in a queue the user moved entries in, it never overtakes such a run;
* every executing run being stopped has a deadline to be closed by (``cancel_timeout_s`` after
  the first stop asked), every one whose agent is away has its grace period, every one with a time
  limit has its backstop at start + limit + slack; no deadline is left behind once the clock
  passes it;
* during an emergency stop every queue is paused, but those the user resumed by hand;
* a connected agent has been told its pause (PAUSE last if paused, not PAUSE last if not);
* what subscribers last saw (CommandChanged, UpdateAgent) is the state, and a queue that changed
  was announced (QueueChanged);
* the database holds what the scheduler holds, and a restart rebuilds the same queues.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from onsembl_desktop.core.events import CommandChanged, QueueChanged
from onsembl_desktop.core.scheduling import CommandError, Timing
from onsembl_desktop.core.scheduling import actions as a
from onsembl_desktop.core.scheduling.actions import TimerKind
from onsembl_desktop.core.state import CommandInfo
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus, CompletionReason, ControlAction

from .harness import Database, Sim

AGENTS = ["a", "b", "c"]
TIMING = Timing(grace_s=60, cancel_timeout_s=10, time_limit_slack_s=2)
FINAL = [CommandStatus.COMPLETED, CommandStatus.FAILED, CommandStatus.CANCELLED]


class SchedulerRules(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = Database.empty()
        self.sim = Sim(TIMING, self.db)
        self.sim.start(*AGENTS[:2])  # (c is first seen when it connects)
        self.step: list[a.Action] = self.sim.take()
        self.before = self._queues()
        self.stop_asked: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
        self.gone_at: dict[str, datetime] = {}
        self.resumed_by_hand: set[str] = set()
        self.control: dict[str, ControlAction | None] = {}  # last PAUSE/RESUME since connecting
        self.published: dict[uuid.UUID, CommandInfo] = {}
        self.shown: dict[uuid.UUID, a.UpdateAgent] = {}
        self.wrong_sends: list[str] = []
        self.queued_badly: list[str] = []
        self.waited = False
        self._observe(self.step)

    # --- observing what each step did -------------------------------------------------------------

    def _after(self) -> None:
        self.step = self.sim.take()
        self._observe(self.step)

    def _observe(self, actions: list[a.Action]) -> None:
        s = self.sim.s
        for action in actions:
            if isinstance(action, a.SendToAgent):
                name = self.sim.name(action.agent_id)
                payload = action.payload
                if isinstance(payload, m.AgentControl):
                    self.control[name] = payload.action
                elif isinstance(payload, m.CommandCancel):
                    key = (payload.command_id, action.agent_id)
                    self.stop_asked.setdefault(key, self.sim.clock.now)
                elif isinstance(payload, m.CommandRequest):
                    queue = s.queue(action.agent_id)
                    agent = s._agents[action.agent_id]
                    if queue.paused or not agent.online or agent.leaving:
                        self.wrong_sends.append(f"{name} got a command while it may not")
                    self.stop_asked.pop((payload.command_id, action.agent_id), None)
            elif isinstance(action, a.Publish) and isinstance(action.event, CommandChanged):
                self.published[action.event.command.id] = action.event.command
            elif isinstance(action, a.UpdateAgent):
                self.shown[action.agent_id] = action

    def _queues(self) -> dict[str, tuple[object, ...]]:
        out: dict[str, tuple[object, ...]] = {}
        for q in self.sim.s.queues():
            current = q.current.command.id if q.current else None
            out[q.agent_name] = (current, tuple(e.command.id for e in q.waiting), q.paused)
        return out

    def _changed_queues(self) -> None:
        """A queue that changed in this step was announced (QueueChanged)."""
        after = self._queues()
        announced = {
            self.sim.name(x.event.agent_id)
            for x in self.step
            if isinstance(x, a.Publish) and isinstance(x.event, QueueChanged)
        }
        for name, state in after.items():
            if self.before.get(name, (None, (), state[2])) != state:
                assert name in announced, f"{name}'s queue changed unannounced"
        self.before = after

    # --- rules: agents ----------------------------------------------------------------------------

    @rule(
        name=st.sampled_from(AGENTS),
        new=st.booleans(),
        holds_current=st.booleans(),
        running=st.booleans(),
        stray=st.booleans(),
    )
    def connect(
        self, name: str, new: bool, holds_current: bool, running: bool, stray: bool
    ) -> None:
        agent_id = self.sim.agent(name)
        if agent_id in self.sim.s._agents and self.sim.s._agents[agent_id].online:
            self.sim.gone(name)  # (the same name again: the old connection was replaced)
        reported = []
        queue = self.sim.s.queue(agent_id)
        if holds_current and queue.current is not None:
            reported.append(m.CommandState(command_id=queue.current.command.id, running=running))
        if stray and self.sim.labels:
            other = sorted(self.sim.labels)[0]
            reported.append(m.CommandState(command_id=other, running=True))
        self.control[name] = None
        self.sim.s.agent_connected(agent_id, name, new_instance=new, reported=reported)
        self.gone_at.pop(name, None)
        self._after()

    @rule(name=st.sampled_from(AGENTS))
    def gone(self, name: str) -> None:
        if name in self.sim.ids:
            agent = self.sim.s._agents.get(self.sim.ids[name])
            if agent is not None and agent.online:
                self.gone_at[name] = self.sim.clock.now
            self.sim.gone(name)
        self._after()

    @rule(name=st.sampled_from(AGENTS))
    def leaving(self, name: str) -> None:
        if name in self.sim.ids:
            self.sim.s.agent_leaving(self.sim.ids[name])
        self._after()

    @rule(name=st.sampled_from(AGENTS), accepted=st.booleans(), pick=st.integers(0, 50))
    def ack(self, name: str, accepted: bool, pick: int) -> None:
        label = self._label_of(name, pick)
        if label is not None:
            self.sim.ack(name, label, accepted=accepted, reason=None if accepted else "busy")
        self._after()

    @rule(
        name=st.sampled_from(AGENTS),
        status=st.sampled_from(FINAL),
        reason=st.sampled_from([None, *CompletionReason]),
        pick=st.integers(0, 50),
    )
    def complete(
        self, name: str, status: CommandStatus, reason: CompletionReason | None, pick: int
    ) -> None:
        label = self._label_of(name, pick)
        if label is not None:
            self.sim.complete(name, label, status, reason)
        self._after()

    @rule(name=st.sampled_from(AGENTS), total=st.integers(0, 2000), pick=st.integers(0, 50))
    def usage(self, name: str, total: int, pick: int) -> None:
        label = self._label_of(name, pick)
        if label is not None:
            self.sim.usage(name, label, total)
        self._after()

    @rule(name=st.sampled_from(AGENTS), pick=st.integers(0, 50))
    def agent_error(self, name: str, pick: int) -> None:
        label = self._label_of(name, pick)
        if label is not None:
            err = m.AgentError(seq=1, command_id=self.sim.cid(label), code="X", message="oops")
            self.sim.s.agent_error(self.sim.ids[name], err)
        self._after()

    def _label_of(self, name: str, pick: int) -> str | None:
        """Mostly the agent's executing command; now and then any command at all."""
        if name not in self.sim.ids or not self.sim.labels:
            return None
        queue = self.sim.s.queue(self.sim.ids[name])
        if queue.current is not None and pick % 4:
            return self.sim.labels[queue.current.command.id]
        labels = sorted(self.sim.labels.values())
        return labels[pick % len(labels)]

    # --- rules: the user --------------------------------------------------------------------------

    @rule(
        to=st.lists(st.sampled_from(AGENTS), min_size=1, max_size=3),
        priority=st.sampled_from([0, 10, 50, 50, 90, 100]),
        fail_if_offline=st.booleans(),
        limit=st.sampled_from([None, None, 1000, 5000, 30000]),
        budget=st.sampled_from([None, None, 500]),
    )
    def send(
        self,
        to: list[str],
        priority: int,
        fail_if_offline: bool,
        limit: int | None,
        budget: int | None,
    ) -> None:
        known = [t for t in to if self.sim.ids.get(t) in self.sim.s._agents]
        if not known:
            return
        constraints = {k: v for k, v in [("time_limit_ms", limit), ("token_budget", budget)] if v}
        label = self.sim.send(
            *known, priority=priority, fail_if_offline=fail_if_offline, constraints=constraints
        )
        self._after()
        info = self.sim.info(label)
        for run in info.runs:
            if run.queue_position is None:
                continue
            queue = self.sim.s.queue(run.agent_id).waiting
            # Right after the last waiting run of its priority or higher (the front if none).
            before = queue[run.queue_position - 2] if run.queue_position > 1 else None
            after = queue[run.queue_position :]
            if (before is not None and before.command.priority < priority) or any(
                e.command.priority >= priority for e in after
            ):
                self.queued_badly.append(f"{label} at {run.queue_position} in {run.agent_name}")

    @rule(pick=st.integers(0, 50), on_agent=st.sampled_from([None, *AGENTS]))
    def cancel(self, pick: int, on_agent: str | None) -> None:
        if not self.sim.labels:
            return
        labels = sorted(self.sim.labels.values())
        command_id = self.sim.cid(labels[pick % len(labels)])
        try:
            if on_agent is None or on_agent not in self.sim.ids:
                self.sim.s.cancel(command_id)
            else:
                self.sim.s.cancel_run(command_id, self.sim.ids[on_agent])
        except CommandError:
            assert not self.sim.s.actions_to_perform(), "a refused cancel did something"
        self._after()

    @rule(name=st.sampled_from(AGENTS), pause=st.booleans())
    def pause_or_resume(self, name: str, pause: bool) -> None:
        if self.sim.ids.get(name) not in self.sim.s._agents:
            return
        if pause:
            self.sim.s.pause(self.sim.ids[name])
        else:
            self.sim.s.resume(self.sim.ids[name])
            self.resumed_by_hand.add(name)
        self._after()

    @rule()
    def emergency_stop(self) -> None:
        self.sim.s.emergency_stop("test")
        self.resumed_by_hand.clear()
        self._after()

    @rule()
    def resume_all(self) -> None:
        self.sim.s.resume_all()
        self._after()

    @rule(pick=st.integers(0, 50), position=st.integers(-2, 8), on_agent=st.sampled_from(AGENTS))
    def move(self, pick: int, position: int, on_agent: str) -> None:
        if not self.sim.labels:
            return
        labels = sorted(self.sim.labels.values())
        command_id = self.sim.cid(labels[pick % len(labels)])
        try:
            self.sim.s.move(command_id, position, self.sim.ids.get(on_agent))
        except CommandError:
            assert not self.sim.s.actions_to_perform(), "a refused move did something"
        self._after()

    @rule(pick=st.integers(0, 50), priority=st.integers(-1, 101))
    def set_priority(self, pick: int, priority: int) -> None:
        if not self.sim.labels:
            return
        labels = sorted(self.sim.labels.values())
        try:
            self.sim.s.set_priority(self.sim.cid(labels[pick % len(labels)]), priority)
        except CommandError:
            assert not self.sim.s.actions_to_perform(), "a refused priority did something"
        self._after()

    # --- rules: time and restarts -----------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.5, 1.5, 3, 9.9, 10, 12, 30, 61]))
    def wait(self, seconds: float) -> None:
        self.sim.wait(seconds)
        self._after()
        self.waited = True

    @precondition(lambda self: bool(self.sim.labels))
    @rule()
    def restart(self) -> None:
        before = self._queues()
        halted = self.sim.s.halted
        runs = {(c.id, r.agent_id): r.status for c in self.sim.s.open_commands() for r in c.runs}
        self.published, self.shown = {}, {}  # (a new app: what it publishes starts afresh)
        self.sim = self.sim.restart()
        self._after()
        assert self._queues() == before, "the queues came back different"
        assert self.sim.s.halted == halted
        for c in self.sim.s.open_commands():
            for r in c.runs:
                runs.pop((c.id, r.agent_id), None)
        lost = {k: v for k, v in runs.items() if not v.is_final}
        assert not lost, f"open runs lost in the restart: {lost}"
        now = self.sim.clock.now
        self.gone_at = {n: now for n in self.sim.ids}
        self.control = {}
        self.before = self._queues()

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def one_place_per_run(self) -> None:
        s = self.sim.s
        places: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
        for q in s.queues():
            if q.current is not None:
                assert q.current.status is CommandStatus.EXECUTING
                places[(q.current.command.id, q.agent_id)] = "current"
            for e in q.waiting:
                assert e.status is CommandStatus.QUEUED, f"{e.status} waiting in {q.agent_name}"
                key = (e.command.id, q.agent_id)
                assert key not in places, "a run in two places"
                places[key] = "waiting"
        for c in s.open_commands():
            for r in c.runs:
                if not r.status.is_final:
                    assert (c.id, r.agent_id) in places, f"open run of {c.id} in no queue"
                if r.status is CommandStatus.EXECUTING:
                    assert places.get((c.id, r.agent_id)) == "current"

    @invariant()
    def commands_only_where_they_may_run(self) -> None:
        assert not self.wrong_sends, self.wrong_sends
        assert not self.queued_badly, self.queued_badly

    @invariant()
    def status_is_the_aggregate(self) -> None:
        for c in self.sim.s.open_commands():
            statuses = {r.status for r in c.runs}
            if CommandStatus.EXECUTING in statuses:
                assert c.status is CommandStatus.EXECUTING
            elif CommandStatus.QUEUED in statuses:
                assert c.status is CommandStatus.QUEUED

    @invariant()
    def deadlines(self) -> None:
        s, now = self.sim.s, self.sim.clock.now
        timers = s.timers
        if self.waited:
            assert all(at > now for at in timers.values()), "a deadline passed unheeded"
            self.waited = False
        for q in s.queues():
            run = q.current
            if run is None:
                continue
            agent = s._agents[q.agent_id]
            key = (run.command.id, q.agent_id)
            internal = s._agents[q.agent_id].queue.current
            assert internal is not None
            if internal.stop is not None:
                at = timers.get((TimerKind.STOP_CONFIRM, *key))
                assert at is not None, "a stop with no deadline"
                asked = self.stop_asked.get(key)
                if asked is not None:
                    assert at <= asked + timedelta(seconds=TIMING.cancel_timeout_s)
                continue
            if not agent.online:
                at = timers.get((TimerKind.GRACE, *key))
                assert at is not None, "an agent away with no grace deadline"
                since = self.gone_at.get(q.agent_name)
                if since is not None:
                    assert at <= since + timedelta(seconds=TIMING.grace_s)
            limit = run.command.constraints.get("time_limit_ms")
            if limit:
                info = run.command.run_for(q.agent_id)
                assert info is not None and info.started_at is not None
                slack = timedelta(milliseconds=limit, seconds=TIMING.time_limit_slack_s)
                assert timers.get((TimerKind.TIME_LIMIT, *key)) == info.started_at + slack

    @invariant()
    def the_emergency_stop_pauses_everything(self) -> None:
        if self.sim.s.halted:
            for q in self.sim.s.queues():
                if q.agent_name not in self.resumed_by_hand:
                    assert q.paused, f"{q.agent_name} runs during the emergency stop"

    @invariant()
    def agents_are_told_their_pause(self) -> None:
        s = self.sim.s
        for name, agent_id in self.sim.ids.items():
            agent = s._agents.get(agent_id)
            if agent is None or not agent.online:
                continue
            told = self.control.get(name)
            if agent.queue.paused:
                assert told is ControlAction.PAUSE, f"{name} paused but not told"
            else:
                assert told is not ControlAction.PAUSE, f"{name} still told to pause"

    @invariant()
    def subscribers_see_the_state(self) -> None:
        s = self.sim.s
        for command_id, seen in self.published.items():
            # (A run's place in line moves when others do: QueueChanged announces that.)
            assert _placeless(s.command(command_id)) == _placeless(seen), "CommandChanged behind"
        for agent_id, shown in self.shown.items():
            q = s._agents[agent_id].queue
            current = q.current.command.id if q.current else None
            assert (shown.current_command_id, shown.queue_length, shown.paused) == (
                current,
                len(q.waiting),
                q.paused,
            )
        self._changed_queues()

    @invariant()
    def the_database_holds_the_state(self) -> None:
        s = self.sim.s
        entries = self.db.rows(
            "SELECT agent_id, id, status FROM command_queue ORDER BY status, position"
        )
        rows: dict[str, list[str]] = {}
        current: dict[str, str] = {}
        for agent_id, entry_id, status in entries:
            if status == "WAITING":
                rows.setdefault(agent_id, []).append(entry_id)
            else:
                assert status == "PROCESSING" and agent_id not in current
                current[agent_id] = entry_id
        for agent in s._agents.values():
            key = agent.id.hex
            assert rows.get(key, []) == [r.entry_id.hex for r in agent.queue.waiting]
            run = agent.queue.current
            assert current.get(key) == (run.entry_id.hex if run else None)
        stored = dict(
            ((c, ag), st)
            for c, ag, st in self.db.rows("SELECT command_id, agent_id, status FROM command_runs")
        )
        for command in s._commands.values():
            for agent_id, run in command.runs.items():
                assert stored[(command.id.hex, agent_id.hex)] == run.status.value


def _placeless(info: CommandInfo | None) -> CommandInfo | None:
    if info is None:
        return None
    return dataclasses.replace(
        info, runs=tuple(dataclasses.replace(r, queue_position=None) for r in info.runs)
    )


TestSchedulerRules = SchedulerRules.TestCase
TestSchedulerRules.settings = settings(
    max_examples=int(os.environ.get("SCHEDULER_EXAMPLES", "40")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
