"""Screen state and the editing primitives the control sequences map onto.

Semantics follow tmux where it differs from xterm (tmux is the reference the
golden tests compare against), for example:

* pending wrap: after the last column is written the cursor waits there; a line
  feed keeps the wait, cursor moves and CR end it, BS just ends it, and erases
  start from *past* the last column (so ``EL`` then erases nothing);
* BS at column 0 goes back up to the end of the previous row if that row wrapped;
* ``ED 2``, and ``ED 0`` from the home position, on the main screen first push
  the used rows into scrollback (tmux's ``scroll-on-clear``);
* a line feed keeps the cursor column; ``IL``/``DL`` keep it too; LNM is ignored;
* on the main screen any scroll region scrolling up sends its top rows to
  scrollback, not only a whole-screen scroll (xterm keeps only the latter).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from .charwidth import char_width
from .history import History
from .line import PAD, Line
from .style import fill_of

MAX_COLS = 4096
MAX_ROWS = 2048
_MAX_MARKS = 8
#: DECSC state: x, y, wrap pending, style, G0 and G1 graphics, shifted out, origin.
Saved = tuple[
    int, int, bool, int, bool, bool, bool, bool
]  # combining marks kept per cell; more are dropped (bounded memory)


class Screen:
    """Rows of cells, a cursor, modes and scrollback; no parsing here."""

    def __init__(self, cols: int, rows: int, scrollback: int) -> None:
        self.cols = max(1, min(cols, MAX_COLS))
        self.rows = max(1, min(rows, MAX_ROWS))
        self.history = History(scrollback)
        self.title = ""
        #: Lines the main screen scrolled up as a whole since the last clear_dirty().
        self.scrolled = 0
        # Dirty rows are kept as absolute line numbers (row + _base), so a
        # whole-screen scroll costs nothing here: it only advances _base.
        self._base = 0
        self._dirty: set[int] = set()
        self._init_state()

    def _init_state(self) -> None:
        cols, rows = self.cols, self.rows
        self.lines: list[Line] = [Line() for _ in range(rows)]
        self._main_lines: list[Line] | None = None  # kept while the alternate screen shows
        self.cx = 0
        self.cy = 0
        self.wrap_pending = False
        self.style = 0
        self.autowrap = True
        self.origin = False
        self.insert_mode = False
        self.cursor_on = True
        self.g0_graphics = False
        self.g1_graphics = False
        self.shift_out = False
        self.top = 0
        self.bottom = rows - 1
        self.tabs = list(range(8, cols, 8))
        self.saved: Saved | None = None
        self.alt_saved: Saved | None = None
        self.last_char = ""
        self.mark_all()

    # -- dirty tracking ------------------------------------------------

    def mark(self, y: int) -> None:
        self._dirty.add(y + self._base)

    def mark_range(self, y0: int, y1: int) -> None:
        base = self._base
        self._dirty.update(range(y0 + base, y1 + base))

    def mark_all(self) -> None:
        self.mark_range(0, self.rows)

    @property
    def dirty(self) -> set[int]:
        """Visible rows changed since the last :meth:`clear_dirty` (after any scroll)."""
        base = self._base
        top = base + self.rows
        return {a - base for a in self._dirty if base <= a < top}

    def clear_dirty(self) -> None:
        self._dirty.clear()
        self.scrolled = 0

    # -- printing ------------------------------------------------------

    def put_cells(self, text: str) -> None:
        """Print ``text`` whose every code point takes exactly one cell."""
        if not text:
            return
        chunk = text
        cols = self.cols
        style = self.style
        while text:
            if self.wrap_pending:
                self._wrap()
            x = self.cx
            line = self.lines[self.cy]
            space = cols - x
            if len(text) <= space:
                chunk, text = text, ""
            elif self.autowrap:
                chunk, text = text[:space], text[space:]
            else:  # without wrap every extra character lands on the last column
                chunk, text = text[: space - 1] + text[-1], ""
            n = len(chunk)
            if self.insert_mode:
                line.insert(x, n, 0, cols)
            line.write(x, chunk, style, cols)
            self._dirty.add(self.cy + self._base)
            x += n
            if x >= cols:
                self.cx = cols - 1
                self.wrap_pending = self.autowrap
            else:
                self.cx = x
        last = chunk[-1]
        self.last_char = last if last < "\x80" else ""  # REP repeats only ASCII

    def put_text(self, text: str) -> None:
        """Print ``text`` of any widths: wide characters, combining marks."""
        start = 0
        for i, ch in enumerate(text):
            w = char_width(ch)
            if w == 1:
                continue
            if i > start:
                self.put_cells(text[start:i])
            start = i + 1
            if w == 2:
                self._put_wide(ch)
            else:
                self._combine(ch)
        if start < len(text):
            self.put_cells(text[start:])

    def _put_wide(self, ch: str) -> None:
        cols = self.cols
        if cols < 2:
            return
        if self.wrap_pending:
            self._wrap()
        if self.cx >= cols - 1:
            if not self.autowrap:
                return
            self.lines[self.cy].wrapped = True
            self.cx = 0
            self.index()
        x = self.cx
        line = self.lines[self.cy]
        if self.insert_mode:
            line.insert(x, 2, 0, cols)
        line.write(x, ch + PAD, self.style, cols)
        self.mark(self.cy)
        self.last_char = ""
        if x + 2 >= cols:
            self.cx = cols - 1
            self.wrap_pending = self.autowrap
        else:
            self.cx = x + 2

    def _combine(self, mark: str) -> None:
        x = self.cx if self.wrap_pending else self.cx - 1
        if x < 0:
            return  # nothing to combine with: dropped, as tmux does
        chars, _ = self.lines[self.cy].thaw(self.cols)
        if chars[x] == PAD and x:
            x -= 1
        if len(chars[x]) < _MAX_MARKS:
            chars[x] += mark
            self.mark(self.cy)
        self.last_char = ""

    def _wrap(self) -> None:
        self.lines[self.cy].wrapped = True
        self.cx = 0
        self.wrap_pending = False
        self.index()

    # -- cursor motion ---------------------------------------------------

    def carriage_return(self) -> None:
        self.cx = 0
        self.wrap_pending = False

    def index(self) -> None:
        """LF/IND: down one row, scrolling at the bottom of the region."""
        if self.cy == self.bottom:
            self.scroll_up(1)
        elif self.cy < self.rows - 1:
            self.cy += 1

    def reverse_index(self) -> None:
        if self.cy == self.top:
            self.scroll_down(1)
        elif self.cy > 0:
            self.cy -= 1

    def backspace(self) -> None:
        if self.wrap_pending:
            self.wrap_pending = False
        elif self.cx > 0:
            self.cx -= 1
        elif self.cy > 0 and self.lines[self.cy - 1].wrapped:
            self.cy -= 1
            self.cx = self.cols - 1

    def tab(self, n: int = 1) -> None:
        if self.wrap_pending:
            return
        tabs = self.tabs
        for _ in range(n):
            i = bisect_right(tabs, self.cx)
            self.cx = tabs[i] if i < len(tabs) else self.cols - 1

    def back_tab(self, n: int = 1) -> None:
        tabs = self.tabs
        self.wrap_pending = False
        for _ in range(n):
            i = bisect_left(tabs, self.cx)
            self.cx = tabs[i - 1] if i > 0 else 0

    def set_tab(self) -> None:
        i = bisect_left(self.tabs, self.cx)
        if i == len(self.tabs) or self.tabs[i] != self.cx:
            self.tabs.insert(i, self.cx)

    def clear_tabs(self, mode: int) -> None:
        if mode == 0:
            if self.cx in self.tabs:
                self.tabs.remove(self.cx)
        elif mode == 3:
            self.tabs.clear()

    def move_to(self, x: int, y: int) -> None:
        """Absolute move; ``y`` is relative to the region in origin mode."""
        if self.origin:
            y = max(self.top, min(y + self.top, self.bottom))
        self.cx = max(0, min(x, self.cols - 1))
        self.cy = max(0, min(y, self.rows - 1))
        self.wrap_pending = False

    def move_x(self, x: int) -> None:
        self.cx = max(0, min(x, self.cols - 1))
        self.wrap_pending = False

    def move_y(self, y: int) -> None:
        self.move_to(self.cx, y)

    def cursor_up(self, n: int) -> None:
        limit = self.top if self.cy >= self.top else 0
        self.cy = max(limit, self.cy - n)
        self.wrap_pending = False

    def cursor_down(self, n: int) -> None:
        limit = self.bottom if self.cy <= self.bottom else self.rows - 1
        self.cy = min(limit, self.cy + n)
        self.wrap_pending = False

    def save_cursor(self) -> Saved:
        return (self.cx, self.cy, self.wrap_pending, self.style, self.g0_graphics,
                self.g1_graphics, self.shift_out, self.origin)  # fmt: skip

    def restore_cursor(
        self, saved: tuple[int, int, bool, int, bool, bool, bool, bool] | None
    ) -> None:
        if saved is None:  # nothing saved: home, default style and character sets
            saved = (0, 0, False, 0, False, False, False, False)
        x, y, _, self.style, self.g0_graphics, self.g1_graphics, self.shift_out, self.origin = saved
        self.cx = min(x, self.cols - 1)
        self.cy = min(y, self.rows - 1)
        self.wrap_pending = False

    # -- scrolling -------------------------------------------------------

    def scroll_up(self, n: int, top: int | None = None) -> None:
        """Scroll the region (or rows ``top..bottom``) up ``n`` rows."""
        top = self.top if top is None else top
        bottom = self.bottom
        n = min(n, bottom - top + 1)
        if n <= 0:
            return
        lines = self.lines
        blank = Line.blank
        cols = self.cols
        fill = fill_of(self.style)
        if top == 0 and bottom == self.rows - 1 and self._main_lines is None:
            keep = self.keep_in_history
            for _ in range(n):
                keep((lines.pop(0),))
                lines.append(blank(cols, fill))
            self._base += n
            self.scrolled += n
            self.mark_range(max(0, self.rows - n), self.rows)
            if len(self._dirty) > 4 * self.rows:
                self._prune_dirty()
            return
        if self._main_lines is None:  # tmux keeps a region's top rows too
            self.keep_in_history(lines[top : top + n])
        del lines[top : top + n]
        lines[bottom - n + 1 : bottom - n + 1] = [blank(cols, fill) for _ in range(n)]
        self.mark_range(top, bottom + 1)

    def keep_in_history(self, lines: Iterable[Line]) -> None:
        history = self.history
        for line in lines:
            if line.raw is not None:  # still as the program sent it: keep it so
                history.push_raw(line.raw, line.raw_style)
            else:
                text, runs = line.freeze()
                history.push(text, runs, line.wrapped)

    def scroll_down(self, n: int, top: int | None = None, bottom: int | None = None) -> None:
        top = self.top if top is None else top
        bottom = self.bottom if bottom is None else bottom
        n = min(n, bottom - top + 1)
        if n <= 0:
            return
        lines = self.lines
        fill = fill_of(self.style)
        del lines[bottom - n + 1 : bottom + 1]
        lines[top:top] = [Line.blank(self.cols, fill) for _ in range(n)]
        self.mark_range(top, bottom + 1)

    def advance_base(self, n: int) -> None:
        """The whole screen scrolled up ``n`` rows: only the new rows are dirty."""
        self._base += n
        self.scrolled += n
        self.mark_range(max(0, self.rows - 1 - n), self.rows)
        if len(self._dirty) > 4 * self.rows:
            self._prune_dirty()

    def _prune_dirty(self) -> None:
        base = self._base
        self._dirty = {a for a in self._dirty if a >= base}

    def set_region(self, top: int, bottom: int) -> None:
        if bottom > self.rows - 1:
            bottom = self.rows - 1
        if top >= bottom:
            return
        self.top, self.bottom = top, bottom
        # tmux homes the cursor absolutely, even in origin mode.
        self.cx = self.cy = 0
        self.wrap_pending = False

    # -- erasing and editing ---------------------------------------------

    def _edit_x(self) -> int:
        """Where in-line edits start: past the last column while a wrap is pending."""
        return self.cols if self.wrap_pending else self.cx

    def erase_line(self, mode: int) -> None:
        fill = fill_of(self.style)
        line = self.lines[self.cy]
        x = self._edit_x()
        if mode == 0:
            line.erase(x, self.cols, fill, self.cols)
        elif mode == 1:
            line.erase(0, x + 1, fill, self.cols)
        elif mode == 2:
            line.erase(0, self.cols, fill, self.cols)
        else:
            return
        self.mark(self.cy)

    def erase_display(self, mode: int) -> None:
        fill = fill_of(self.style)
        cols, cy = self.cols, self.cy
        if mode == 0:
            if self.cx == 0 and cy == 0 and not self.wrap_pending and self._main_lines is None:
                self.clear_into_history()
                return
            self.erase_line(0)
            for y in range(cy + 1, self.rows):
                self.lines[y] = Line.blank(cols, fill)
            self.mark_range(cy, self.rows)
        elif mode == 1:
            for y in range(cy):
                self.lines[y] = Line.blank(cols, fill)
            self.erase_line(1)
            self.mark_range(0, cy + 1)
        elif mode == 2:
            self.clear_into_history()
        elif mode == 3:
            self.history.clear()

    def clear_into_history(self) -> None:
        """Blank the screen; on the main screen the used rows go to scrollback first."""
        fill = fill_of(self.style)
        if self._main_lines is None:
            used = 0
            for y, line in enumerate(self.lines):
                if not line.untouched():  # tmux: any cell ever written counts
                    used = y + 1
            self.keep_in_history(self.lines[:used])
            self._base += used
            self.scrolled += used
        self.lines[:] = [Line.blank(self.cols, fill) for _ in range(self.rows)]
        self.mark_all()

    def erase_chars(self, n: int) -> None:
        x = self._edit_x()
        self.lines[self.cy].erase(x, x + n, fill_of(self.style), self.cols)
        self.mark(self.cy)

    def insert_chars(self, n: int) -> None:
        if self.wrap_pending:
            return
        self.lines[self.cy].insert(self.cx, n, fill_of(self.style), self.cols)
        self.mark(self.cy)

    def delete_chars(self, n: int) -> None:
        if self.wrap_pending:
            return
        self.lines[self.cy].delete(self.cx, n, fill_of(self.style), self.cols)
        self.mark(self.cy)

    def _lines_bottom(self) -> int:
        """Last row IL/DL move: the region's, or outside the region the screen's (tmux)."""
        return self.bottom if self.top <= self.cy <= self.bottom else self.rows - 1

    def insert_lines(self, n: int) -> None:
        self.scroll_down(n, self.cy, self._lines_bottom())

    def delete_lines(self, n: int) -> None:
        # Rows deleted inside the screen never go to scrollback.
        top, bottom = self.cy, self._lines_bottom()
        n = min(n, bottom - top + 1)
        lines = self.lines
        del lines[top : top + n]
        fill = fill_of(self.style)
        lines[bottom - n + 1 : bottom - n + 1] = [Line.blank(self.cols, fill) for _ in range(n)]
        self.mark_range(top, bottom + 1)

    def alignment_test(self) -> None:
        """DECALN: fill the screen with ``E``."""
        self.top, self.bottom = 0, self.rows - 1
        self.lines[:] = [Line("E" * self.cols, [self.cols, 0]) for _ in range(self.rows)]
        self.move_to(0, 0)
        self.mark_all()

    # -- alternate screen ------------------------------------------------

    def enter_alternate(self, save_cursor: bool) -> None:
        if self._main_lines is not None:
            return
        if save_cursor:
            self.alt_saved = self.save_cursor()
        self._main_lines = self.lines
        self.lines = [Line() for _ in range(self.rows)]
        self.mark_all()

    def leave_alternate(self, restore_cursor: bool) -> None:
        # tmux restores the 1049 cursor even when the alternate screen is not on,
        # and always ends a pending wrap.
        if restore_cursor and self.alt_saved is not None:
            self.restore_cursor(self.alt_saved)
        self.wrap_pending = False
        if self._main_lines is None:
            return
        self.lines = self._main_lines
        self._main_lines = None
        self.cx = min(self.cx, self.cols - 1)
        self.cy = min(self.cy, self.rows - 1)
        self.mark_all()

    @property
    def in_alternate_screen(self) -> bool:
        return self._main_lines is not None
