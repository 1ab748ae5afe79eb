"""The public :class:`Terminal`: feed it a program's output, read back the screen."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable

from .control import Controls
from .fastpath import ready, scroll_lines
from .line import Line, runs_of
from .model import Run
from .parser import (
    C0,
    CRLF,
    CSI_FINAL,
    DCS,
    ESC_FINAL,
    ESC_PLAIN,
    GROUND,
    OSC,
    SGR,
    TEXT,
    TOKEN,
    SequenceParser,
)
from .resize import resize_screen

logger = logging.getLogger(__name__)


class Terminal(Controls):
    """A VT/xterm terminal emulator that shows what xterm shows.

    Sans-I/O: :meth:`feed` takes decoded text (or :meth:`feed_bytes` raw
    bytes), the screen is read back through :meth:`row_runs`, :meth:`display`
    and friends, and answers to queries go to ``on_reply`` (set it only for an
    interactive session; without it queries are ignored).

    ``row_runs`` and ``history_runs`` omit trailing blank cells in the default
    style: the runs cover the row from column 0 up to its last non-blank cell,
    and everything to the right is blank in default colours.
    """

    #: Re-raise internal errors instead of logging them (tests set this).
    strict = False
    #: Take the scrolling fast path (``fastpath``); tests turn it off for a reference.
    fast = True

    def __init__(
        self,
        cols: int = 80,
        rows: int = 24,
        scrollback: int = 10_000,
        on_reply: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(cols, rows, scrollback, on_reply)
        self._parser = SequenceParser()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    # -- input -----------------------------------------------------------

    def feed(self, text: str) -> None:
        """Process program output; never raises, bounded work per character."""
        try:
            self._feed(text)
        except Exception:
            if self.strict:
                raise
            logger.exception("terminal engine error; input dropped")
            self._parser.reset()

    def feed_bytes(self, data: bytes) -> None:
        """Process raw output; UTF-8 split across calls is joined, bad bytes become U+FFFD."""
        self.feed(self._decoder.decode(data))

    def _feed(self, data: str) -> None:
        if "\uffff" in data:  # reserved for the second cell of wide characters
            data = data.replace("\uffff", "\ufffd")
        parser = self._parser
        pos = 0
        n = len(data)
        if parser.state != GROUND:
            pos = parser.feed(data, 0, self)
        finditer = TOKEN.finditer
        apply_sgr = self.sgr.apply
        fast = self.fast
        if fast and pos < n and ready(self):
            pos = scroll_lines(self, data, pos)
        while pos < n:
            for m in finditer(data, pos):
                if m.start() != pos:
                    break
                pos = m.end()
                kind = m.lastindex
                if kind == TEXT:
                    text = m.group(1)
                    if self.gl_table is not None or self.single_shift:
                        text = self.map_text(text)
                    if text.isascii():
                        self.put_cells(text)
                    else:
                        self.put_text(text)
                elif kind == SGR:
                    self.style = apply_sgr(self.style, m.group(2))
                    self.last_char = ""
                elif kind == CRLF:
                    self.last_char = ""
                    self.cx = 0
                    self.wrap_pending = False
                    self.index()
                    if fast and ready(self):
                        start = pos
                        pos = scroll_lines(self, data, pos)
                        if pos != start:
                            break  # restart the scan after the block
                elif kind == CSI_FINAL:
                    self.csi(m.group(4), m.group(5), m.group(6))
                elif kind == C0:
                    self.execute(m.group(7))
                elif kind == OSC:
                    self.osc(m.group(8))
                elif kind == ESC_FINAL:
                    self.esc(m.group(9), m.group(10))
                elif kind == ESC_PLAIN:
                    self.esc("", m.group(11))
                elif kind == DCS:
                    self.dcs(m.group(12))
            if pos >= n or TOKEN.match(data, pos):
                continue
            # An ESC the expression could not match: the state machine takes over.
            parser.begin_escape()
            pos = parser.feed(data, pos + 1, self)

    # -- size and state --------------------------------------------------

    def resize(self, cols: int, rows: int) -> None:
        """Change the size: the main screen re-flows wrapped lines, the alternate one is cut."""
        try:
            resize_screen(self, cols, rows)
        except Exception:
            if self.strict:
                raise
            logger.exception("terminal resize failed")

    def reset(self) -> None:
        """Back to a fresh terminal: screen, modes, title and scrollback cleared."""
        self._parser.reset()
        self.full_reset()

    # -- reading ---------------------------------------------------------

    @property
    def cursor(self) -> tuple[int, int]:
        return (self.cx, self.cy)

    @property
    def cursor_visible(self) -> bool:
        return self.cursor_on

    def row_runs(self, y: int) -> list[Run]:
        return self.lines[y].to_runs()

    @property
    def history_size(self) -> int:
        return len(self.history)

    def history_runs(self, i: int) -> list[Run]:
        text, runs, _ = self.history.get(i)
        return runs_of(text, runs)

    def display(self) -> list[str]:
        """Visible rows as text, trailing blanks stripped (like ``tmux capture-pane -p``)."""
        return [line.display() for line in self.lines]

    def history_text(self) -> list[str]:
        """Scrollback lines as text, oldest first, trailing blanks stripped."""
        text = self.history.text
        return [text(i) for i in range(len(self.history))]

    def line(self, y: int) -> Line:
        """The visible row ``y`` itself (for tests and tools)."""
        return self.lines[y]
