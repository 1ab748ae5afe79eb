"""A widget that paints a :class:`~onsembl_desktop.terminal.Terminal`: colours, scrollback, follow.

Painting is driven by the frame clock, never by output: output only marks the view stale, and at
most once a frame the view asks the engine which rows changed, scrolls its backing store by the
number of lines that scrolled (``QWidget.scroll`` blits; only exposed rows are repainted) and
repaints just the dirty rows.

The document is the scrollback followed by the screen's rows down to the cursor or the last
non-blank row. "Follow output" keeps the view at the bottom; scrolling up stops following, and
reaching the bottom again resumes it.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from ..terminal import Attr, Run, Terminal
from .theme import DARK_TERMINAL, TerminalScheme, monospace_font


class TerminalView(QAbstractScrollArea):
    followChanged = Signal(bool)

    def __init__(
        self,
        terminal: Terminal,
        parent: QWidget | None = None,
        scheme: TerminalScheme = DARK_TERMINAL,
        font: QFont | None = None,
    ) -> None:
        super().__init__(parent)
        self.terminal = terminal
        self.scheme = scheme
        self._colors: dict[int, QColor] = {}
        self._follow = True
        self._stale = True
        self.setFont(font or monospace_font())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.viewport().setAutoFillBackground(False)
        self.verticalScrollBar().valueChanged.connect(self._scrolled_by_user)
        self.setAccessibleName("Terminal output")

    # --- geometry ---------------------------------------------------------------------------------

    def setFont(self, font: QFont) -> None:
        super().setFont(font)
        fm = QFontMetrics(font)
        self.cell_w = max(1, fm.horizontalAdvance("M"))
        self.cell_h = max(1, fm.height())
        self.ascent = fm.ascent()
        self._bold = QFont(font)
        self._bold.setBold(True)
        self._italic = QFont(font)
        self._italic.setItalic(True)
        self._update_scrollbars()
        self.viewport().update()

    @property
    def following(self) -> bool:
        return self._follow

    def set_following(self, follow: bool) -> None:
        if follow != self._follow:
            self._follow = follow
            self.followChanged.emit(follow)
        if follow:
            self._update_scrollbars()
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())

    def screen_lines(self) -> int:
        """How many of the screen's rows belong to the document (down to cursor / last text)."""
        t = self.terminal
        if t.in_alternate_screen:
            return t.rows
        last = t.cursor[1]
        for y in range(t.rows - 1, last, -1):
            if t.row_runs(y):
                last = y
                break
        return last + 1

    def document_lines(self) -> int:
        t = self.terminal
        history = 0 if t.in_alternate_screen else t.history_size
        return history + self.screen_lines()

    def visible_rows(self) -> int:
        return max(1, self.viewport().height() // self.cell_h)

    def _update_scrollbars(self) -> None:
        rows = self.visible_rows()
        bar = self.verticalScrollBar()
        bar.blockSignals(True)
        bar.setRange(0, max(0, self.document_lines() - rows))
        bar.setPageStep(rows)
        bar.setSingleStep(3)
        if self._follow:
            bar.setValue(bar.maximum())
        bar.blockSignals(False)
        hbar = self.horizontalScrollBar()
        hbar.setRange(0, max(0, self.terminal.cols * self.cell_w - self.viewport().width()))
        hbar.setPageStep(self.viewport().width())

    def _scrolled_by_user(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self.set_following(value >= bar.maximum())
        self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbars()

    def wheelEvent(self, event: QWheelEvent) -> None:
        super().wheelEvent(event)
        bar = self.verticalScrollBar()
        self.set_following(bar.value() >= bar.maximum())

    # --- frame tick -------------------------------------------------------------------------------

    def mark_stale(self) -> None:
        self._stale = True

    def refresh(self) -> None:
        """Once a frame: repaint what changed since the last frame (called by the frame clock)."""
        t = self.terminal
        if not self._stale and not t.dirty and not t.scrolled:
            return
        self._stale = False
        scrolled = t.scrolled
        dirty = t.dirty
        t.clear_dirty()
        old_max = self.verticalScrollBar().maximum()
        self._update_scrollbars()
        if not self.isVisible():
            return
        rows = self.visible_rows()
        if not self._follow:
            # Reading scrollback: nothing on screen moved unless the bottom is in view.
            if self.verticalScrollBar().value() + rows >= old_max:
                self.viewport().update()
            return
        if scrolled and scrolled < rows:
            self.viewport().scroll(0, -scrolled * self.cell_h)
        elif scrolled:
            self.viewport().update()
            return
        top = self.verticalScrollBar().value()
        base = 0 if t.in_alternate_screen else t.history_size
        for y in dirty:
            row = base + y - top
            if 0 <= row < rows + 1:
                self.viewport().update(
                    QRect(0, row * self.cell_h, self.viewport().width(), self.cell_h)
                )
        # The cursor row may have moved without a text change.
        self.viewport().update(
            QRect(0, (base + t.cursor[1] - top) * self.cell_h, self.viewport().width(), self.cell_h)
        )

    # --- painting ---------------------------------------------------------------------------------

    def _color(self, value: int) -> QColor:
        color = self._colors.get(value)
        if color is None:
            color = self._colors[value] = QColor(
                (value >> 16) & 255, (value >> 8) & 255, value & 255
            )
        return color

    def _rgb(self, color: int, default: int) -> int:
        if color < 0:
            return default
        if color >= 0x1000000:
            return color & 0xFFFFFF
        return self.scheme.palette[color & 0xFF]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        rect = event.rect()
        painter.fillRect(rect, self._color(self.scheme.background))
        t = self.terminal
        top = self.verticalScrollBar().value()
        dx = -self.horizontalScrollBar().value()
        history = 0 if t.in_alternate_screen else t.history_size
        first = rect.top() // self.cell_h
        last = min(rect.bottom() // self.cell_h + 1, self.visible_rows() + 1)
        for row in range(first, last):
            line = top + row
            if line < history:
                runs = t.history_runs(line)
            elif line - history < t.rows:
                runs = t.row_runs(line - history)
            else:
                continue
            self._paint_runs(painter, runs, dx, row * self.cell_h)
        cx, cy = t.cursor
        cursor_row = history + cy - top
        if t.cursor_visible and self._follow and 0 <= cursor_row < self.visible_rows() + 1:
            cursor = QRect(
                dx + cx * self.cell_w, cursor_row * self.cell_h, self.cell_w, self.cell_h
            )
            color = self._color(self.scheme.cursor)
            if self.hasFocus():
                painter.fillRect(cursor, color)
            else:
                painter.setPen(color)
                painter.drawRect(cursor.adjusted(0, 0, -1, -1))
        painter.end()

    def _paint_runs(self, painter: QPainter, runs: list[Run], x0: int, y: int) -> None:
        scheme = self.scheme
        x = x0
        for run in runs:
            fg = self._rgb(run.fg, scheme.foreground)
            bg = self._rgb(run.bg, scheme.background)
            attrs = run.attrs
            if attrs & Attr.BOLD and 0 <= run.fg < 8:
                fg = self._rgb(run.fg + 8, scheme.foreground)  # bold brightens the 8 basic colours
            if attrs & Attr.INVERSE:
                fg, bg = bg, fg
            width = run.cells * self.cell_w
            if bg != scheme.background:
                painter.fillRect(x, y, width, self.cell_h, self._color(bg))
            if run.text.strip() and not attrs & Attr.HIDDEN:
                color = self._color(fg)
                if attrs & Attr.DIM:
                    color = QColor(color)
                    color.setAlpha(150)
                painter.setPen(color)
                if attrs & Attr.BOLD:
                    painter.setFont(self._bold)
                elif attrs & Attr.ITALIC:
                    painter.setFont(self._italic)
                else:
                    painter.setFont(self.font())
                painter.drawText(x, y + self.ascent, run.text)
                if attrs & Attr.UNDERLINE:
                    painter.drawLine(x, y + self.cell_h - 2, x + width, y + self.cell_h - 2)
                if attrs & Attr.STRIKE:
                    mid = y + self.cell_h // 2
                    painter.drawLine(x, mid, x + width, mid)
            x += width
