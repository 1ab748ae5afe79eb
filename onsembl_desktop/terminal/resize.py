"""Changing the screen size the way tmux does.

Height: shrinking first drops rows below the cursor, then moves top rows into
scrollback; growing pulls lines back out of scrollback before adding blank rows
at the bottom. Width: rows are cut or padded; wrapped lines are not re-flowed
(tmux re-flows them; see the module docstring of ``terminal``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .charwidth import char_width
from .line import PAD, Line
from .screen import MAX_COLS, MAX_ROWS

if TYPE_CHECKING:
    from .screen import Screen


def line_from_frozen(text: str, runs: list[int], wrapped: bool) -> Line:
    """A visible row from a scrollback line, thawing cells with combining marks."""
    if text.isascii() or all(ch == PAD or char_width(ch) for ch in text):
        line = Line(text, runs)
    else:
        line = Line()
        chars: list[str] = []
        styles: list[int] = []
        pos = 0
        for i in range(0, len(runs), 2):
            n, style = runs[i], runs[i + 1]
            for ch in text[pos : pos + n]:
                if chars and ch != PAD and char_width(ch) == 0:
                    chars[-1] += ch
                else:
                    chars.append(ch)
                    styles.append(style)
            pos += n
        line.chars, line.styles = chars, styles
    line.wrapped = wrapped
    return line


def _fit_rows(screen: Screen, lines: list[Line], rows: int, main: bool) -> int:
    """Make ``lines`` ``rows`` long; return how far the cursor row moves."""
    old = len(lines)
    shift = 0
    if rows < old:
        needed = old - rows
        below = max(0, old - 1 - screen.cy)
        drop = min(below, needed)
        del lines[old - drop :]
        needed -= drop
        if needed:
            if main:
                screen.keep_in_history(lines[:needed])
            del lines[:needed]
            shift = -needed
    elif rows > old:
        needed = rows - old
        if main:
            pulled = []
            while needed and len(screen.history):
                pulled.append(line_from_frozen(*screen.history.pop()))
                needed -= 1
            lines[0:0] = pulled[::-1]
            shift = len(pulled)
        lines.extend(Line() for _ in range(needed))
    return shift


def resize_screen(screen: Screen, cols: int, rows: int) -> None:
    cols = max(1, min(cols, MAX_COLS))
    rows = max(1, min(rows, MAX_ROWS))
    if (cols, rows) == (screen.cols, screen.rows):
        return
    alt = screen.in_alternate_screen
    shift = _fit_rows(screen, screen.lines, rows, main=not alt)
    screen.cy = max(0, min(screen.cy + shift, rows - 1))
    saved_main = screen._main_lines
    if saved_main is not None:
        del saved_main[rows:]
        saved_main.extend(Line() for _ in range(rows - len(saved_main)))
    for group in (screen.lines, saved_main or []):
        for line in group:
            line.resize(cols)
    if cols != screen.cols:
        old_tabs = [t for t in screen.tabs if t < cols]
        start = (screen.cols // 8 + 1) * 8
        screen.tabs = old_tabs + [t for t in range(start, cols, 8) if t not in old_tabs]
    screen.cols, screen.rows = cols, rows
    screen.top, screen.bottom = 0, rows - 1
    screen.cx = min(screen.cx, cols - 1)
    screen.wrap_pending = False
    screen.mark_all()
