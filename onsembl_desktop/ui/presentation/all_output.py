"""The "All" view's document: every agent's output interleaved line by line, each line tagged.

Agents' byte streams cannot share one emulated screen (each moves its own cursor), so this works
in whole lines: each agent's live text is cut into lines, stripped of everything but colour
(cursor moves, titles, erases), and a line that was redrawn with carriage returns keeps only its
last version, as a progress bar shows it. Each finished line goes into one engine behind a tag in
the agent type's colour. The lines are kept (bounded), so filtering to chosen agents rebuilds the
engine from them at once.

Like the agents' terminals (``terminals.py``), live text is only queued when it arrives; the frame
clock has it cut, tagged and fed (``pump``) within its budget, chunk by chunk — whole chunks go
through one regular expression and one join, not a Python loop per escape sequence — and while the
view is hidden and the loop busy it waits. The queue is bounded in lines: past twice the kept
lines the oldest chunks go (a dim line says how many lines were skipped), as they would mostly
have scrolled out of the kept lines anyway.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from itertools import repeat

from ...core.state import AgentInfo
from ...terminal import Terminal
from ...textlines import clean_lines
from .colors import rgb, type_text

COLS = 220
TAG_WIDTH = 12
SLICE = 16_384  # characters fed to the engine at a time between looks at the deadline


class AllOutput:
    def __init__(
        self,
        agent_info: Callable[[uuid.UUID], AgentInfo | None],
        max_lines: int = 10_000,
    ) -> None:
        self._agent_info = agent_info
        self.max_lines = max_lines
        self.terminal = Terminal(cols=COLS, rows=40, scrollback=max_lines)
        self._lines: deque[tuple[uuid.UUID, str]] = deque(maxlen=max_lines)
        self._partial: dict[uuid.UUID, str] = {}
        self._tags: dict[uuid.UUID, str] = {}
        self.only: set[uuid.UUID] | None = None  # None: every agent
        self.listeners: list[Callable[[], None]] = []
        # Live text not yet cut into lines, in arrival order, with its newline count.
        self._queue: deque[tuple[uuid.UUID, str, int]] = deque()
        self._queued_lines = 0
        self._resync: set[uuid.UUID] = set()  # agents whose queued text lost its start
        self._to_feed: deque[str] = deque()  # tagged lines for the engine
        self._wake: Callable[[], None] | None = None  # None: no frame clock, all done at once
        self.dropped_lines = 0  # lines dropped from the queue unseen (benchmarks report it)
        self._unsaid = 0  # of those, not yet told in the view

    def feed_lazily(self, wake: Callable[[], None]) -> None:
        """From now on queue live text; ``wake()`` asks for a frame, which calls :meth:`pump`."""
        self._wake = wake

    def tap(self, agent_id: uuid.UUID, text: str) -> None:
        """Live text written to an agent's terminal."""
        newlines = text.count("\n")
        self._queue.append((agent_id, text, newlines))
        self._queued_lines += newlines
        if self._queued_lines > 2 * self.max_lines:
            self._drop_oldest()
        if self._wake is None:
            self.catch_up()
        else:
            self._wake()

    def _drop_oldest(self) -> None:
        queue = self._queue
        while len(queue) > 1 and self._queued_lines - queue[0][2] > 2 * self.max_lines:
            agent_id, _text, newlines = queue.popleft()
            self._queued_lines -= newlines
            self.dropped_lines += newlines
            self._unsaid += newlines
            self._partial.pop(agent_id, None)
            self._resync.add(agent_id)

    def pump(self, deadline: float, shown: Callable[[Terminal], bool], *, hidden: bool) -> bool:
        """Cut, tag and feed queued text until ``deadline`` (when the view's visibility is the
        one asked for); returns whether any is still queued."""
        if shown(self.terminal) == hidden:
            return bool(self._queue or self._to_feed)
        fed = False
        while self._queue or self._to_feed:
            if time.perf_counter() >= deadline:
                break
            self._step()
            fed = True
        if fed:
            self._changed()
        return bool(self._queue or self._to_feed)

    @property
    def queued(self) -> bool:
        """Whether live text waits to be cut, tagged or fed."""
        return bool(self._queue or self._to_feed)

    def catch_up(self) -> None:
        """Everything queued, now."""
        if self._queue or self._to_feed:
            while self._queue or self._to_feed:
                self._step()
            self._changed()

    def _step(self) -> None:
        """A slice of tagged text into the engine, or else one queued chunk cut into lines."""
        if self._to_feed:
            text = self._to_feed.popleft()
            if len(text) > SLICE:
                self._to_feed.appendleft(text[SLICE:])
                text = text[:SLICE]
            self.terminal.feed(text)
            return
        if self._unsaid:
            self._to_feed.append(
                f"\x1b[0m\x1b[2m… {self._unsaid:,} lines skipped here to keep up (all of them "
                "are in each agent's stored output)\x1b[0m\r\n"
            )
            self._unsaid = 0
            return
        agent_id, text, newlines = self._queue.popleft()
        self._queued_lines -= newlines
        self._take(agent_id, text)

    def _take(self, agent_id: uuid.UUID, text: str) -> None:
        pending = self._partial.pop(agent_id, "") + text
        if agent_id in self._resync:
            cut = pending.find("\n")
            if cut < 0:
                return
            self._resync.discard(agent_id)
            pending = pending[cut + 1 :]
        cut = pending.rfind("\n")
        if cut < len(pending) - 1:
            # a runaway line without newline stays bounded
            self._partial[agent_id] = pending[cut + 1 :][-65536:]
        if cut < 0:
            return
        lines = clean_lines(pending[:cut])
        if not lines:
            return
        self._lines.extend(zip(repeat(agent_id), lines, strict=False))
        if self.only is None or agent_id in self.only:
            tag = self._tag(agent_id)
            self._to_feed.append(tag + f"\x1b[0m\r\n{tag}".join(lines) + "\x1b[0m\r\n")

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    def lines(self) -> list[tuple[uuid.UUID, str]]:
        self.catch_up()
        return list(self._lines)

    def set_filter(self, only: set[uuid.UUID] | None) -> None:
        self.only = only
        self.rerender()

    def rerender(self) -> None:
        """Rebuild the engine from the kept lines (after a filter or theme change)."""
        self._to_feed.clear()
        self._unsaid = 0
        while self._queue:  # cut what is queued into lines first (not fed: rebuilt below)
            agent_id, text, newlines = self._queue.popleft()
            self._queued_lines -= newlines
            self._take(agent_id, text)
        self._to_feed.clear()
        self._tags.clear()  # the tags' colours follow the theme
        self.terminal.reset()
        chunk: list[str] = []
        for agent_id, line in self._lines:
            if self.only is None or agent_id in self.only:
                chunk.append(self._format(agent_id, line))
        # At once (a user's action, like the filter it follows): up to max_lines lines.
        self.terminal.feed("".join(chunk))
        self._changed()

    def clear(self) -> None:
        self._lines.clear()
        self._partial.clear()
        self._queue.clear()
        self._queued_lines = self._unsaid = 0
        self._resync.clear()
        self.rerender()

    def _tag(self, agent_id: uuid.UUID) -> str:
        tag = self._tags.get(agent_id)
        if tag is None:
            tag = self._tags[agent_id] = self._format(agent_id, "")[: -len("\x1b[0m\r\n")]
        return tag

    def _format(self, agent_id: uuid.UUID, line: str) -> str:
        info = self._agent_info(agent_id)
        name = info.name if info else str(agent_id)[:8]
        if len(name) > TAG_WIDTH:
            name = name[: TAG_WIDTH - 1] + "…"
        sgr = "\x1b[1;38;2;{};{};{}m".format(*rgb(type_text(info.type))) if info else "\x1b[1m"
        return f"\x1b[0m{sgr}{name:<{TAG_WIDTH}}\x1b[0m\x1b[2m|\x1b[0m {line}\x1b[0m\r\n"
