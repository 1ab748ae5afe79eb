"""The fast path for scrolling output: many plain coloured lines at once.

Build and test logs are lines of printable ASCII and SGR colours ending in
CR LF, arriving while the cursor sits on a blank bottom row. For a block of such
lines the final state is known without replaying each one: the screen shows
the last rows, and everything before went to scrollback. Lines are kept
raw (see ``Line.raw`` and ``history``) after one regex pass and decoded only
if someone reads them. The result is identical to
the general path, which handles anything else (a wider line, a tab, an erase,
a background colour left on at the end of a line).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .line import Line
from .style import BG_MASK, apply_sgr, fill_of

if TYPE_CHECKING:
    from .screen import Screen

SIMPLE_BLOCK = re.compile(r"(?:(?:[\x20-\x7e]++|\x1b\[[0-9;]*+m)*+\r\n)++")
_SGR_PARAMS = re.compile(r"\x1b\[([0-9;]*)m")
# (style at line start, the line's SGR parameters) -> style at its end.
_ENDS: dict[tuple[int, tuple[str, ...]], int] = {}


def ready(t: Screen) -> bool:
    """Whether the cursor sits where the fast path can take over."""
    y = t.cy
    if t.cx or y != t.rows - 1 or t.bottom != y or t.top or t.wrap_pending:
        return False
    if t.insert_mode or t.g0_graphics or t.g1_graphics or t.in_alternate_screen:
        return False
    return t.lines[y].untouched()


def _end_style(style: int, params: list[str]) -> int:
    key = (style, tuple(params))
    end = _ENDS.get(key)
    if end is None:
        end = style
        for p in params:
            end = apply_sgr(end, p)
        if len(_ENDS) > 4096:
            _ENDS.clear()
        _ENDS[key] = end
    return end


def scroll_lines(t: Screen, data: str, pos: int) -> int:
    """Consume the simple lines starting at ``data[pos]``; return the new position."""
    if t.style & BG_MASK:
        return pos
    m = SIMPLE_BLOCK.match(data, pos)
    if m is None:
        return pos
    lines = m.group().split("\r\n")
    lines.pop()
    cols = t.cols
    findall = _SGR_PARAMS.findall
    style = t.style
    starts: list[int] = []
    for line in lines:
        params = findall(line)
        if params:
            if len(line) - sum(map(len, params)) - 3 * len(params) > cols:
                break
            starts.append(style)
            style = _end_style(style, params)
        else:
            if len(line) > cols:
                break
            starts.append(style)
        if style & BG_MASK:
            break  # the next row is filled with this background: general path
    count = len(starts)
    if not count:
        return pos
    keep = t.rows - 1
    old = t.lines[:keep]
    pushed = min(count, keep)
    if t.history.limit:
        t.keep_in_history(old[:pushed])
        push_raw = t.history.push_raw
        for i in range(count - keep):
            push_raw(lines[i], starts[i])
    first = max(0, count - keep)
    shown = [Line.from_raw(lines[i], starts[i]) for i in range(first, count)]
    t.lines[:] = [*old[pushed:], *shown, Line.blank(cols, fill_of(style))]
    t.style = style
    t.last_char = ""  # the block ended with CR LF
    t.advance_base(count)
    return pos + sum(map(len, lines[:count])) + 2 * count
