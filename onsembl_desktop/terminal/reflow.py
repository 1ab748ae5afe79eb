"""Re-flowing the main screen and its scrollback to a new width, the way tmux 3.3a does.

Lines are taken one at a time, oldest first, by their cells in use (``Line.used``: up to the
last cell ever written, written blanks included), not by their visible text:

* a line exactly as wide as the screen, or a line that did not wrap and fits, stays as it is
  (scrollback lines like that are not even decoded);
* a wider line is cut into rows (wide characters are never split), the last keeping its
  wrap; if it wrapped and room is left, the next lines are joined onto it as below;
* a line that wrapped takes cells from the lines after it, one at a time, as long as they fit
  and belong to the same logical line (an empty continuation row is skipped); a line only
  partly taken keeps the rest and is looked at next.

The cursor's place is kept in its logical line (past its end if it was at or past the end), and
the screen then shows the last rows. ``tests/terminal/diff_tmux.py resize`` compares with tmux.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .charwidth import char_width
from .history import blob_used, is_wrapped, pack_line, unpack_record
from .line import PAD, Line, line_from_frozen

Cell = tuple[str, int, int]  # text (a glyph and its combining marks, or PAD), width, style
Item = bytes | Line  # a scrollback line as stored, or a screen row
END = -1  # a cursor at or past the end of its logical line


@dataclass(slots=True)
class Row:
    """A line the re-flow built or changed."""

    cells: list[Cell]
    wrapped: bool


Out = Item | Row


def meta(item: Out) -> tuple[bool, int]:
    """Whether it wraps, and its cells in use."""
    if isinstance(item, bytes):
        return is_wrapped(item), blob_used(item)
    if isinstance(item, Line):
        return item.wrapped, item.extent()
    return item.wrapped, len(item.cells)


def cells_of_frozen(text: str, runs: list[int], used: int) -> list[Cell]:
    cells: list[Cell] = []
    pos = 0
    ascii_text = text.isascii()
    for i in range(0, len(runs), 2):
        n, style = runs[i], runs[i + 1]
        segment = text[pos : pos + n]
        pos += n
        if ascii_text:
            cells += [(ch, 1, style) for ch in segment]
            continue
        for ch in segment:
            if ch == PAD:
                cells.append((PAD, 0, style))
            elif cells and char_width(ch) == 0:
                glyph, width, st = cells[-1]
                cells[-1] = (glyph + ch, width, st)
            else:
                cells.append((ch, char_width(ch), style))
    cells += [(" ", 1, 0)] * (used - len(cells))
    return cells[: max(used, 0)] if len(cells) > used else cells


def cells_of(item: Out) -> list[Cell]:
    """The cells in use of a line."""
    if isinstance(item, Row):
        return item.cells
    if isinstance(item, bytes):
        text, runs, _, used = unpack_record(item)
        return cells_of_frozen(text, runs, used)
    used = item.extent()
    if item.chars is not None and item.styles is not None:
        return [
            (ch, 0 if ch == PAD else (char_width(ch[0]) if not ch.isascii() else 1), style)
            for ch, style in zip(item.chars[:used], item.styles[:used], strict=False)
        ]
    text, runs = (item.text, item.runs) if item.raw is None else item.freeze()
    return cells_of_frozen(text, runs, used)


def to_line(item: Out, cols: int) -> Line:
    """A screen row of the re-flowed line."""
    if isinstance(item, Line):
        item.resize(cols)
        return item
    if isinstance(item, bytes):
        text, runs, wrapped, used = unpack_record(item)
        line = line_from_frozen(text, runs, wrapped, used)
        line.resize(cols)
        return line
    line = Line()
    chars = [c[0] for c in item.cells]
    styles = [c[2] for c in item.cells]
    pad = cols - len(chars)
    line.chars = chars + [" "] * pad if pad > 0 else chars[:cols]
    line.styles = styles + [0] * pad if pad > 0 else styles[:cols]
    line.text = ""
    line.used = min(len(item.cells), cols)
    line.wrapped = item.wrapped
    return line


def to_blob(item: Out) -> bytes:
    """A scrollback line of the re-flowed line."""
    if isinstance(item, bytes):
        return item
    if isinstance(item, Line):
        text, runs = item.freeze()
        return pack_line(text, runs, item.wrapped, item.extent())
    text_parts: list[str] = []
    cell_runs: list[int] = []
    for glyph, _, style in item.cells:
        text_parts.append(glyph)
        if cell_runs and cell_runs[-1] == style:
            cell_runs[-2] += len(glyph)
        else:
            cell_runs += (len(glyph), style)
    line = Line("".join(text_parts), cell_runs)  # (freeze drops trailing blanks; used keeps them)
    frozen_text, frozen_runs = line.freeze()
    return pack_line(frozen_text, frozen_runs, item.wrapped, len(item.cells))


class Reflow:
    """One re-flow of ``items`` (scrollback then screen rows) to ``sx`` columns."""

    def __init__(self, items: Sequence[Item], sx: int, hscrolled: int) -> None:
        self.src = items
        self.sx = sx
        self.hscrolled = hscrolled
        self.dead = bytearray(len(items))
        self.rest: dict[int, Row] = {}  # lines partly taken by a join: what is left of them
        self.target: list[Out] = []

    def line(self, i: int) -> Out:
        return self.rest.get(i, self.src[i])

    def run(self) -> list[Out]:
        sx = self.sx
        for yy in range(len(self.src)):
            if self.dead[yy]:
                continue
            item = self.line(yy)
            wrapped, used = meta(item)
            if used == sx:
                self.target.append(item)
            elif used > sx:
                self.split(yy, item, wrapped)
            elif wrapped:
                self.join(yy, Row(list(cells_of(item)), True), used, already=False)
            else:
                self.target.append(item)
        return self.target

    def split(self, yy: int, item: Out, wrapped: bool) -> None:
        sx = self.sx
        cells = cells_of(item)
        at = width = 0
        for i, cell in enumerate(cells):
            if width + cell[1] > sx:
                at = i
                break
            width += cell[1]
        if at == 0:  # not even the first cell fits: as it is
            self.target.append(item)
            return
        rows = [Row(cells[:at], True)]
        piece: list[Cell] = []
        width = 0
        for cell in cells[at:]:
            if width + cell[1] > sx:
                rows.append(Row(piece, True))
                piece, width = [], 0
            width += cell[1]
            piece.append(cell)
        rows.append(Row(piece, wrapped))
        self.target += rows
        if yy <= self.hscrolled:
            self.hscrolled += len(rows) - 1
        if width < sx and wrapped:
            self.join(yy, rows[-1], width, already=True)

    def join(self, yy: int, row: Row, width: int, already: bool) -> None:
        """Take cells from the lines after ``yy`` onto ``row`` while they fit."""
        sx = self.sx
        if not already:
            self.target.append(row)
        to = len(self.target) - 1
        lines = 0
        wrapped = True  # the logical line goes on past the line being looked at
        taken_from = -1
        want = 0
        total = len(self.src)
        while yy + 1 + lines < total:
            index = yy + 1 + lines
            source = self.line(index)
            source_wrapped, used = meta(source)
            if not source_wrapped:
                wrapped = False
            if used == 0:
                if not wrapped:
                    break
                lines += 1
                continue
            cells = cells_of(source)
            if width + cells[0][1] > sx:
                break
            width += cells[0][1]
            row.cells.append(cells[0])
            taken_from = index
            want = 1
            while want < used:
                w = cells[want][1]
                if width + w > sx:
                    break
                width += w
                row.cells.append(cells[want])
                want += 1
            lines += 1
            if not wrapped or want != used or width == sx:
                break
        if lines == 0:
            return
        left = 0
        if taken_from >= 0:
            source = self.line(taken_from)
            left = meta(source)[1] - want
        if left:
            self.rest[taken_from] = Row(cells_of(source)[want:], meta(source)[0])
            lines -= 1
        elif not wrapped:
            row.wrapped = False
        for i in range(yy + 1, yy + 1 + lines):
            self.dead[i] = 1
        if self.hscrolled > to + lines:
            self.hscrolled -= lines
        elif self.hscrolled > to:
            self.hscrolled = to


def wrap_position(items: Sequence[Out], px: int, py: int) -> tuple[int, int]:
    """The cursor at row ``py``, column ``px`` as (offset in its logical line, logical line)."""
    ax = ay = 0
    for yy in range(py):
        wrapped, used = meta(items[yy])
        if wrapped:
            ax += used
        else:
            ax = 0
            ay += 1
    return (END if px >= meta(items[py])[1] else ax + px), ay


def unwrap_position(items: Sequence[Out], wx: int, wy: int) -> tuple[int, int]:
    """Back from :func:`wrap_position`: (column, row)."""
    yy = ay = 0
    last = len(items) - 1
    while yy < last:
        if ay == wy:
            break
        if not meta(items[yy])[0]:
            ay += 1
        yy += 1
    if wx == END:
        while yy < last and meta(items[yy])[0]:
            yy += 1
        return meta(items[yy])[1], yy
    while yy < last and meta(items[yy])[0]:
        used = meta(items[yy])[1]
        if wx < used:
            break
        wx -= used
        yy += 1
    return wx, yy
