"""Driving the scheduler by hand: a clock moved by hand, agents by name, every action kept, and a
real SQLite database that the write actions are applied to (``core.schedule_store``, the same
queries the app's writer runs), so a restart can be rebuilt from what was really written."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, text

from onsembl_desktop.core.schedule_store import load_work, write_of
from onsembl_desktop.core.scheduling import (
    KnownAgent,
    PauseState,
    Scheduler,
    StoredWork,
    Submission,
    Timing,
)
from onsembl_desktop.core.scheduling import actions as a
from onsembl_desktop.core.state import CommandInfo
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import (
    AgentStatus,
    AgentType,
    CommandStatus,
    CommandType,
    CompletionReason,
)
from onsembl_desktop.store import models, queries
from onsembl_desktop.store.db import local_user_id, open_database

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Database:
    """A real SQLite store the scheduler's writes go to. ``Database.empty()`` hands out one per
    process, emptied each time, on a RAM disk where there is one (the app's own pragmas make
    every commit an fsync, which is not what these tests measure)."""

    _shared: Database | None = None

    def __init__(self, path: Path) -> None:
        self.engine: Engine = open_database(path)
        self.user_id = local_user_id(self.engine)

    @classmethod
    def empty(cls) -> Database:
        if cls._shared is None:
            ram = Path("/dev/shm")
            folder = tempfile.mkdtemp(prefix="onsembl-sched-", dir=ram if ram.is_dir() else None)
            cls._shared = cls(Path(folder) / "onsembl.db")
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
        cls._shared.reset()
        return cls._shared

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in (
                models.CommandQueueEntry,
                models.CommandRun,
                models.Command,
                models.Agent,
            ):
                conn.execute(delete(table))

    def add_agent(self, agent_id: uuid.UUID, name: str) -> None:
        values = {"name": name, "type": AgentType.SHELL, "status": AgentStatus.OFFLINE}
        with self.engine.begin() as conn:
            queries.upsert_agent(conn, agent_id, values)

    def apply(self, actions: Sequence[a.Action]) -> None:
        writes = [w for w in (write_of(x, self.user_id) for x in actions) if w is not None]
        if writes:
            with self.engine.begin() as conn:
                for write in writes:
                    write(conn)

    def work(self) -> StoredWork:
        with self.engine.connect() as conn:
            return load_work(conn)

    def rows(self, sql: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql)))


@dataclass
class Sim:
    """One scheduler, its clock, its agents by name, and the actions it asked for."""

    timing: Timing = field(default_factory=Timing)
    db: Database | None = None
    clock: Clock = field(default_factory=Clock)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    labels: dict[uuid.UUID, str] = field(default_factory=dict)  # command id -> c1, c2, ...
    log: list[a.Action] = field(default_factory=list)
    pauses: PauseState = field(default_factory=PauseState)

    def __post_init__(self) -> None:
        self.s = Scheduler(self.clock, self.timing)

    # --- driving ----------------------------------------------------------------------------------

    def take(self) -> list[a.Action]:
        """The actions asked for since the last call (also written to the database)."""
        taken = self.s.actions_to_perform()
        self.log += taken
        for action in taken:
            if isinstance(action, a.SaveQueueState):
                self.pauses = action.state
        if self.db is not None:
            self.db.apply(taken)
        return taken

    def agent(self, name: str) -> uuid.UUID:
        if name not in self.ids:
            self.ids[name] = uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.agents.test")
            if self.db is not None:
                self.db.add_agent(self.ids[name], name)
        return self.ids[name]

    def name(self, agent_id: uuid.UUID) -> str:
        return next(n for n, i in self.ids.items() if i == agent_id)

    def start(self, *names: str) -> None:
        """The app starts knowing these agents (all offline), and what the database holds."""
        known = [KnownAgent(self.agent(n), n) for n in names]
        work = self.db.work() if self.db is not None else StoredWork()
        self.s.restore(known, work, self.pauses)

    def restart(self) -> Sim:
        """A new app on the same database (and pause state): every agent offline."""
        assert self.db is not None
        self.take()
        new = Sim(self.timing, self.db, self.clock, dict(self.ids), dict(self.labels))
        new.pauses = self.pauses
        new.start(*sorted(self.ids))
        return new

    def connect(
        self,
        name: str,
        *,
        new_instance: bool = False,
        holds: Sequence[str] = (),
        done: Sequence[str] = (),
    ) -> list[str]:
        """The agent connects holding ``holds`` (running) and ``done`` (finished, not yet
        reported); returns the labels of the commands it is told to drop."""
        reported = [m.CommandState(command_id=self.cid(c), running=True) for c in holds]
        reported += [m.CommandState(command_id=self.cid(c), running=False) for c in done]
        unknown = self.s.agent_connected(
            self.agent(name), name, new_instance=new_instance, reported=reported
        )
        return [self.labels.get(u, str(u)) for u in unknown]

    def gone(self, name: str) -> None:
        self.s.agent_gone(self.ids[name])

    def send(self, *names: str, content: str = "true", **kw: Any) -> str:
        """Submit to the named agents; returns the command's label (c1, c2, ...)."""
        sub = Submission(content, agent_ids=[self.agent(n) for n in names], **kw)
        info = self.s.submit(sub)
        label = f"c{len(self.labels) + 1}"
        self.labels[info.id] = label
        return label

    def cid(self, label: str) -> uuid.UUID:
        return next(i for i, lab in self.labels.items() if lab == label)

    def ack(self, name: str, label: str, accepted: bool = True, reason: str | None = None) -> None:
        ack = m.CommandAck(seq=1, command_id=self.cid(label), accepted=accepted, reason=reason)
        self.s.acknowledged(self.ids[name], ack)

    def complete(
        self,
        name: str,
        label: str,
        status: CommandStatus = CommandStatus.COMPLETED,
        reason: CompletionReason | None = None,
        **kw: Any,
    ) -> None:
        done = m.CommandComplete(
            seq=1, command_id=self.cid(label), status=status, reason=reason, **kw
        )
        self.s.completed(self.ids[name], done)

    def usage(self, name: str, label: str, total: int) -> None:
        usage = m.Usage(total_tokens=total, output_tokens=total)
        self.s.usage(self.ids[name], m.UsageUpdate(seq=1, command_id=self.cid(label), usage=usage))

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.s.tick()

    # --- reading ----------------------------------------------------------------------------------

    def info(self, label: str) -> CommandInfo:
        info = self.s.command(self.cid(label))
        assert info is not None
        return info

    def status(self, label: str, name: str | None = None) -> CommandStatus:
        info = self.info(label)
        if name is None:
            return info.status
        run = info.run_for(self.ids[name])
        assert run is not None
        return run.status

    def waiting(self, name: str) -> list[str]:
        queue = self.s.queue(self.ids[name])
        return [self.labels[e.command.id] for e in queue.waiting]

    def current(self, name: str) -> str | None:
        queue = self.s.queue(self.ids[name])
        return self.labels[queue.current.command.id] if queue.current else None

    def sent(self, actions: Sequence[a.Action], name: str) -> list[m.Payload]:
        agent_id = self.ids[name]
        return [
            x.payload for x in actions if isinstance(x, a.SendToAgent) and x.agent_id == agent_id
        ]

    # --- describing actions (for tables of expected steps) ----------------------------------------

    def describe(self, action: a.Action) -> str | None:
        """A short line for the actions that decide what happens (None for the bookkeeping ones:
        snapshots, queue rows, command rows, routine audits)."""
        match action:
            case a.SendToAgent(agent_id, m.CommandRequest(command_id=cid)):
                return f"{self.name(agent_id)} <- {self.labels[cid]}"
            case a.SendToAgent(agent_id, m.CommandCancel(command_id=cid, reason=reason)):
                return f"{self.name(agent_id)} <- cancel {self.labels[cid]} {reason.value}"
            case a.SendToAgent(agent_id, m.AgentControl(action=control)):
                return f"{self.name(agent_id)} <- {control.value}"
            case a.UpdateRun(cid, agent_id, {"status": status, **rest}):
                why = rest.get("reason")
                tail = f" {why}" if why else ""
                return f"{self.labels[cid]}@{self.name(agent_id)} {status.value}{tail}"
            case a.SetTimer((kind, cid, agent_id), at):
                after = (at - self.clock.now).total_seconds()
                return f"timer {kind.value} {self.labels[cid]}@{self.name(agent_id)} +{after:g}"
            case a.CancelTimer((kind, cid, agent_id)):
                return f"untimer {kind.value} {self.labels[cid]}@{self.name(agent_id)}"
            case a.Audit(event_type=event) if event.value not in ROUTINE_AUDITS:
                return f"audit {event.value}"
            case a.SaveQueueState(state):
                paused = ",".join(sorted(self.name(i) for i in state.paused))
                return f"save{' halted' if state.halted else ''} paused={paused or '-'}"
        return None

    def described(self, actions: Sequence[a.Action]) -> list[str]:
        return [d for d in map(self.describe, actions) if d is not None]


ROUTINE_AUDITS = {"COMMAND_SENT", "COMMAND_COMPLETED"}
NATURAL = CommandType.NATURAL
