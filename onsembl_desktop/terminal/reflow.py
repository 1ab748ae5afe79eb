"""Re-wrapping the main screen and scrollback when the width changes, as tmux does.

Rows that ended in an automatic wrap are joined back into their logical line
and cut again at the new width; the cursor keeps its place in its logical line.
Afterwards the screen shows the last rows, the rest is scrollback. Scrollback
lines that cannot change (not part of a wrapped line and no wider than the new
width) are kept as they are, without being decoded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .charwidth import char_width
from .history import is_wrapped, text_cells, unpack_line
from .line import PAD, Line, line_from_frozen

if TYPE_CHECKING:
    from .screen import Screen

Frozen = tuple[str, list[int], bool]  # text, runs, wrapped


def _cells(text: str) -> list[int]:
    """Width of each code point: a wide glyph two (its PAD none), combining marks none."""
    if text.isascii():
        return [1] * len(text)
    return [0 if ch == PAD else char_width(ch) for ch in text]


def _slice(runs: list[int], start: int, end: int) -> list[int]:
    out: list[int] = []
    pos = 0
    for i in range(0, len(runs), 2):
        n, style = runs[i], runs[i + 1]
        a, b = max(pos, start), min(pos + n, end)
        if a < b:
            out += (b - a, style)
        pos += n
        if pos >= end:
            break
    return out


def _join(parts: list[tuple[str, list[int]]]) -> tuple[str, list[int]]:
    text = "".join(p[0] for p in parts)
    runs: list[int] = []
    for _, r in parts:
        for i in range(0, len(r), 2):
            if runs and runs[-1] == r[i + 1]:
                runs[-2] += r[i]
            else:
                runs += (r[i], r[i + 1])
    return text, runs


def _split(text: str, runs: list[int], cols: int) -> list[tuple[str, list[int], int]]:
    """Rows of at most ``cols`` cells: ``(text, runs, cells)``."""
    widths = _cells(text)
    rows = []
    start = used = 0
    for i, w in enumerate(widths):
        if w and used + w > cols:
            rows.append((text[start:i], _slice(runs, start, i), used))
            start, used = i, 0
        used += w
    rows.append((text[start:], _slice(runs, start, len(text)), used))
    return rows


def _fits(blob: bytes, cols: int) -> bool:
    """Whether a scrollback line is surely no wider than ``cols`` (cheap bound)."""
    return text_cells(blob) <= cols


def reflow(screen: Screen, cols: int) -> None:
    """Re-wrap history and the main screen to ``cols``; keep rows and cursor in step."""
    old_cols = screen.cols
    history = screen.history
    blobs = list(history.lines)
    rows = screen.rows
    # Logical lines: (rows joined, or a blob kept as is); cursor as (line, cell offset).
    logical: list[tuple[str, list[int]] | bytes] = []
    pending: list[tuple[str, list[int], int]] = []  # rows of a wrapped line, padding owed
    cursor_at = (0, 0)

    def take(text: str, runs: list[int], wrapped: bool) -> None:
        if pending and pending[-1][2]:
            # The previous row wrapped: pad it to its full width (typed blanks
            # count), unless the gap is where a wide character did not fit.
            prev_text, prev_runs, pad = pending[-1]
            if not (pad == 1 and text[:1] and _cells(text[:1])[0] == 2):
                pending[-1] = (prev_text + " " * pad, [*prev_runs, pad, 0], 0)
        pad = old_cols - sum(_cells(text)) if wrapped else 0
        pending.append((text, runs, max(pad, 0)))
        if not wrapped:
            logical.append(_join([(t, r) for t, r, _ in pending]))
            pending.clear()

    previous_wrapped = False
    for blob in blobs:
        wrapped = is_wrapped(blob)
        if not wrapped and not previous_wrapped and (cols >= old_cols or _fits(blob, cols)):
            logical.append(blob)
        else:
            take(*unpack_line(blob))
        previous_wrapped = wrapped
    for y, line in enumerate(screen.lines):
        text, runs = line.freeze()
        if y == screen.cy:
            before = sum(sum(_cells(t)) + pad for t, _, pad in pending)
            offset = before + screen.cx + screen.wrap_pending
            cursor_at = (len(logical), offset)
        take(text, runs, line.wrapped and y < rows - 1)
    if pending:
        logical.append(_join([(t, r) for t, r, _ in pending]))

    out: list[Line | bytes] = []
    cursor_row, cursor_x = 0, 0
    for index, item in enumerate(logical):
        if isinstance(item, bytes):
            out.append(item)
            continue
        parts = _split(*item, cols)
        if index == cursor_at[0]:
            offset = cursor_at[1]
            k = 0
            while k < len(parts) - 1 and offset >= parts[k][2]:
                offset -= parts[k][2]
                k += 1
            cursor_row, cursor_x = len(out) + k, offset
        for k, (text, runs, _) in enumerate(parts):
            out.append(line_from_frozen(text, runs, k < len(parts) - 1))

    start = max(0, min(len(out) - rows, cursor_row))
    history.clear()
    for kept in out[:start]:
        if isinstance(kept, bytes):
            history.lines.append(kept)
        else:
            history.push(*kept.freeze(), kept.wrapped)
    shown = [_line(kept) for kept in out[start : start + rows]]
    shown += [Line() for _ in range(rows - len(shown))]
    screen.lines[:] = shown
    # Past the last column is tmux's pending wrap.
    screen.cx, screen.cy = min(cursor_x, cols - 1), cursor_row - start
    screen.wrap_pending = cursor_x >= cols


def _line(item: Line | bytes) -> Line:
    return item if isinstance(item, Line) else line_from_frozen(*unpack_line(item))
