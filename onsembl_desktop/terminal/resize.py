"""Changing the screen size the way tmux 3.3a does (xterm would not re-flow).

The main screen: the height first (shrinking drops the rows below the cursor, then moves top
rows into scrollback; growing takes back rows that scrolled off, not ones a clear pushed, then
adds blank rows), then the width: ``reflow`` re-wraps scrollback and screen together and the
screen shows the last rows. The alternate screen is cut or padded, never re-flowed; the main
screen waits behind it at its old size and is resized once, with the cursor it returns to,
when the program leaves the alternate screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .line import Line, line_from_frozen
from .reflow import Item, Reflow, to_blob, to_line, unwrap_position, wrap_position
from .screen import MAX_COLS, MAX_ROWS

if TYPE_CHECKING:
    from .screen import Screen


def resize_main(
    screen: Screen,
    lines: list[Line],
    old: tuple[int, int],
    new: tuple[int, int],
    cursor: tuple[int, int, bool],
    keep: bool = True,
) -> tuple[list[Line], int, int, bool]:
    """Resize ``lines`` (the rows below the scrollback) from ``old`` to ``new`` (columns, rows)
    with the cursor ``(x, y, wrap pending)``; returns the new rows and cursor. ``keep``: top
    rows go into the scrollback and come back from it (off, as tmux, while the alternate
    screen's rows are shown: they are only re-flowed)."""
    (old_cols, old_rows), (cols, rows) = old, new
    history = screen.history
    keep = keep and bool(history.limit)
    x, y, pending = cursor
    cx = old_cols if pending else x  # (tmux keeps a pending wrap as the column past the end)
    if rows < old_rows:
        needed = old_rows - rows
        below = max(0, old_rows - 1 - y)
        if below:
            drop = min(below, needed)
            del lines[old_rows - drop :]
            lines[-1].wrapped = False  # (its continuation went, as tmux clears it)
            needed -= drop
        if needed and keep:
            screen.keep_in_history(lines[:needed])
            screen.hscrolled += needed
            del lines[:needed]
            y -= needed
        elif needed:  # no scrollback: top rows go, as far as the cursor allows
            gone = min(needed, y)
            del lines[:gone]
            y -= gone
        del lines[rows:]
    elif rows > old_rows:
        needed = rows - old_rows
        back = min(screen.hscrolled, needed, len(history)) if keep else 0
        pulled = [line_from_frozen(*history.pop()) for _ in range(back)]
        lines[0:0] = pulled[::-1]
        screen.hscrolled -= back
        y += back
        lines += [Line() for _ in range(needed - back)]
    hsize = len(history)
    cy = hsize + y  # the cursor's line counted from the oldest scrollback line
    if cols != old_cols:
        items: list[Item] = [*history.lines, *lines]
        wx, wy = wrap_position(items, cx, min(cy, len(items) - 1))
        flow = Reflow(items, cols, screen.hscrolled)
        out = flow.run()
        out += [Line() for _ in range(rows - len(out))]
        cx, cy = unwrap_position(out, wx, wy)
        hsize = len(out) - rows
        history.clear()
        history.lines.extend(to_blob(item) for item in out[:hsize])
        lines = [to_line(item, cols) for item in out[hsize:]]
        screen.hscrolled = flow.hscrolled
    for line in lines:
        line.resize(cols)
    screen.hscrolled = max(0, min(screen.hscrolled, hsize, len(history)))
    if cy >= hsize:
        cx, cy = cx, cy - hsize
    else:
        cx, cy = 0, 0
    pending = cx >= cols
    return lines, min(cx, cols - 1), min(cy, rows - 1), pending


def _resize_alternate(screen: Screen, cols: int, rows: int) -> None:
    """No history, no re-flow: rows below the cursor go first, then rows from the top."""
    lines = screen.lines
    old = len(lines)
    if rows < old:
        needed = old - rows
        below = max(0, old - 1 - screen.cy)
        drop = min(below, needed)
        del lines[old - drop :]
        needed -= drop
        gone = min(needed, screen.cy)
        del lines[:gone]
        screen.cy -= gone
        del lines[rows:]
    lines += [Line() for _ in range(rows - len(lines))]
    for line in lines:
        line.resize(cols)
    kept = screen._alt_lines  # mode 47's alternate screen, waiting for its next visit
    if kept is not None:
        del kept[rows:]
        kept += [Line() for _ in range(rows - len(kept))]
        for line in kept:
            line.resize(cols)


def resize_screen(screen: Screen, cols: int, rows: int) -> None:
    cols = max(1, min(cols, MAX_COLS))
    rows = max(1, min(rows, MAX_ROWS))
    if (cols, rows) == (screen.cols, screen.rows):
        return
    if screen._main_lines is None:
        cursor = (screen.cx, screen.cy, screen.wrap_pending)
        old = (screen.cols, screen.rows)
        lines, screen.cx, screen.cy, screen.wrap_pending = resize_main(
            screen, screen.lines, old, (cols, rows), cursor
        )
        screen.lines = lines
        screen._main_size = (cols, rows)
    else:
        _resize_alternate(screen, cols, rows)
        screen.cx = min(screen.cx, cols - 1)
        screen.cy = min(screen.cy, rows - 1)
        screen.wrap_pending = screen.wrap_pending and screen.cx == cols - 1
    if cols != screen.cols:
        # Stops the program set stay; the new columns get the default stops, every 8 from
        # the first multiple of 8 at or past the old width (80 -> 100 gains 80, 88, 96).
        old_tabs = [t for t in screen.tabs if t < cols]
        start = -(-screen.cols // 8) * 8
        screen.tabs = old_tabs + [t for t in range(start, cols, 8) if t not in old_tabs]
    screen.cols, screen.rows = cols, rows
    screen.top, screen.bottom = 0, rows - 1
    screen.mark_all()
