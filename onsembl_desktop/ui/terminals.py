"""One terminal engine per agent, fed from the core's events and rebuilt from the database.

On start (and on "redraw") an agent's terminal is rebuilt from its stored transcript; live output
that arrives while the rebuild reads the database is held back and applied afterwards, skipping
what the rebuild already showed, so nothing appears twice or out of order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..core.events import AgentChanged, CommandChanged, OutputReceived, SessionOutput
from ..core.service import Core
from ..core.transcript import footer, header, load_agent_transcript
from ..protocol.enums import CommandStatus
from ..terminal import Terminal

log = logging.getLogger("onsembl.ui.terminals")

DEFAULT_COLS, DEFAULT_ROWS = 120, 40


@dataclass(eq=False)
class AgentTerminal:
    agent_id: uuid.UUID
    terminal: Terminal
    listeners: list[Callable[[], None]] = field(default_factory=list)
    # (command, agent) progress so live events after a rebuild are not shown twice
    shown_seq: dict[uuid.UUID, int] = field(default_factory=dict)
    started: set[uuid.UUID] = field(default_factory=set)
    finished: set[uuid.UUID] = field(default_factory=set)
    held: list[OutputReceived | CommandChanged] | None = None  # during a rebuild
    # Live text as it is written (the "All" view interleaves it); not called by rebuilds.
    taps: list[Callable[[uuid.UUID, str], None]] = field(default_factory=list)
    # Told of every change to any engine (the frame clock), shared by all of the hub's terminals.
    watchers: list[Callable[[Terminal], None]] = field(default_factory=list)

    def write(self, text: str) -> None:
        self.terminal.feed(text)
        self.notify()
        for tap in self.taps:
            tap(self.agent_id, text)

    def notify(self) -> None:
        for listener in self.listeners:
            listener()
        for watcher in self.watchers:
            watcher(self.terminal)


class TerminalHub:
    def __init__(self, core: Core, scrollback: int = 10_000) -> None:
        self.core = core
        self.scrollback = scrollback
        self._terms: dict[uuid.UUID, AgentTerminal] = {}
        self.taps: list[Callable[[uuid.UUID, str], None]] = []
        self.watchers: list[Callable[[Terminal], None]] = []
        self._unsubscribe = [
            core.bus.subscribe(OutputReceived, self._on_output),
            core.bus.subscribe(CommandChanged, self._on_command),
            core.bus.subscribe(AgentChanged, self._on_agent),
            core.bus.subscribe(SessionOutput, self._on_session),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def get(self, agent_id: uuid.UUID) -> AgentTerminal:
        term = self._terms.get(agent_id)
        if term is None:
            engine = Terminal(cols=DEFAULT_COLS, rows=DEFAULT_ROWS, scrollback=self.scrollback)
            term = self._terms[agent_id] = AgentTerminal(
                agent_id, engine, taps=self.taps, watchers=self.watchers
            )
        return term

    def clear(self, agent_id: uuid.UUID) -> None:
        """Empty the agent's terminal (the stored output stays; "redraw" brings it back)."""
        term = self.get(agent_id)
        term.terminal.reset()
        term.notify()

    def agents(self) -> list[uuid.UUID]:
        return list(self._terms)

    # --- live events -----------------------------------------------------------------------------

    def _on_agent(self, ev: AgentChanged) -> None:
        self.get(ev.agent.id)

    def _on_session(self, ev: SessionOutput) -> None:
        term = self.get(ev.agent_id)
        if term.held is None:  # during a rebuild the screen is being replaced; drop, not store
            term.write(ev.data)

    def _on_output(self, ev: OutputReceived) -> None:
        term = self.get(ev.agent_id)
        if term.held is not None:
            term.held.append(ev)
            return
        self._apply_output(term, ev)

    def _apply_output(self, term: AgentTerminal, ev: OutputReceived) -> None:
        if ev.seq <= term.shown_seq.get(ev.command_id, 0):
            return
        if ev.command_id not in term.started:
            info = self.core.commands.get(ev.command_id)
            run = info.run_for(term.agent_id) if info else None
            self._start(
                term, ev.command_id, info.content if info else "", run.started_at if run else None
            )
        term.shown_seq[ev.command_id] = ev.seq
        term.write(ev.data)

    def _on_command(self, ev: CommandChanged) -> None:
        for run in ev.command.runs:
            term = self.get(run.agent_id)
            if term.held is not None:
                term.held.append(ev)
                continue
            self._apply_run(term, ev, run.agent_id)

    def _apply_run(self, term: AgentTerminal, ev: CommandChanged, agent_id: uuid.UUID) -> None:
        run = ev.command.run_for(agent_id)
        if run is None:
            return
        cid = ev.command.id
        if run.status is CommandStatus.EXECUTING and cid not in term.started:
            self._start(term, cid, ev.command.content, run.started_at)
        elif run.status.is_final and cid in term.started and cid not in term.finished:
            term.finished.add(cid)
            term.write(
                footer(run.status, run.exit_code, run.error, run.started_at, run.completed_at)
            )

    def _start(
        self, term: AgentTerminal, command_id: uuid.UUID, content: str, when: object
    ) -> None:
        term.started.add(command_id)
        term.write(header(content, when))  # type: ignore[arg-type]

    # --- rebuild from the database ---------------------------------------------------------------

    async def rebuild(self, agent_id: uuid.UUID) -> None:
        """Clear the agent's terminal and replay its stored transcript, then live output."""
        term = self.get(agent_id)
        if term.held is not None:
            return  # a rebuild is already running
        term.held = []
        try:
            await self.core.store.flush()
            commands = await self.core.store.read(partial(load_agent_transcript, agent_id=agent_id))
        except Exception:
            log.exception("cannot rebuild the terminal of %s", agent_id)
            commands = None
        held, term.held = term.held, None
        if commands is not None:
            term.terminal.reset()
            term.shown_seq.clear()
            term.started.clear()
            term.finished.clear()
            for item in commands:
                term.started.add(item.command_id)
                if item.final:
                    term.finished.add(item.command_id)
                term.shown_seq[item.command_id] = item.last_seq
                term.terminal.feed("".join(item.chunks))
            term.notify()
        for ev in held:
            if isinstance(ev, OutputReceived):
                self._apply_output(term, ev)
            else:
                self._apply_run(term, ev, agent_id)

    async def rebuild_all(self) -> None:
        await asyncio.gather(*(self.rebuild(a.id) for a in self.core.agents.all()))
