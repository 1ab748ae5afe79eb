"""One row of cells, kept packed while it is only appended to.

Most rows (log output, prompts) are written left to right once and then
scrolled away. Such a row stays *packed*: a ``text`` str with one code point
per cell and ``runs``, a flat ``[length, style, length, style, ...]`` list;
cells past ``len(text)`` are default blanks. Appending to it is a string
concatenation. Anything else (overwrite, erase inside the text, insert,
combining marks) *thaws* it into two cell lists, ``chars`` and ``styles``,
edited by slice assignment. No per-cell Python objects either way.

A wide character is its glyph in the first cell and :data:`PAD` in the second.
"""

from __future__ import annotations

import re
from itertools import groupby

from .charwidth import char_width
from .model import Run
from .style import UL_SHIFT, SgrCache, attrs_of, bg_of, fg_of, ul_color_of

#: Second cell of a wide character. Input U+FFFF is replaced, so it is unambiguous.
PAD = "\uffff"


class Line:
    __slots__ = ("chars", "raw", "raw_style", "runs", "styles", "text", "used", "wrapped")

    def __init__(self, text: str = "", runs: list[int] | None = None) -> None:
        self.text = text
        #: Cells in use: up to the last one ever written, spaces included (tmux's
        #: ``cellused``, which re-flowing goes by); -1 while the raw form has not told.
        self.used = len(text)
        self.runs: list[int] = [] if runs is None else runs
        self.chars: list[str] | None = None
        self.styles: list[int] | None = None
        #: A third, lazy form: the line as the program sent it (one-cell characters
        #: and plain SGRs, starting in ``raw_style``), decoded on first use. The
        #: scrolling fast path leaves rows like this; most scroll away unread.
        self.raw: str | None = None
        self.raw_style = 0
        #: The row ended by an automatic wrap (it continues on the next row).
        self.wrapped = False

    @staticmethod
    def blank(cols: int, fill: int) -> Line:
        if fill == 0:
            return Line()
        line = Line(" " * cols, [cols, fill])
        line.used = 0  # (filled with a background, nothing written)
        return line

    @staticmethod
    def from_raw(raw: str, style: int) -> Line:
        line = Line()
        line.raw, line.raw_style, line.used = raw, style, -1
        return line

    def extent(self) -> int:
        """Cells in use (see ``used``)."""
        if self.used < 0:
            raw = self.raw if self.raw is not None else ""
            self.used = len(SGR_SPLIT.sub("", raw))
        return self.used

    def clear(self, fill: int, cols: int) -> None:
        """The whole row erased: nothing in use, and it no longer wraps (as tmux empties it)."""
        fresh = Line.blank(cols, fill)
        self.text, self.runs, self.used = fresh.text, fresh.runs, 0
        self.chars = self.styles = self.raw = None
        self.wrapped = False

    def untouched(self) -> bool:
        """Never written since it was blanked (default blanks only)."""
        return self.raw is None and self.chars is None and not self.text

    def _decode(self) -> None:
        if self.raw is not None:
            self.extent()
            self.text, self.runs = decode_sgr_line(self.raw, self.raw_style)
            self.raw = None

    # -- editing -------------------------------------------------------

    def thaw(self, cols: int) -> tuple[list[str], list[int]]:
        """The row as mutable cell lists of length ``cols``."""
        if self.raw is not None:
            self._decode()
        chars = self.chars
        styles = self.styles
        if chars is not None and styles is not None:
            return chars, styles
        text = self.text
        chars = list(text[:cols])
        styles = []
        runs = self.runs
        for i in range(0, len(runs), 2):
            styles += [runs[i + 1]] * runs[i]
        del styles[cols:]
        if len(chars) < cols:
            pad = cols - len(chars)
            chars += [" "] * pad
            styles += [0] * pad
        self.chars = chars
        self.styles = styles
        self.text = ""
        self.runs = []
        return chars, styles

    def write(self, x: int, text: str, style: int, cols: int) -> None:
        """Put ``text`` (one code point per cell, wide glyphs followed by PAD) at ``x``."""
        if self.raw is not None:
            self._decode()
        n = len(text)
        if x + n > self.used:
            self.used = x + n
        if self.chars is None:
            cur = len(self.text)
            if x >= cur:  # append: the common case
                runs = self.runs
                if x > cur:
                    gap = x - cur
                    self.text += " " * gap
                    if runs and runs[-1] == 0:
                        runs[-2] += gap
                    else:
                        runs += (gap, 0)
                self.text += text
                if runs and runs[-1] == style:
                    runs[-2] += n
                else:
                    runs += (n, style)
                return
        chars, styles = self.thaw(cols)
        end = x + n
        if chars[x] == PAD and x:
            chars[x - 1] = " "
        if end < cols and chars[end] == PAD:
            chars[end] = " "
        chars[x:end] = text
        styles[x:end] = [style] * n

    def combine(self, x: int, mark: str, cols: int) -> None:
        """Attach a zero-width ``mark`` to the cell at ``x``."""
        chars, _ = self.thaw(cols)
        chars[x] += mark

    def erase(self, x0: int, x1: int, fill: int, cols: int) -> None:
        """Blank cells ``x0 <= x < x1`` with the erase style ``fill``."""
        if self.raw is not None:
            self._decode()
        if x1 > cols:
            x1 = cols
        if x0 >= x1:
            return
        if self.chars is None:
            if fill == 0 and x0 >= len(self.text):
                return
            if x0 == 0 and x1 == cols:
                fresh = Line.blank(cols, fill)
                self.text, self.runs = fresh.text, fresh.runs
                return
        chars, styles = self.thaw(cols)
        if chars[x0] == PAD and x0:
            chars[x0 - 1] = " "
        if x1 < cols and chars[x1] == PAD:
            chars[x1] = " "
        chars[x0:x1] = " " * (x1 - x0)
        styles[x0:x1] = [fill] * (x1 - x0)

    def erase_unprotected(self, x0: int, x1: int, fill: int, cols: int, protected: int) -> None:
        """Like :meth:`erase`, keeping cells whose style has the ``protected`` bit."""
        chars, styles = self.thaw(cols)
        for x in range(max(0, x0), min(x1, cols)):
            if not styles[x] & protected:
                chars[x] = " "
                styles[x] = fill

    def insert(self, x: int, n: int, fill: int, cols: int) -> None:
        """Insert ``n`` blanks at ``x``, pushing cells right (off the edge)."""
        chars, styles = self.thaw(cols)
        if x < cols - 1:
            self.used = cols  # (tmux counts the cells moved right as in use, to the edge)
        n = min(n, cols - x)
        if chars[x] == PAD and x:
            chars[x - 1] = " "
        chars[x:x] = " " * n
        styles[x:x] = [fill] * n
        del chars[cols:], styles[cols:]
        if _is_wide_start(chars, cols - 1):
            chars[-1] = " "

    def delete(self, x: int, n: int, fill: int, cols: int) -> None:
        """Delete ``n`` cells at ``x``, pulling cells left and filling the end."""
        chars, styles = self.thaw(cols)
        n = min(n, cols - x)
        if n < cols - x:
            self.used = max(self.extent(), cols - n)
        if chars[x] == PAD and x:
            chars[x - 1] = " "
        del chars[x : x + n], styles[x : x + n]
        chars += " " * n
        styles += [fill] * n
        if chars[x] == PAD:
            chars[x] = " "

    def resize(self, cols: int) -> None:
        if self.raw is not None:
            self._decode()
        if self.used > cols:
            self.used = cols
        if self.chars is None:
            if len(self.text) > cols:
                self.thaw(cols)
            else:
                return
        chars, styles = self.thaw(cols)
        if len(chars) > cols:
            del chars[cols:], styles[cols:]
            if _is_wide_start(chars, cols - 1):
                chars[-1] = " "
        elif len(chars) < cols:
            pad = cols - len(chars)
            chars += " " * pad
            styles += [0] * pad

    # -- reading -------------------------------------------------------

    def freeze(self) -> tuple[str, list[int]]:
        """``(text, runs)`` with trailing default blanks dropped.

        Run lengths count code points of ``text`` (a cell with combining
        marks holds several).
        """
        if self.raw is not None:
            self._decode()
        chars = self.chars
        styles = self.styles
        if chars is None or styles is None:
            text, runs = self.text, self.runs
            if runs and runs[-1] == 0 and text.endswith(" "):
                cut = min(len(text) - len(text.rstrip(" ")), runs[-2])
                runs = runs[:-2] if cut == runs[-2] else [*runs[:-2], runs[-2] - cut, 0]
                text = text[: len(text) - cut]
            return text, runs
        joined = "".join(chars)
        k = len(chars)
        if len(joined) == k:
            k = len(joined.rstrip(" "))
        else:
            while k and chars[k - 1] == " ":
                k -= 1
        if any(styles[k:]):
            k = len(styles)
            while not styles[k - 1] and chars[k - 1] == " ":
                k -= 1
        runs = []
        if len(joined) == len(chars):
            text = joined[:k]
            for style, group in groupby(styles[:k]):
                runs += (len(list(group)), style)
        else:
            text = "".join(chars[:k])
            pos = 0
            for style, group in groupby(styles[:k]):
                n = len(list(group))
                runs += (len("".join(chars[pos : pos + n])), style)
                pos += n
        return text, runs

    def display(self) -> str:
        """The row's text as tmux ``capture-pane -p`` prints it."""
        if self.raw is not None:
            self._decode()
        text = "".join(self.chars) if self.chars is not None else self.text
        return text.replace(PAD, "").rstrip(" ")

    def to_runs(self) -> list[Run]:
        text, runs = self.freeze()
        return runs_of(text, runs)


