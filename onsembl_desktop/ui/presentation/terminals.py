"""One terminal engine per agent, fed from the core's events and rebuilt from the database.

On start (and on "redraw") an agent's terminal is rebuilt from its stored transcript; live output
that arrives while the rebuild reads the database is held back and applied afterwards, skipping
what the rebuild already showed, so nothing appears twice or out of order.

Output is not fed to an engine when it arrives: it is queued (``backlog``) and the frame clock
feeds it within a time budget each frame (:meth:`TerminalHub.pump`), engines on screen first and
the others when the loop has time to spare. Ten agents printing megabytes a second would otherwise
keep the loop busy emulating terminals nobody looks at. A backlog is bounded: past
:data:`MAX_BACKLOG` characters its oldest part is dropped down to :data:`KEEP_BACKLOG` (the tail
a rebuild from the database replays too) behind a line saying how much was skipped — it is all
stored. Without a frame clock (``wake`` unset) output is fed at once.

Queries a program sends (device attributes, cursor position, the colours: vim and fish wait for
them) are answered by the engine and the answer typed into the program's terminal, as a terminal
does (the agent passes it on to a program on a pty, drops it otherwise) — only for live output fed
within :data:`ANSWER_WITHIN_S` of its arrival: a rebuild's replay is not answered, nor output
queued longer, since an answer that late would land in whatever reads the keyboard by then.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ...core.events import AgentChanged, CommandChanged, OutputReceived, SessionOutput
from ...core.service import Core
from ...core.transcript import footer, header, load_agent_transcript
from ...protocol.enums import CommandStatus
from ...terminal import Terminal

log = logging.getLogger("onsembl.ui.terminals")

DEFAULT_COLS, DEFAULT_ROWS = 120, 40
# Unfed output an engine holds at most; past it the oldest goes, down to KEEP_BACKLOG: as much as
# a rebuild replays (core.transcript.load_agent_transcript's max_chars), several scrollbacks' worth.
MAX_BACKLOG = 4_000_000
KEEP_BACKLOG = 2_000_000
SLICE = 16_384  # characters fed at a time between looks at the frame's deadline (~1 ms)
ANSWER_WITHIN_S = 2.0  # live output fed later than this after it came is not answered


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

    # Output not yet fed to the engine, oldest first (see the module docstring), and beside each
    # piece when it came if it is live output (its queries are answered), else 0.
    backlog: deque[str] = field(default_factory=deque)
    came: deque[float] = field(default_factory=deque)
    backlog_chars: int = 0
    skipped_chars: int = 0  # dropped from the backlog since it was last fed
    fed_total: int = 0  # characters fed from the backlog, and dropped from it, since the start
    skipped_total: int = 0
    # Asks the frame clock for a frame; None: no clock feeds this engine, output is fed at once.
    wake: Callable[[], None] | None = None
    # Types an engine's answer into the agent's session (set by the hub); see the module docstring.
    answer: Callable[[uuid.UUID, str], object] | None = None
    answering: bool = False  # the text being fed is live output: answer its queries

    def __post_init__(self) -> None:
        self.terminal.on_reply = self._reply

    def _reply(self, text: str) -> None:
        if self.answering and self.answer is not None:
            self.answer(self.agent_id, text)

    def _feed(self, text: str, came: float) -> None:
        self.answering = bool(came) and time.monotonic() - came < ANSWER_WITHIN_S
        try:
            self.terminal.feed(text)
        finally:
            self.answering = False

    def write(self, text: str, *, live: bool = False) -> None:
        """Show ``text``; ``live``: a program's output as it comes (see above)."""
        if not text:
            return
        came = time.monotonic() if live else 0.0
        if self.wake is None:
            self._feed(text, came)
            self.notify()
        else:
            self.backlog.append(text)
            self.came.append(came)
            self.backlog_chars += len(text)
            if self.backlog_chars > MAX_BACKLOG:
                self._drop_oldest()
            self.wake()
        for tap in self.taps:
            tap(self.agent_id, text)

    def _drop_oldest(self) -> None:
        backlog = self.backlog
        while self.backlog_chars > KEEP_BACKLOG and len(backlog) > 1:
            text = backlog.popleft()
            self.came.popleft()
            self.backlog_chars -= len(text)
            self.skipped_chars += len(text)
            self.skipped_total += len(text)
        # Resume at a line: the first kept line's start went with the dropped text.
        head = backlog[0]
        cut = head.find("\n") + 1
        if cut > 0:
            backlog[0] = head[cut:]
            self.backlog_chars -= cut
            self.skipped_chars += cut
            self.skipped_total += cut

    def feed(self, limit: int) -> int:
        """Feed up to ``limit`` characters of the backlog to the engine; returns how many."""
        if self.skipped_chars:
            mb = self.skipped_chars / 1e6
            self.skipped_chars = 0
            self.terminal.feed(
                f"\x1b[0m\r\n\x1b[2m… {mb:.1f} MB of output skipped here to keep up "
                "(all of it is stored: History shows it)\x1b[0m\r\n"
            )
        fed = 0
        backlog = self.backlog
        while backlog and fed < limit:
            text = backlog.popleft()
            came = self.came.popleft()
            room = limit - fed
            if len(text) > room:
                backlog.appendleft(text[room:])
                self.came.appendleft(came)
                text = text[:room]
            self.backlog_chars -= len(text)
            fed += len(text)
            self._feed(text, came)
        self.fed_total += fed
        return fed

    def catch_up(self) -> None:
        """Feed the whole backlog now (before the engine is resized, say)."""
        if self.backlog or self.skipped_chars:
            self.feed(self.backlog_chars)
            self.notify()

    def drop_backlog(self) -> None:
        self.backlog.clear()
        self.came.clear()
        self.backlog_chars = self.skipped_chars = 0

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
        # Set by the frame clock that feeds the engines (pump); None: output is fed at once.
        self._wake: Callable[[], None] | None = None
        self._turn = 0
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
                agent_id,
                engine,
                taps=self.taps,
                watchers=self.watchers,
                wake=self._wake,
                answer=self._answer,
            )
        return term

    def _answer(self, agent_id: uuid.UUID, text: str) -> None:
        """An engine's answer to its program's query, typed into the program's terminal."""
        self.core.terminal_input(agent_id, text)

    # --- feeding the engines ----------------------------------------------------------------------

    def feed_lazily(self, wake: Callable[[], None]) -> None:
        """From now on queue output; ``wake()`` asks for a frame, which calls :meth:`pump`."""
        self._wake = wake
        for term in self._terms.values():
            term.wake = wake

    def pump(self, deadline: float, shown: Callable[[Terminal], bool], *, hidden: bool) -> bool:
        """Feed queued output until ``deadline`` (``time.perf_counter``): the engines ``shown``
        on screen, or with ``hidden`` the others, a slice each in turn. Returns whether any
        engine still has output queued."""
        queue = [t for t in self._terms.values() if t.backlog and shown(t.terminal) != hidden]
        if queue:  # a different engine first each time: all get their turns within a budget
            self._turn = (self._turn + 1) % len(queue)
            queue = queue[self._turn :] + queue[: self._turn]
        fed = list(queue)
        while queue and time.perf_counter() < deadline:
            for term in tuple(queue):
                term.feed(SLICE)
                if not term.backlog:
                    queue.remove(term)
                if time.perf_counter() >= deadline:
                    break
        for term in fed:
            term.notify()
        return any(t.backlog for t in self._terms.values())

    def clear(self, agent_id: uuid.UUID) -> None:
        """Empty the agent's terminal (the stored output stays; "redraw" brings it back)."""
        term = self.get(agent_id)
        term.drop_backlog()
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
        term.write(ev.data, live=True)

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
            # What was queued before the rebuild is stored, so the transcript has it.
            term.drop_backlog()
            term.terminal.reset()
            term.shown_seq.clear()
            term.started.clear()
            term.finished.clear()
            for item in commands:
                term.started.add(item.command_id)
                if item.final:
                    term.finished.add(item.command_id)
                term.shown_seq[item.command_id] = item.last_seq
                if term.wake is None:
                    term.terminal.feed("".join(item.chunks))
                else:  # up to 2 MB: fed a slice a frame like live output, not in one go
                    term.backlog.extend(item.chunks)
                    term.came.extend(0.0 for _ in item.chunks)
                    term.backlog_chars += sum(len(c) for c in item.chunks)
            if term.wake is not None:
                term.wake()
            term.notify()
        for ev in held:
            if isinstance(ev, OutputReceived):
                self._apply_output(term, ev)
            else:
                self._apply_run(term, ev, agent_id)

    async def rebuild_all(self) -> None:
        await asyncio.gather(*(self.rebuild(a.id) for a in self.core.agents.all()))
