"""The "All" view's document: every agent's output interleaved line by line, each line tagged.

Agents' byte streams cannot share one emulated screen (each moves its own cursor), so this works
in whole lines: each agent's live text is cut into lines, stripped of everything but colour
(cursor moves, titles, erases), and a line that was redrawn with carriage returns keeps only its
last version, as a progress bar shows it. Each finished line goes into one engine behind a tag in
the agent type's colour. The lines are kept (bounded), so filtering to chosen agents rebuilds the
engine from them at once.
"""

from __future__ import annotations

import re
import uuid
from collections import deque
from collections.abc import Callable

from ..core.state import AgentInfo
from ..terminal import Terminal
from .theme import type_text_color

COLS = 220
TAG_WIDTH = 12
_NOT_SGR = re.compile(
    r"\x1b\[[0-9;]*m"  # SGR: kept (group-less alternative, see _clean)
    r"|(\x1b\[[0-?]*[ -/]*[@-~]"  # other CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS
    r"|\x1b[ -/]*[0-~]"  # other escapes
    r"|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f])"  # C0 controls except TAB, LF, CR and ESC
)


def _clean(line: str) -> str:
    line = _NOT_SGR.sub(lambda m: "" if m.group(1) else m.group(0), line)
    if "\r" in line:
        parts = [p for p in line.split("\r") if p]
        line = parts[-1] if parts else ""
    return line


def _visible(line: str) -> bool:
    return bool(re.sub(r"\x1b\[[0-9;]*m", "", line).strip())


class AllOutput:
    def __init__(
        self,
        agent_info: Callable[[uuid.UUID], AgentInfo | None],
        max_lines: int = 10_000,
    ) -> None:
        self._agent_info = agent_info
        self.terminal = Terminal(cols=COLS, rows=40, scrollback=max_lines)
        self._lines: deque[tuple[uuid.UUID, str]] = deque(maxlen=max_lines)
        self._partial: dict[uuid.UUID, str] = {}
        self.only: set[uuid.UUID] | None = None  # None: every agent
        self.listeners: list[Callable[[], None]] = []

    def tap(self, agent_id: uuid.UUID, text: str) -> None:
        """Live text written to an agent's terminal."""
        pending = self._partial.pop(agent_id, "") + text
        *lines, rest = pending.split("\n")
        if rest:
            self._partial[agent_id] = rest[-65536:]  # a runaway line without newline stays bounded
        added = False
        for raw in lines:
            line = _clean(raw)
            if not _visible(line):
                continue
            self._lines.append((agent_id, line))
            if self.only is None or agent_id in self.only:
                self.terminal.feed(self._format(agent_id, line))
                added = True
        if added:
            for listener in self.listeners:
                listener()

    def lines(self) -> list[tuple[uuid.UUID, str]]:
        return list(self._lines)

    def set_filter(self, only: set[uuid.UUID] | None) -> None:
        self.only = only
        self.rerender()

    def rerender(self) -> None:
        """Rebuild the engine from the kept lines (after a filter or theme change)."""
        self.terminal.reset()
        chunk: list[str] = []
        for agent_id, line in self._lines:
            if self.only is None or agent_id in self.only:
                chunk.append(self._format(agent_id, line))
        self.terminal.feed("".join(chunk))
        for listener in self.listeners:
            listener()

    def clear(self) -> None:
        self._lines.clear()
        self._partial.clear()
        self.rerender()

    def _format(self, agent_id: uuid.UUID, line: str) -> str:
        info = self._agent_info(agent_id)
        name = info.name if info else str(agent_id)[:8]
        if len(name) > TAG_WIDTH:
            name = name[: TAG_WIDTH - 1] + "…"
        color = type_text_color(info.type) if info else None
        sgr = f"\x1b[1;38;2;{color.red()};{color.green()};{color.blue()}m" if color else "\x1b[1m"
        return f"\x1b[0m{sgr}{name:<{TAG_WIDTH}}\x1b[0m\x1b[2m│\x1b[0m {line}\x1b[0m\r\n"
