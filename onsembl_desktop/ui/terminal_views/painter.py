"""Painting terminal cells on a grid: every cell at ``column x cell width``, whatever the glyph.

A monospace font's advance is rarely a whole number of device pixels, and a glyph from a
fallback font (CJK, symbols, emoji) has an advance of its own; drawn as free text, runs drift off
the grid. Here the cell width is the font's advance snapped to device pixels, and:

* text the font itself has at its own advance (ASCII, most Latin) is drawn a run at a time with
  letter spacing making each advance exactly one cell;
* any other glyph is drawn alone in its cell(s), centred, and squeezed (or, for colour emoji,
  scaled down) to fit if it is wider, clipped to its cells;
* box drawing, block elements, Braille and powerline separators come from ``cell_shapes``, filled
  to the cell's edges so they join across cells and rows;
* underlines (single, double, curly, dotted, dashed, in their own colour), strike-through and
  overline are drawn over whole cells.

Used by the terminal view and by ``python -m onsembl_desktop.terminal render --png``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from ...terminal import Attr, Run
from ...terminal.charwidth import char_width
from ..presentation import cell_shapes
from ..theme import TerminalScheme

_BOLD, _DIM, _ITALIC = int(Attr.BOLD), int(Attr.DIM), int(Attr.ITALIC)
_UNDERLINE, _STRIKE, _INVERSE, _HIDDEN = (
    int(Attr.UNDERLINE),
    int(Attr.STRIKE),
    int(Attr.INVERSE),
    int(Attr.HIDDEN),
)
_DOUBLE, _CURLY, _DOTTED, _DASHED = (
    int(Attr.DOUBLE_UNDERLINE),
    int(Attr.CURLY_UNDERLINE),
    int(Attr.DOTTED_UNDERLINE),
    int(Attr.DASHED_UNDERLINE),
)
_OVERLINE = int(Attr.OVERLINE)
_DIM_ALPHA = 150


@dataclass(slots=True)
class Cell:
    """What the cursor sits on: its text, width in cells and colours."""

    text: str
    cells: int
    fg: int
    bg: int
    attrs: int


class CellPainter:
    """Paints rows of :class:`~onsembl_desktop.terminal.Run` on a cell grid."""

    def __init__(self, font: QFont, scheme: TerminalScheme, dpr: float = 1.0) -> None:
        self.scheme = scheme
        self.reverse = False  # DECSCNM: the default colours swapped
        self._colors: dict[int, QColor] = {}
        self.set_font(font, dpr)

    # --- metrics ------------------------------------------------------------------------------

    def set_font(self, font: QFont, dpr: float = 1.0) -> None:
        self.dpr = max(1.0, dpr)
        base = QFont(font)
        base.setKerning(False)
        fm = QFontMetricsF(base)
        # Whole logical pixels: the same grid at every scale factor (glyph advances are made to
        # match it with letter spacing, below).
        self.cell_w = float(max(1, round(fm.horizontalAdvance("M"))))
        self.cell_h = float(max(1, math.ceil(fm.height())))
        self.ascent = round(fm.ascent() + (self.cell_h - fm.height()) / 2)
        #: A thin line: one device pixel, more on large fonts.
        self.line = max(1.0, round(self.cell_h * self.dpr / 18)) / self.dpr
        under = fm.underlinePos() if fm.underlinePos() > 0 else self.line
        self.underline_y = min(self.cell_h - self.line, self.ascent + max(under, self.line))
        self.fonts: dict[int, QFont] = {}
        self._plain: dict[int, dict[str, bool]] = {}
        self._advances: dict[tuple[int, str], tuple[float, float, float]] = {}
        for key in range(4):  # 1 bold, 2 italic
            variant = QFont(base)
            variant.setBold(bool(key & 1))
            variant.setItalic(bool(key & 2))
            own = QFontMetricsF(variant).horizontalAdvance("M")
            # Each advance becomes exactly one cell: runs of the font's own glyphs stay on the grid.
            variant.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, self.cell_w - own)
            self.fonts[key] = variant
            self._plain[key] = {}
        self._own_advance = {
            key: QFontMetricsF(self._unspaced(key)).horizontalAdvance("M") for key in range(4)
        }

    def _unspaced(self, key: int) -> QFont:
        font = QFont(self.fonts[key])
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 0)
        return font

    def is_plain(self, ch: str, key: int = 0) -> bool:
        """Whether ``ch`` is the font's own glyph at one cell's advance (drawn within a run)."""
        if ch.isascii():
            return True
        known = self._plain[key].get(ch)
        if known is None:
            font = self._unspaced(key)
            fm = QFontMetricsF(font)
            known = (
                len(ch) == 1
                and char_width(ch) == 1
                and not cell_shapes.draws_itself(ch)
                and fm.inFontUcs4(ord(ch))
                and abs(fm.horizontalAdvance(ch) - self._own_advance[key]) < 0.01
            )
            self._plain[key][ch] = known
        return known

    # --- colours ------------------------------------------------------------------------------

    def color(self, rgb: int, alpha: int = 255) -> QColor:
        key = rgb | alpha << 24
        color = self._colors.get(key)
        if color is None:
            color = self._colors[key] = QColor(
                (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255, alpha
            )
        return color

    @property
    def default_fg(self) -> int:
        return self.scheme.background if self.reverse else self.scheme.foreground

    @property
    def default_bg(self) -> int:
        return self.scheme.foreground if self.reverse else self.scheme.background

    def colors(self, fg: int, bg: int, attrs: int) -> tuple[int, int]:
        """``(foreground, background)`` as 0xRRGGBB for a cell's colours and attributes."""
        palette = self.scheme.palette
        if fg < 0:
            fg_rgb = self.default_fg
        elif fg >= 0x1000000:
            fg_rgb = fg & 0xFFFFFF
        elif attrs & _BOLD and fg < 8:
            fg_rgb = palette[fg + 8]  # bold brightens the 8 basic colours, as xterm does
        else:
            fg_rgb = palette[fg & 0xFF]
        if bg < 0:
            bg_rgb = self.default_bg
        elif bg >= 0x1000000:
            bg_rgb = bg & 0xFFFFFF
        else:
            bg_rgb = palette[bg & 0xFF]
        if attrs & _INVERSE:
            fg_rgb, bg_rgb = bg_rgb, fg_rgb
        return fg_rgb, bg_rgb

    # --- rows ---------------------------------------------------------------------------------

    def paint_row(self, p: QPainter, runs: list[Run], x0: float, y: float) -> None:
        """Backgrounds, then glyphs and shapes, then lines, of one row at ``y``."""
        cw = self.cell_w
        default_bg = self.default_bg
        col = 0
        for run in runs:
            _, bg = self.colors(run.fg, run.bg, int(run.attrs))
            if bg != default_bg:
                p.fillRect(QRectF(x0 + col * cw, y, run.cells * cw, self.cell_h), self.color(bg))
            col += run.cells
        col = 0
        for run in runs:
            attrs = int(run.attrs)
            fg, _ = self.colors(run.fg, run.bg, attrs)
            x = x0 + col * cw
            if not attrs & _HIDDEN and run.text.strip():
                color = self.color(fg, _DIM_ALPHA if attrs & _DIM else 255)
                self._paint_text(p, run, x, y, color, attrs)
            if attrs & (_UNDERLINE | _STRIKE | _OVERLINE):
                ul = run.ul_color
                line_color = self.color(self.colors(ul, -1, 0)[0]) if ul >= 0 else self.color(fg)
                self._paint_lines(p, x, y, run.cells * cw, attrs, line_color, self.color(fg))
            col += run.cells

    def _paint_text(
        self, p: QPainter, run: Run, x: float, y: float, color: QColor, attrs: int
    ) -> None:
        key = (1 if attrs & _BOLD else 0) | (2 if attrs & _ITALIC else 0)
        text = run.text
        p.setPen(color)
        p.setFont(self.fonts[key])
        baseline = y + self.ascent
        if run.cells == len(text) and text.isascii():
            p.drawText(QPointF(x, baseline), text)
            return
        cw = self.cell_w
        plain: list[str] = []
        plain_x = x
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            j = i + 1
            while j < n and char_width(text[j]) == 0:
                j += 1  # combining marks stay with their base character
            glyph = text[i:j]
            width = char_width(ch) or 1
            if j == i + 1 and width == 1 and self.is_plain(ch, key):
                if not plain:
                    plain_x = x
                plain.append(ch)
            else:
                if plain:
                    p.drawText(QPointF(plain_x, baseline), "".join(plain))
                    plain = []
                if cell_shapes.draws_itself(ch):
                    self._paint_shapes(p, ch, x, y, width * cw, color)
                elif ch.strip():
                    self._paint_fitted(p, glyph, key, x, y, width, color)
                    p.setPen(color)
                    p.setFont(self.fonts[key])
            x += width * cw
            i = j
        if plain:
            p.drawText(QPointF(plain_x, baseline), "".join(plain))

    def _paint_fitted(
        self, p: QPainter, glyph: str, key: int, x: float, y: float, cells: int, color: QColor
    ) -> None:
        """A glyph from any font, alone in its ``cells``: centred, squeezed or scaled to fit."""
        font = self._unspaced(key)
        measured = self._advances.get((key, glyph))
        if measured is None:
            fm = QFontMetricsF(font)
            box = fm.boundingRect(glyph)
            measured = (fm.horizontalAdvance(glyph), box.top(), box.height())
            self._advances[key, glyph] = measured
        advance, top, height = measured
        target = cells * self.cell_w
        p.save()
        p.setClipRect(QRectF(x, y, target, self.cell_h))
        p.setFont(font)
        p.setPen(color)
        scale = min(1.0, target / advance) if advance > 0 else 1.0
        if height > self.cell_h * 1.15:  # taller than a row (colour emoji): shrink it whole
            scale = min(scale, self.cell_h / height)
            p.translate(x + (target - advance * scale) / 2, y + (self.cell_h - height * scale) / 2)
            p.scale(scale, scale)
            p.drawText(QPointF(0, -top), glyph)
        else:  # squeezed sideways if wider than its cells, on the row's baseline
            p.translate(x + (target - advance * scale) / 2, y + self.ascent)
            p.scale(scale, 1.0)
            p.drawText(QPointF(0, 0), glyph)
        p.restore()

    def _paint_shapes(
        self, p: QPainter, ch: str, x: float, y: float, w: float, color: QColor
    ) -> None:
        shapes = cell_shapes.shapes(ch, w, self.cell_h, self.line)
        if not shapes:
            return
        p.save()
        p.translate(x, y)
        p.setPen(Qt.PenStyle.NoPen)
        for shape in shapes:
            if isinstance(shape, cell_shapes.Rect):
                fill = QColor(color)
                if shape.alpha < 1:
                    fill.setAlphaF(color.alphaF() * shape.alpha)
                p.fillRect(QRectF(shape.x, shape.y, shape.w, shape.h), fill)
            elif isinstance(shape, cell_shapes.Polygon):
                p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                p.setBrush(QBrush(color))
                p.drawPolygon(QPolygonF([QPointF(px, py) for px, py in shape.points]))
                p.setBrush(Qt.BrushStyle.NoBrush)
            else:  # a stroke: a straight segment or a quarter arc
                p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                pen = QPen(color, shape.width)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                p.setPen(pen)
                if isinstance(shape, cell_shapes.Segment):
                    p.drawLine(QPointF(shape.x1, shape.y1), QPointF(shape.x2, shape.y2))
                else:
                    rect = QRectF(shape.x, shape.y, shape.w, shape.h)
                    p.drawArc(rect, int(shape.start * 16), int(shape.span * 16))
                p.setPen(Qt.PenStyle.NoPen)
        p.restore()

    def _paint_lines(
        self, p: QPainter, x: float, y: float, w: float, attrs: int, under: QColor, fg: QColor
    ) -> None:
        t = self.line
        if attrs & _UNDERLINE:
            uy = y + self.underline_y
            if attrs & _DOUBLE:
                p.fillRect(QRectF(x, uy - t, w, t), under)
                p.fillRect(QRectF(x, min(uy + t, y + self.cell_h - t), w, t), under)
            elif attrs & _CURLY:
                self._curl(p, x, uy, w, under)
            elif attrs & _DOTTED:
                step = 2 * t
                k = x
                while k < x + w:
                    p.fillRect(QRectF(k, uy, t, t), under)
                    k += step
            elif attrs & _DASHED:
                dash = max(2 * t, self.cell_w / 2)
                k = x
                while k < x + w:
                    p.fillRect(QRectF(k, uy, min(dash, x + w - k), t), under)
                    k += dash * 2
            else:
                p.fillRect(QRectF(x, uy, w, t), under)
        if attrs & _STRIKE:
            p.fillRect(QRectF(x, y + round(self.cell_h / 2), w, t), fg)
        if attrs & _OVERLINE:
            p.fillRect(QRectF(x, y, w, t), fg)

    def _curl(self, p: QPainter, x: float, uy: float, w: float, color: QColor) -> None:
        amplitude = max(self.line, min(2.0, (self.cell_h - self.underline_y) / 2))
        period = max(4.0, self.cell_w / 2)
        path = QPainterPath(QPointF(x, uy))
        steps = max(2, int(w / period * 8))
        for k in range(1, steps + 1):
            px = x + w * k / steps
            path.lineTo(px, uy + amplitude * math.sin(2 * math.pi * (px - x) / period))
        p.save()
        p.setClipRect(QRectF(x, uy - amplitude - self.line, w, 2 * (amplitude + self.line)))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(color, self.line))
        p.drawPath(path)
        p.restore()

    # --- the cursor ---------------------------------------------------------------------------

    def paint_cursor(
        self,
        p: QPainter,
        x: float,
        y: float,
        under: Cell | None,
        shape: int,
        focused: bool,
    ) -> None:
        """The cursor on the cell at ``(x, y)`` (two cells wide on a wide character): a block
        with the character in reverse when focused (or the shape DECSCUSR asked for), an outline
        when not."""
        cells = under.cells if under else 1
        w = cells * self.cell_w
        color = self.color(self.scheme.cursor)
        box = QRectF(x, y, w, self.cell_h)
        if not focused:
            pen = QPen(color, self.line)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            half = self.line / 2
            p.drawRect(box.adjusted(half, half, -half, -half))
            return
        if shape in (3, 4):  # underline
            p.fillRect(QRectF(x, y + self.cell_h - 2 * self.line, w, 2 * self.line), color)
            return
        if shape in (5, 6):  # bar
            p.fillRect(QRectF(x, y, 2 * self.line, self.cell_h), color)
            return
        p.fillRect(box, color)
        if under is not None and under.text.strip():
            run = Run(under.text, under.cells, -1, -1, Attr(under.attrs & ~(_UNDERLINE | _INVERSE)))
            self._paint_text(p, run, x, y, self.color(self.default_bg), under.attrs)

    def cell_at(self, runs: list[Run], col: int) -> Cell | None:
        """The cell at ``col`` of a row's runs (None past their end)."""
        at = 0
        for run in runs:
            if col < at + run.cells:
                if run.cells == len(run.text):
                    ch = run.text[col - at]
                    return Cell(ch, 1, run.fg, run.bg, int(run.attrs))
                for glyph, width in _glyphs(run.text):
                    if col < at + width:
                        return Cell(glyph, width, run.fg, run.bg, int(run.attrs))
                    at += width
                return None
            at += run.cells
        return None


def _glyphs(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for ch in text:
        width = char_width(ch)
        if width == 0 and out:
            glyph, w = out[-1]
            out[-1] = (glyph + ch, w)
        else:
            out.append((ch, width or 1))
    return out