def runs_of(text: str, runs: list[int]) -> list[Run]:
    """Public :class:`Run` values for a frozen ``(text, runs)`` pair."""
    out: list[Run] = []
    pos = 0
    for i in range(0, len(runs), 2):
        n = runs[i]
        style = runs[i + 1]
        seg = text[pos : pos + n]
        pos += n
        cells = n
        if not seg.isascii():
            cells -= sum(1 for ch in seg if ch != PAD and char_width(ch) == 0)
            seg = seg.replace(PAD, "")
        if style >> UL_SHIFT:
            ul = ul_color_of(style)
            out.append(Run(seg, cells, fg_of(style), bg_of(style), attrs_of(style), ul))
        else:
            out.append(Run(seg, cells, fg_of(style), bg_of(style), attrs_of(style)))
    return out


SGR_SPLIT = re.compile(r"\x1b\[([0-9;:]*)m")
_sgr = SgrCache()


def decode_sgr_line(raw: str, style: int = 0) -> tuple[str, list[int]]:
    """``(text, runs)`` of one-cell characters interleaved with plain SGR sequences.

    The inverse of keeping a simple line as its raw bytes (see ``history``),
    starting in ``style``.
    """
    parts = SGR_SPLIT.split(raw)
    apply = _sgr.apply
    runs: list[int] = []
    text = parts[0]
    if text:
        runs += (len(text), style)
    for i in range(1, len(parts), 2):
        style = apply(style, parts[i])
        seg = parts[i + 1]
        if seg:
            if runs and runs[-1] == style:
                runs[-2] += len(seg)
            else:
                runs += (len(seg), style)
    return Line("".join(parts[0::2]), runs).freeze()


def line_from_frozen(text: str, runs: list[int], wrapped: bool, used: int = -1) -> Line:
    """A visible row from a scrollback line, thawing cells with combining marks; ``used``:
    its cells in use when more than its text (written blanks at its end)."""
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
        line.used = len(chars)
    line.used = max(line.used, used)
    line.wrapped = wrapped
    return line


def _is_wide_start(chars: list[str], x: int) -> bool:
    cell = chars[x]
    return bool(cell) and cell != PAD and not cell.isascii() and char_width(cell[0]) == 2
