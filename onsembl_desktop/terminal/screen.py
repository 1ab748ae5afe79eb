"""Screen state and the editing primitives the control sequences map onto.

Semantics are xterm's (agents run programs with ``TERM=xterm-256color``), checked against a real
xterm (``tests/terminal/xtermref.py``), for example:

* pending wrap: after the last column is written the cursor waits there; printing wraps first,
  TAB and CBT move without ending the wait, and everything else that moves or edits ends it
  (BS moves back one from the last column; erases and ICH/DCH/ECH act on the last column);
* DECSC / DECRC save and restore the position, the wait, the style, the character sets and
  origin mode, one slot per screen; entering the alternate screen with 1049 saves in the main
  screen's slot, so ``ESC 8`` after leaving restores that;
* IL / DL act only inside the scroll region and return the cursor to column 0;
* the alternate screen of mode 47 keeps its contents between visits; 1047 clears it on leaving.

Where xterm's choice would lose what a person wants to see again, the scrollback keeps more (as
tmux, VTE and kitty do): ``ED 2``, and ``ED 0`` from the home position, first push the used rows
into scrollback, and a scroll region that scrolls up on the main screen sends its top rows
there too (xterm keeps only whole-screen scrolls). The screen itself is xterm's either way.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import NamedTuple

from .charsets import ASCII, Table, table
from .charwidth import char_width
from .history import History
from .line import PAD, Line
from .style import PROTECTED, fill_of

MAX_COLS = 4096
MAX_ROWS = 2048
_MAX_MARKS = 8  # combining marks kept per cell; more are dropped (bounded memory)


class Saved(NamedTuple):
    """What DECSC saves (xterm's ``SavedCursor``)."""

    x: int
    y: int
    wrap_pending: bool
    style: int
    charsets: tuple[str, str, str, str]
    gl: int
    origin: bool


_NOTHING_SAVED = Saved(0, 0, False, 0, (ASCII,) * 4, 0, False)


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
        rows = self.rows
        self.lines: list[Line] = [Line() for _ in range(rows)]
        self._main_lines: list[Line] | None = None  # kept while the alternate screen shows
        self._alt_lines: list[Line] | None = None  # mode 47's alternate screen, kept
        self.cx = 0
        self.cy = 0
        self.wrap_pending = False
        self.style = 0
        self.top = 0
        self.bottom = rows - 1
        self.tabs = list(range(8, self.cols, 8))
        #: Scrollback lines that scrolled off (not pushed by a clear): a taller screen takes
        #: these back (tmux's ``hscrolled``).
        self.hscrolled = 0
        #: The main screen's size while the alternate screen shows (it is resized on return).
        self._main_size = (self.cols, self.rows)
        #: DECSC slots: the main screen's and the alternate screen's.
        self.saved_slots: list[Saved | None] = [None, None]
        self.last_char = ""  # what REP repeats ("" after anything but printing)
        # A line's start the fast path left raw on the bottom row, to carry on (``fastpath``).
        self.tail_line: Line | None = None
        self.tail_cells = 0
        self.tail_style = 0
        self._init_modes()
        self.mark_all()

    def _init_modes(self) -> None:
        """Modes a soft reset (DECSTR) also returns to their defaults."""
        self.autowrap = True
        self.origin = False
        self.insert_mode = False
        self.cursor_on = True
        self.charsets = [ASCII, ASCII, ASCII, ASCII]
        self.gl = 0
        self.single_shift = 0  # 2 or 3 while SS2 / SS3 waits for its character
        self.gl_table: Table | None = None
        self.protection = 0  # 0 none, 1 DEC (DECSCA), 2 ISO (SPA / EPA)

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

    # -- character sets ------------------------------------------------

    def designate(self, slot: int, designation: str) -> None:
        self.charsets[slot] = designation
        self._charset_changed()

    def shift(self, gl: int) -> None:
        """Invoke G0-G3 into GL (SI, SO, LS2, LS3)."""
        self.gl = gl
        self._charset_changed()

    def _charset_changed(self) -> None:
        self.gl_table = table(self.charsets[self.gl])

    def map_text(self, text: str) -> str:
        """``text`` through GL's set, its first character through a waiting single shift."""
        if self.single_shift:
            first = table(self.charsets[self.single_shift])
            self.single_shift = 0
            head = text[0].translate(first) if first is not None else text[0]
            rest = text[1:]
            return head + (rest.translate(self.gl_table) if self.gl_table is not None else rest)
        return text.translate(self.gl_table) if self.gl_table is not None else text

    # -- printing ------------------------------------------------------

    def put_cells(self, text: str) -> None:
        """Print ``text`` whose every code point takes exactly one cell."""
        total = len(text)
        if not total:
            return
        cols = self.cols
        style = self.style
        lines = self.lines
        i = 0
        chunk = text
        while i < total:  # offsets, never slices of the rest: linear in len(text)
            if self.wrap_pending and self.autowrap:  # (without autowrap the wait is kept)
                self._wrap()
            x = self.cx
            space = cols - x
            left = total - i
            if left <= space:
                chunk = text[i:] if i else text
                i = total
            elif self.autowrap:
                chunk = text[i : i + space]
                i += space
            else:  # without wrap every extra character lands on the last column
                chunk = text[i : i + space - 1] + text[-1]
                i = total
            n = len(chunk)
            line = lines[self.cy]
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
        self.last_char = chunk[-1]

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
        if self.wrap_pending and self.autowrap:
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
        self.last_char = ch
        if x + 2 >= cols:
            self.cx = cols - 1
            self.wrap_pending = self.autowrap
        else:
            self.cx = x + 2

    def _combine(self, mark: str) -> None:
        x = self.cx if self.wrap_pending else self.cx - 1
        if x < 0:
            return  # nothing to combine with: dropped
        chars, _ = self.lines[self.cy].thaw(self.cols)
        if chars[x] == PAD and x:
            x -= 1
        if len(chars[x]) < _MAX_MARKS:
            chars[x] += mark
            self.mark(self.cy)

    def repeat(self, n: int) -> None:
        """REP: print the last printed character ``n`` more times (wrapping as printing does)."""
        ch = self.last_char
        if not ch:
            return
        n = min(n, self.cols * self.rows)  # more could only scroll the same cells away
        if char_width(ch) == 1:
            self.put_cells(ch * n)
        else:
            for _ in range(n):
                self._put_wide(ch)
        self.last_char = ""  # (a REP is not repeated)

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
        self.wrap_pending = False
        if self.cy == self.bottom:
            self.scroll_up(1)
        elif self.cy < self.rows - 1:
            self.cy += 1

    def reverse_index(self) -> None:
        self.wrap_pending = False
        if self.cy == self.top:
            self.scroll_down(1)
        elif self.cy > 0:
            self.cy -= 1

    def backspace(self, reverse_wrap: bool = False) -> None:
        self.wrap_pending = False
        if self.cx > 0:
            self.cx = min(self.cx, self.cols - 1) - 1
        elif reverse_wrap and self.autowrap:
            # xterm's reverse-wraparound (mode 45): to the end of the row above, the
            # top margin (or top row) wrapping to the bottom one.
            top = self.top if self.top <= self.cy <= self.bottom else 0
            bottom = self.bottom if self.top <= self.cy <= self.bottom else self.rows - 1
            self.cy = self.cy - 1 if self.cy > top else bottom
            self.cx = self.cols - 1

    def tab(self, n: int = 1) -> None:
        # TAB and CBT move the cursor but, in xterm, leave a pending wrap pending: the next
        # character still wraps first.
        tabs = self.tabs
        for _ in range(n):
            i = bisect_right(tabs, self.cx)
            self.cx = tabs[i] if i < len(tabs) else self.cols - 1

    def back_tab(self, n: int = 1) -> None:
        tabs = self.tabs
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

    # -- saving the cursor ---------------------------------------------

    @property
    def saved(self) -> Saved | None:
        """The DECSC slot of the screen that shows."""
        return self.saved_slots[self._main_lines is not None]

    def save_cursor(self, slot: int | None = None) -> None:
        """DECSC (into this screen's slot, or ``slot``)."""
        index = (self._main_lines is not None) if slot is None else slot
        g0, g1, g2, g3 = self.charsets
        self.saved_slots[index] = Saved(
            self.cx, self.cy, self.wrap_pending, self.style, (g0, g1, g2, g3), self.gl, self.origin
        )

    def restore_cursor(self, slot: int | None = None) -> None:
        """DECRC; with nothing saved: home, default style and character sets, origin off."""
        index = (self._main_lines is not None) if slot is None else slot
        saved = self.saved_slots[index] or _NOTHING_SAVED
        self.style = saved.style
        self.charsets = list(saved.charsets)
        self.gl = saved.gl
        self.single_shift = 0
        self._charset_changed()
        self.origin = saved.origin
        self.cx = min(saved.x, self.cols - 1)
        self.cy = min(saved.y, self.rows - 1)
        self.wrap_pending = saved.wrap_pending and self.cx == self.cols - 1

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
            self.hscrolled += n
            self.mark_range(max(0, self.rows - n), self.rows)
            if len(self._dirty) > 4 * self.rows:
                self._prune_dirty()
            return
        if self._main_lines is None:  # as tmux: a region's top rows too
            self.keep_in_history(lines[top : top + n])
            self.hscrolled += n
        del lines[top : top + n]
        lines[bottom - n + 1 : bottom - n + 1] = [blank(cols, fill) for _ in range(n)]
        if self._main_lines is not None:
            # tmux moves rows without a scrollback one at a time; each move ends the wrap of
            # the row above the region and, in a region of one or two rows, of its top row.
            if top or len(self.history):
                self._unwrap_above(top, alternate_too=True)
            if bottom - top <= 1:
                lines[top].wrapped = False
        self.mark_range(top, bottom + 1)

    def keep_in_history(self, lines: Iterable[Line]) -> None:
        history = self.history
        if not history.limit:
            return
        append = history.lines.append
        for line in lines:
            raw = line.raw
            if raw is not None:  # still as the program sent it: keep it so
                if line.raw_style or line.wrapped:
                    history.push_raw(raw, line.raw_style, line.wrapped)
                else:
                    append(raw.encode())
            else:
                text, runs = line.freeze()
                history.push(text, runs, line.wrapped, line.extent())

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
        self._unwrap_above(top)
        self.mark_range(top, bottom + 1)

    def _unwrap_above(self, y: int, alternate_too: bool = False) -> None:
        """The row above ``y`` no longer continues onto it (its continuation moved or was erased;
        tmux's rule, which later re-flowing follows). Above row 0 is the newest scrollback line
        (tmux's grid holds it below the alternate screen's rows too)."""
        if y > 0:
            self.lines[y - 1].wrapped = False
        elif self._main_lines is None or alternate_too:
            self.history.unwrap_last()

    def advance_base(self, n: int) -> None:
        """The whole screen scrolled up ``n`` rows: only the new rows are dirty."""
        self._base += n
        self.scrolled += n
        self.hscrolled += n
        self.mark_range(max(0, self.rows - 1 - n), self.rows)
        if len(self._dirty) > 4 * self.rows:
            self._prune_dirty()

    def _prune_dirty(self) -> None:
        base = self._base
        self._dirty = {a for a in self._dirty if a >= base}

    def set_region(self, top: int, bottom: int) -> None:
        """DECSTBM (0-based rows); the cursor goes home, the region's top in origin mode."""
        bottom = min(bottom, self.rows - 1)
        if top >= bottom:
            return
        self.top, self.bottom = top, bottom
        self.move_to(0, 0)

    # -- erasing and editing ---------------------------------------------

    def _erase(self, y: int, x0: int, x1: int, selective: bool = False) -> None:
        """Blank cells ``x0 <= x < x1`` of row ``y``; protected ones stay when they should."""
        line = self.lines[y]
        fill = fill_of(self.style)
        if (selective and self.protection) or self.protection == 2:
            line.erase_unprotected(x0, x1, fill, self.cols, PROTECTED)
        elif x0 <= 0 and x1 >= self.cols:
            line.clear(fill, self.cols)
            self._unwrap_above(y)
        else:
            line.erase(x0, x1, fill, self.cols)
        self.mark(y)

    def _erase_rows(self, y0: int, y1: int, selective: bool = False) -> None:
        if (selective and self.protection) or self.protection == 2:
            for y in range(y0, y1):
                self._erase(y, 0, self.cols, selective)
            return
        fill = fill_of(self.style)
        for y in range(y0, y1):
            self.lines[y] = Line.blank(self.cols, fill)
        if y1 > y0:
            self._unwrap_above(y0)
        self.mark_range(y0, y1)

    def erase_line(self, mode: int, selective: bool = False) -> None:
        if mode > 2:
            return  # (not even the pending wrap ends)
        x = self.cx
        self.wrap_pending = False
        x0, x1 = (x, self.cols) if mode == 0 else (0, x + 1) if mode == 1 else (0, self.cols)
        self._erase(self.cy, x0, x1, selective)

    def erase_display(self, mode: int, selective: bool = False) -> None:
        cy = self.cy
        if mode in (0, 2) and not selective and self.protection != 2:
            whole = mode == 2 or (self.cx == 0 and cy == 0)
            if whole and self._main_lines is None:
                self.wrap_pending = False
                self.clear_into_history()
                return
        if mode == 0:
            self.erase_line(0, selective)
            self._erase_rows(cy + 1, self.rows, selective)
        elif mode == 1:
            self._erase_rows(0, cy, selective)
            self.erase_line(1, selective)
        elif mode == 2:
            self.wrap_pending = False
            self._erase_rows(0, self.rows, selective)
        elif mode == 3 and not selective:
            self.history.clear()
            self.hscrolled = 0

    def clear_into_history(self) -> None:
        """Blank the screen; on the main screen the used rows go to scrollback first."""
        fill = fill_of(self.style)
        if self._main_lines is None:
            used = 0
            for y, line in enumerate(self.lines):
                if not line.untouched():  # any cell ever written counts
                    used = y + 1
            self.keep_in_history(self.lines[:used])
            self._base += used
            self.scrolled += used
            self.hscrolled = 0  # (cleared, not scrolled: a taller screen does not take it back)
        self.lines[:] = [Line.blank(self.cols, fill) for _ in range(self.rows)]
        self.mark_all()

    def erase_chars(self, n: int) -> None:
        self.wrap_pending = False
        self._erase(self.cy, self.cx, self.cx + n)

    def insert_chars(self, n: int) -> None:
        self.wrap_pending = False
        self.lines[self.cy].insert(self.cx, n, fill_of(self.style), self.cols)
        self.mark(self.cy)

    def delete_chars(self, n: int) -> None:
        self.wrap_pending = False
        self.lines[self.cy].delete(self.cx, n, fill_of(self.style), self.cols)
        self.mark(self.cy)

    def insert_lines(self, n: int) -> None:
        """IL: only inside the scroll region; the cursor goes to column 0."""
        if not self.top <= self.cy <= self.bottom:
            return
        self.scroll_down(n, self.cy, self.bottom)
        self.carriage_return()

    def delete_lines(self, n: int) -> None:
        """DL: only inside the scroll region; rows deleted never go to scrollback."""
        if not self.top <= self.cy <= self.bottom:
            return
        top, bottom = self.cy, self.bottom
        n = min(n, bottom - top + 1)
        lines = self.lines
        del lines[top : top + n]
        fill = fill_of(self.style)
        lines[bottom - n + 1 : bottom - n + 1] = [Line.blank(self.cols, fill) for _ in range(n)]
        self._unwrap_above(top)
        self._unwrap_above(bottom - n + 1)
        self.mark_range(top, bottom + 1)
        self.carriage_return()

    def alignment_test(self) -> None:
        """DECALN: fill the screen with ``E``; margins reset, cursor home."""
        self.top, self.bottom = 0, self.rows - 1
        self.lines[:] = [Line("E" * self.cols, [self.cols, 0]) for _ in range(self.rows)]
        self.origin = False
        self.move_to(0, 0)
        self.mark_all()

    # -- alternate screen ------------------------------------------------

    def enter_alternate(self, mode: int) -> None:
        """Show the alternate screen (47, 1047, 1049); 1049 saves the cursor and clears it."""
        if mode == 1049:
            self.save_cursor()
            self.wrap_pending = False  # (it clears the screen it shows)
        if self._main_lines is not None:
            if mode == 1049:
                self._erase_rows(0, self.rows)
            return
        self._main_lines = self.lines
        self._main_size = (self.cols, self.rows)
        self.history.unwrap_last()  # (tmux clears the rows it shows, which does this)
        kept = self._alt_lines
        if kept is None or mode == 1049:
            kept = [Line() for _ in range(self.rows)]
        self.lines = kept
        self._alt_lines = None
        self.mark_all()

    def leave_alternate(self, mode: int) -> None:
        """Back to the main screen; 1047 clears the alternate one, 1049 restores the cursor.

        The main screen waited at the size it had; if the screen changed size meanwhile, it is
        resized now, once, with the cursor it comes back to (as tmux does)."""
        main = self._main_lines
        if main is None:
            if mode == 1047:
                self._alt_lines = None
            elif mode == 1049:
                self.restore_cursor()
            return
        from .resize import resize_main

        size, old = (self.cols, self.rows), self._main_size
        cursor = (self.cx, self.cy, self.wrap_pending)
        alternate = self.lines
        if old != size:
            # As tmux: back to the old size first, with the alternate rows still below the
            # scrollback; they are dropped next, but re-flowing them to the old width may
            # push some of their rows into the scrollback.
            _, cx, cy, pending = resize_main(self, [*alternate], size, old, cursor, False)
            cursor = (cx, cy, pending)
        self._alt_lines = None if mode == 1047 else self.lines
        self._main_lines = None
        self.lines = main
        if mode == 1049:
            self.restore_cursor()  # (style, character sets, origin; the place is set below)
            saved = self.saved_slots[0] or Saved(0, 0, False, 0, (ASCII,) * 4, 0, False)
            cursor = (saved.x, saved.y, saved.wrap_pending)
        x, y, pending = cursor
        cursor = (min(x, old[0] - 1), min(y, old[1] - 1), pending and x >= old[0] - 1)
        if old != size:
            lines, cx, cy, pending = resize_main(self, main, old, size, cursor)
        else:
            lines, (cx, cy, pending) = main, cursor
        self.lines = lines
        self.cx, self.cy, self.wrap_pending = cx, cy, pending
        self._main_size = size
        self.mark_all()

    @property
    def in_alternate_screen(self) -> bool:
        return self._main_lines is not None
