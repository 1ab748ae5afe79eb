"""A terminal engine read as a document: scrollback lines, then the screen's used rows.

Qt-free helpers for the terminal view's find, selection and copy. Positions are ``(line, column)``
in cells, where line 0 is the oldest scrollback line; a wide character covers two columns.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ...terminal import Run, Terminal

Pos = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Match:
    line: int
    start: int  # first column
    end: int  # one past the last column


def history_lines(t: Terminal) -> int:
    return 0 if t.in_alternate_screen else t.history_size


def screen_lines(t: Terminal) -> int:
    """How many of the screen's rows belong to the document (down to the cursor or last text)."""
    if t.in_alternate_screen:
        return t.rows
    last = t.cursor[1]
    for y in range(t.rows - 1, last, -1):
        if t.row_runs(y):
            last = y
            break
    return last + 1


def document_lines(t: Terminal) -> int:
    return history_lines(t) + screen_lines(t)


def line_runs(t: Terminal, line: int) -> list[Run]:
    history = history_lines(t)
    if 0 <= line < history:
        return t.history_runs(line)
    if 0 <= line - history < t.rows:
        return t.row_runs(line - history)
    return []


def _width(ch: str) -> int:
    if ch < "\u0300":
        return 1
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def cells_of(runs: list[Run]) -> list[str]:
    """One entry per cell: the character that starts there, or "" for the right half of a wide one.

    Combining marks are attached to the character before them.
    """
    cells: list[str] = []
    for run in runs:
        if run.cells == len(run.text):
            cells.extend(run.text)
            continue
        for ch in run.text:
            w = _width(ch)
            if w == 0 and cells:
                cells[-1] += ch
            elif w == 2:
                cells.extend((ch, ""))
            else:
                cells.append(ch)
    return cells


def line_text(t: Terminal, line: int) -> str:
    return "".join(run.text for run in line_runs(t, line))


def find_all(t: Terminal, query: str, *, case_sensitive: bool = False) -> list[Match]:
    """Every occurrence of ``query`` in the document, in reading order."""
    if not query:
        return []
    needle = query if case_sensitive else query.casefold()
    matches: list[Match] = []
    for line in range(document_lines(t)):
        runs = line_runs(t, line)
        text = "".join(r.text for r in runs)
        hay = text if case_sensitive else text.casefold()
        if needle not in hay:
            continue
        ascii_only = all(r.cells == len(r.text) for r in runs) and len(hay) == len(text)
        cols = None if ascii_only else _column_map(cells_of(runs))
        start = hay.find(needle)
        while start >= 0:
            end = start + len(needle)
            if cols is None:
                matches.append(Match(line, start, end))
            else:
                matches.append(Match(line, cols[min(start, len(cols) - 1)], _col_end(cols, end)))
            start = hay.find(needle, start + max(1, len(needle)))
    return matches


def _column_map(cells: list[str]) -> list[int]:
    """For each character of the line's text, the column it starts at."""
    cols: list[int] = []
    for col, cell in enumerate(cells):
        cols.extend([col] * len(cell))
    return cols or [0]


def _col_end(cols: list[int], end: int) -> int:
    return cols[end] if end < len(cols) else cols[-1] + 1


def ordered(a: Pos, b: Pos) -> tuple[Pos, Pos]:
    return (a, b) if a <= b else (b, a)


def selected_text(t: Terminal, a: Pos, b: Pos) -> str:
    """Plain text from ``a`` to ``b`` (end column exclusive), lines joined by newlines."""
    (l0, c0), (l1, c1) = ordered(a, b)
    out: list[str] = []
    for line in range(l0, l1 + 1):
        cells = cells_of(line_runs(t, line))
        start = c0 if line == l0 else 0
        end = c1 if line == l1 else len(cells)
        out.append("".join(cells[start:end]).rstrip())
    return "\n".join(out)


def word_at(t: Terminal, pos: Pos) -> tuple[Pos, Pos]:
    """The word (run of non-space, non-punctuation characters) around ``pos``."""
    line, col = pos
    cells = cells_of(line_runs(t, line))

    def is_word(i: int) -> bool:
        ch = cells[i] if 0 <= i < len(cells) else " "
        return ch == "" or ch.isalnum() or ch in "_-./~:@%+"

    if not is_word(col):
        return (line, col), (line, col + 1)
    start, end = col, col
    while start > 0 and is_word(start - 1):
        start -= 1
    while end < len(cells) and is_word(end):
        end += 1
    return (line, start), (line, end)
