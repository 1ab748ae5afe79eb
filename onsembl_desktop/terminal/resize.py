"""Changing the screen size the way tmux does (xterm would not re-flow).

Width first: on the main screen wrapped lines are re-flowed (see ``reflow``);
the alternate screen is cut or padded. Then height: shrinking first drops rows
below the cursor, then moves top rows into scrollback; growing pulls lines back
out of scrollback before adding blank rows at the bottom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .line import Line, line_from_frozen
from .reflow import reflow
from .screen import MAX_COLS, MAX_ROWS

if TYPE_CHECKING:
    from .screen import Screen


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


def _resize_main(screen: Screen, cols: int, rows: int) -> None:
    """Size the main screen's rows and cursor (``screen.lines`` must be the main rows)."""
    if cols != screen.cols:
        reflow(screen, cols)
    shift = _fit_rows(screen, screen.lines, rows, main=True)
    screen.cy = max(0, min(screen.cy + shift, rows - 1))


def resize_screen(screen: Screen, cols: int, rows: int) -> None:
    cols = max(1, min(cols, MAX_COLS))
    rows = max(1, min(rows, MAX_ROWS))
    if (cols, rows) == (screen.cols, screen.rows):
        return
    main = screen._main_lines
    if main is None:
        _resize_main(screen, cols, rows)
    else:
        # The main screen behind the alternate one is re-flowed too (tmux does it
        # when the alternate screen ends), with the cursor 1049 will restore.
        alt, where = screen.lines, (screen.cx, screen.cy)
        screen.lines, screen._main_lines = main, None
        saved = screen.saved_slots[0]
        if saved is not None:
            screen.cx, screen.cy = saved.x, saved.y
        _resize_main(screen, cols, rows)
        if saved is not None:
            screen.saved_slots[0] = saved._replace(x=screen.cx, y=screen.cy)
        screen._main_lines, screen.lines = screen.lines, alt
        screen.cx, screen.cy = where
        screen.wrap_pending = False
        shift = _fit_rows(screen, alt, rows, main=False)
        screen.cy = max(0, min(screen.cy + shift, rows - 1))
    kept = screen._alt_lines  # mode 47's alternate screen, waiting for its next visit
    if kept is not None:
        del kept[rows:]
        kept += [Line() for _ in range(rows - len(kept))]
    for group in (screen.lines, screen._main_lines or [], kept or []):
        for line in group:
            line.resize(cols)
    if cols != screen.cols:
        # Stops the program set stay; the new columns get the default stops, every 8 from
        # the first multiple of 8 at or past the old width (80 -> 100 gains 80, 88, 96).
        old_tabs = [t for t in screen.tabs if t < cols]
        start = -(-screen.cols // 8) * 8
        screen.tabs = old_tabs + [t for t in range(start, cols, 8) if t not in old_tabs]
    screen.cols, screen.rows = cols, rows
    screen.top, screen.bottom = 0, rows - 1
    if screen.cx >= cols:
        screen.cx = cols - 1
        screen.wrap_pending = False
    screen.mark_all()
