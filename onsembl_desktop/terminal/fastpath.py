"""The fast path for scrolling output: many plain coloured lines at once.

Build and test logs are lines of printable one-cell characters (ASCII, and the common symbols,
arrows and box drawing of modern CLIs) and SGR colours ending in CR LF, arriving while the
cursor sits on a blank bottom row. For a block of such lines the final state is known
without replaying each one: the screen shows the last rows, and everything before went to
scrollback. Lines are kept raw (see ``Line.raw`` and ``history``) and decoded only if someone
reads them. The result is identical to the general path.

Cost is linear in the input however it is cut into pieces:

* the block is matched once; a line the fast path cannot take (wider than the screen, or
  ending with a background colour that the next row would be filled with) goes through the
  general path's own steps right there, and the block goes on after it, never re-matched;
* a piece that ends inside a line leaves that line raw on the bottom row, and the next piece
  carries on with it (as long as nothing else touched the row or the cursor meanwhile), so
  small pieces cost what one large piece costs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .charwidth import narrow_class
from .line import SGR_SPLIT, Line
from .style import BG_MASK, PROTECTED, apply_sgr, fill_of, style_to_sgr

if TYPE_CHECKING:
    from .screen import Screen

#: Characters a simple line holds: printable ASCII and common one-cell characters.
_CELL = f"[{narrow_class()}]"
SIMPLE_BLOCK = re.compile(rf"(?:(?:{_CELL}++|\x1b\[[0-9;]*+m)*+\r\n)++")
SIMPLE_PART = re.compile(rf"(?:{_CELL}++|\x1b\[[0-9;]*+m)++")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_SGR_PARAMS = re.compile(r"\x1b\[([0-9;]*)m")
_ENDS: dict[tuple[int, tuple[str, ...]], int] = {}  # (start style, SGRs) -> style at the end
_ROWS: dict[int, re.Pattern[str]] = {}  # columns -> a row's worth of a simple line
_ONLY_SGRS = re.compile(r"(?:\x1b\[[0-9;]*+m)*+\Z")


def ready(t: Screen) -> bool:
    """Whether the cursor sits where the fast path can take over (or carry on a raw row)."""
    y = t.cy
    if y != t.rows - 1 or t.bottom != y or t.top or t.wrap_pending or t.insert_mode:
        return False
    if t.gl_table is not None or t.single_shift or t.in_alternate_screen:
        return False
    line = t.lines[y]
    if t.cx:
        return (
            line is t.tail_line
            and line.raw is not None
            and t.cx == t.tail_cells
            and t.style == t.tail_style
        )
    return not t.style & (BG_MASK | PROTECTED) and line.untouched()


def _end_style(style: int, line: str) -> int:
    """The style after ``line`` (one-cell characters and SGRs) starting in ``style``."""
    k = line.rfind("\x1b[")
    if k < 0:
        return style
    if line.startswith("0m", k + 2) or line.startswith("m", k + 2):
        return 0  # the last SGR resets everything: what came before does not matter
    return _apply_all(style, line)


def _apply_all(style: int, line: str) -> int:
    params = tuple(_SGR_PARAMS.findall(line))
    key = (style, params)
    end = _ENDS.get(key)
    if end is None:
        end = style
        for p in params:
            end = apply_sgr(end, p)
        if len(_ENDS) > 4096:
            _ENDS.clear()
        _ENDS[key] = end
    return end


def _width(line: str) -> int:
    return len(line) if "\x1b" not in line else len(_SGR.sub("", line))


def scroll_lines(t: Screen, data: str, pos: int) -> int:
    """Consume the simple lines (and a simple partial line at the end) from ``data[pos]``."""
    if t.cx:  # carry on the raw row a previous piece left: start it afresh with its text
        row = t.lines[-1]
        prefix, style = row.raw or "", row.raw_style
        t.lines[-1] = Line()
        t.cx = 0
        t.style = style
    else:
        prefix = ""
    t.tail_line = None
    m = SIMPLE_BLOCK.match(data, pos)
    if m is not None:
        end = m.end()
        lines = data[pos:end].split("\r\n")
        lines.pop()
        widths = None
        if max(map(len, lines)) > t.cols:  # some may not fit: measure them all at once
            widths = list(map(len, _SGR.sub("", data[pos:end]).split("\r\n")))
        if prefix:
            lines[0] = prefix + lines[0]
            if widths is not None:
                widths[0] = _width(lines[0])
            prefix = ""
        if widths is None and len(lines[0]) > t.cols:
            widths = [_width(lines[0])] + [0] * (len(lines) - 1)
        _take_lines(t, lines, widths)
        pos = end
    n = len(data)
    if pos < n or prefix:
        m = SIMPLE_PART.match(data, pos)
        part_end = m.end() if m is not None else pos
        if part_end == n and not t.cx and not t.style & BG_MASK and t.lines[-1].untouched():
            _take_partial(t, prefix + data[pos:])
            return n
        if prefix:  # the rest is not simple: the general path continues the row
            _general_line(t, prefix, newline=False)
    return pos


def _take_lines(t: Screen, lines: list[str], widths: list[int] | None) -> None:
    """Scroll ``lines`` in: runs the fast path can take, the general path's steps for others.

    ``widths`` holds each line's cells where some line may be wider than the screen; such a
    line is cut into the rows its wrapping fills.
    """
    cols = t.cols
    n = len(lines)
    i = 0
    style = t.style
    encoded: list[bytes] | None = None
    while i < n:
        if style & BG_MASK:  # the bottom row is filled: this line needs the general path
            _general_line(t, lines[i])
            style = t.style
            i += 1
            continue
        starts: list[int] = []
        append = starts.append
        rows: list[str] | None = None  # the batch's rows, once some line wrapped
        wrapped: list[int] = []
        j = i
        while j < n:
            line = lines[j]
            if widths is not None and widths[j] > cols:
                cut = _cut(line, style, cols) if t.autowrap else None
                if cut is None:
                    break
                if rows is None:
                    rows = lines[i:j]
                first = len(rows)
                rows += cut[0]
                starts += cut[1]
                wrapped += range(first, len(rows) - 1)
                style = cut[2]
                j += 1
                if style & BG_MASK:
                    break
                continue
            if rows is not None:
                rows.append(line)
            append(style)
            j += 1
            k = line.rfind("\x1b[")
            if k >= 0:
                if line.startswith("0m", k + 2) or line.startswith("m", k + 2):
                    style = 0  # the last SGR resets everything
                else:
                    style = _apply_all(style, line)
                    if style & BG_MASK:
                        break  # taken; the row after it is filled with that background
        if j > i:
            if rows is None:
                if encoded is None and t.history.limit and j - i >= t.rows:
                    encoded = "\r\n".join(lines).encode().split(b"\r\n")
                _commit(t, lines[i:j], starts, wrapped, style, encoded and encoded[i:j])
            else:
                _commit(t, rows, starts, wrapped, style, None)
            i = j
        if i < n and not style & BG_MASK:  # cannot be cut: the general way
            _general_line(t, lines[i])
            style = t.style
            i += 1


def _cut(line: str, style: int, cols: int) -> tuple[list[str], list[int], int] | None:
    """The rows a line wider than the screen fills, each with its start style, and the style
    at its end; None if its last row starts with a background colour (the general path fills
    that row's unwritten cells with it)."""
    row = _ROWS.get(cols)
    if row is None:
        if len(_ROWS) > 64:
            _ROWS.clear()
        row = _ROWS[cols] = re.compile(rf"(?:(?:\x1b\[[0-9;]*+m)*+{_CELL}){{{cols}}}")
    match = row.match
    rows: list[str] = []
    starts: list[int] = []
    pos = 0
    while True:
        m = match(line, pos)
        # A full row is a row only if visible text follows it (else the cursor waits there).
        if m is None or _ONLY_SGRS.match(line, m.end()):
            break
        piece = line[pos : m.end()]
        rows.append(piece)
        starts.append(style)
        style = _end_style(style, piece)
        pos = m.end()
    if style & BG_MASK:
        return None
    last = line[pos:]
    rows.append(last)
    starts.append(style)
    return rows, starts, _end_style(style, last)


def _commit(
    t: Screen,
    rows: list[str],
    starts: list[int],
    wrapped: list[int],
    style: int,
    encoded: list[bytes] | None,
) -> None:
    """``rows`` (fitting, starting in ``starts``; ``wrapped`` ones continue on the next) scroll
    in; the screen ends in ``style``. ``encoded``: the rows as bytes, if at hand."""
    count = len(rows)
    keep = t.rows - 1
    old = t.lines[:keep]
    pushed = min(count, keep)
    history = t.history
    if history.limit:
        t.keep_in_history(old[:pushed])
        beyond = count - keep
        if beyond > 0:
            if encoded is not None:
                raw = encoded[:beyond]
                for k, start in enumerate(starts[:beyond]):
                    if start:
                        raw[k] = f"\x1b[{style_to_sgr(start)}m".encode() + raw[k]
                history.extend_raw(raw)
            else:
                cont = set(wrapped)
                for k in range(beyond):
                    history.push_raw(rows[k], starts[k], k in cont)
    first = max(0, count - keep)
    shown = [Line.from_raw(rows[k], starts[k]) for k in range(first, count)]
    for k in wrapped:
        if k >= first:
            shown[k - first].wrapped = True
    t.lines[:] = [*old[pushed:], *shown, Line.blank(t.cols, fill_of(style))]
    t.style = style
    t.last_char = ""  # the block ended with CR LF
    t.advance_base(count)


def _general_line(t: Screen, line: str, newline: bool = True) -> None:
    """What the general path does with a simple line (and its CR LF)."""
    parts = SGR_SPLIT.split(line)
    apply = t.sgr.apply  # type: ignore[attr-defined]
    for k in range(0, len(parts), 2):
        if k:
            t.style = apply(t.style, parts[k - 1])
            t.last_char = ""
        if parts[k]:
            t.put_cells(parts[k])
    if newline:
        t.last_char = ""
        t.carriage_return()
        t.index()


def _take_partial(t: Screen, part: str) -> None:
    """Leave ``part`` (a line's start) raw on the blank bottom row, if it fits before the edge."""
    cells = _width(part)
    if not part or cells >= t.cols:
        if part:
            _general_line(t, part, newline=False)
        return
    row = Line.from_raw(part, t.style)
    t.lines[-1] = row
    t.style = _end_style(t.style, part)
    t.cx = cells
    k = part.rfind("\x1b[")
    t.last_char = "" if k >= 0 and part.find("m", k) == len(part) - 1 else part[-1]
    t.tail_line, t.tail_cells, t.tail_style = row, cells, t.style
    t.mark(t.rows - 1)
