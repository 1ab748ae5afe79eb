"""Output of a command sent to several agents, as lines tagged with each agent's name.

One agent's output is printed as it came (colours, progress bars and all). Several agents' chunks
arrive interleaved, so each agent's text is cut into whole lines (cleaned as the window's All view
cleans them: colour kept, cursor moves dropped) and each line is printed behind its agent's name,
padded to the longest, in a colour of its own when the output is a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..textlines import LineCutter

TAG_WIDTH = 16
# Bold, and one of six readable colours per agent (only on a terminal).
_COLOURS = ("36", "33", "35", "32", "34", "31")


class TaggedOutput:
    """Writes each agent's output to ``out``: as it comes when there is one agent, else as
    tagged whole lines."""

    def __init__(self, agents: Sequence[str], out: TextIO) -> None:
        self.out = out
        names = list(dict.fromkeys(agents))
        self.tagged = len(names) > 1
        self._cutter = LineCutter()
        width = min(TAG_WIDTH, max((len(n) for n in names), default=0))
        self._width = width
        self._colour = _is_terminal(out)
        self._tags = {name: self._make_tag(name, i) for i, name in enumerate(names)}

    def _make_tag(self, name: str, index: int) -> str:
        shown = name if len(name) <= self._width else name[: self._width - 1] + "…"
        tag = f"{shown:<{self._width}} │ "
        if not self._colour:
            return tag
        return f"\x1b[1;{_COLOURS[index % len(_COLOURS)]}m{tag[:-3]}\x1b[0m\x1b[2m │\x1b[0m "

    def write(self, agent: str, data: str) -> None:
        if not self.tagged:
            self.out.write(data)
            return
        self._lines(agent, self._cutter.take(agent, data))

    def finish(self) -> None:
        """Ends every agent's unfinished line (the output is over)."""
        if self.tagged:
            for agent in self._cutter.sources():
                self._lines(str(agent), self._cutter.rest(agent))
        self.out.flush()

    def _lines(self, agent: str, lines: list[str]) -> None:
        tag = self._tags.get(agent)
        if tag is None:  # (an agent the command did not list: tag it all the same)
            tag = self._tags[agent] = self._make_tag(agent, len(self._tags))
        for line in lines:  # (its colours as the agent printed them, as with one agent)
            self.out.write(f"{tag}{line}\x1b[0m\n" if "\x1b" in line else f"{tag}{line}\n")


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
