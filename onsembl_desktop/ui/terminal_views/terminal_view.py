"""A widget that paints a :class:`~onsembl_desktop.terminal.Terminal`: colours, scrollback, follow.

Painting is driven by the frame clock (``frame_clock.py``), never by output: output only marks the
engine changed, and at most once a frame the view gets the rows that changed and the number of
lines that scrolled, shifts its backing store by those lines (``QWidget.scroll`` blits; only the
exposed rows are repainted) and repaints just the changed rows.

The document is the scrollback followed by the screen's rows down to the cursor or the last
non-blank row (``terminal_doc.py``). "Follow output" keeps the view at the bottom; scrolling up
stops following, and reaching the bottom again resumes it. Selection and find matches are document
positions, painted as translucent overlays over the text.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from ...terminal import Terminal
from ...terminal import input as keys
from ..presentation import terminal_doc as doc
from ..presentation.shortcuts import TERMINAL_APP_KEYS
from ..theme import TerminalScheme, monospace_font, terminal_scheme
from .painter import CellPainter
from .terminal_keys import combination, event_combination, key_to_text, modifiers

Key = Qt.Key
Mod = Qt.KeyboardModifier


@dataclass(slots=True)
class PaintStats:
    """Counters of a view's frames and paints, for the benchmark and tests (a few additions per
    paint; nothing reads them in normal use)."""

    frames: int = 0  # frames handed to the view (``apply_frame``)
    changed: int = 0  # rows changed, summed over frames (capped at the visible rows)
    paints: int = 0  # paint events
    extra: int = 0  # paint events beyond the first between two frames
    rows: int = 0  # rows painted, summed over paint events
    max_rows: int = 0  # most rows painted by one paint event
    seconds: float = 0.0  # time spent painting
    last: float = 0.0  # seconds the last paint took (the frame clock's estimate of the next)
    visible: int = 0  # rows the viewport shows (at the last paint)
    _since_frame: int = 0

    def reset(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def summary(self, seconds: float) -> dict[str, float]:
        return {
            "paints_per_s": self.paints / seconds if seconds else 0.0,
            "frames_per_s": self.frames / seconds if seconds else 0.0,
            "extra": self.extra,
            "rows_per_paint": self.rows / self.paints if self.paints else 0.0,
            "max_rows": self.max_rows,
            "changed_per_frame": self.changed / self.frames if self.frames else 0.0,
            "visible_rows": self.visible,
            "ms_per_paint": 1000 * self.seconds / self.paints if self.paints else 0.0,
        }


class TerminalView(QAbstractScrollArea):
    followChanged = Signal(bool)
    inputText = Signal(str)  # keys typed while input goes to the program
    gridResized = Signal(int, int)  # columns, rows that fit the viewport
    selectionChanged = Signal()

    def __init__(
        self,
        terminal: Terminal,
        parent: QWidget | None = None,
        scheme: TerminalScheme | None = None,
        font: QFont | None = None,
    ) -> None:
        super().__init__(parent)
        self.terminal = terminal
        self.scheme = scheme or terminal_scheme()
        self.cells = CellPainter(font or monospace_font(), self.scheme)
        self._share_colors()
        self.input_enabled = False
        #: Shortcuts that stay with the app while the program takes the keys (all others go to
        #: the program: Ctrl+L, F1, Ctrl+F ...), as ints of key and modifiers.
        self.app_keys: set[int] = {combination(k) for k in TERMINAL_APP_KEYS}
        self.mouse = keys.Mouse()
        self._colors: dict[int, QColor] = {}
        self._origin: int | None = None  # view row of the screen's row 0 at the last frame
        self._cursor_row = -1  # view row of the cursor at the last frame
        self._follow = True
        self._anchor: doc.Pos | None = None
        self._caret: doc.Pos | None = None
        self._dragging = False
        self._matches: list[doc.Match] = []
        self._current_match = -1
        # Said in the middle of the view while its engine has nothing in it ("" says nothing).
        self.placeholder = ""
        self._placeholder_shown = False  # the last paint drew it: the next frame repaints all
        self.paint_stats = PaintStats()
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(100)  # one resize message when the user stops dragging
        self._resize_timer.timeout.connect(self._emit_grid)
        self.setFont(font or monospace_font())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.viewport().setAutoFillBackground(False)
        # paintEvent fills every pixel it is asked for: Qt may then scroll by blitting.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.verticalScrollBar().valueChanged.connect(self._scrolled_by_user)
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())
        self.setAccessibleName("Terminal output")

    # --- configuration ----------------------------------------------------------------------------

    def setFont(self, font: QFont | str | Sequence[str]) -> None:
        super().setFont(font)
        self.cells.set_font(self.font(), self.devicePixelRatioF())
        # Whole pixels (the painter makes them so): the same grid at every scale factor.
        self.cell_w = int(self.cells.cell_w)
        self.cell_h = int(self.cells.cell_h)
        self._update_scrollbars()
        self.viewport().update()
        self._resize_timer.start()

    def set_scheme(self, scheme: TerminalScheme) -> None:
        self.scheme = scheme
        self.cells.scheme = scheme
        self.cells._colors.clear()
        self._colors.clear()
        self._share_colors()
        self.viewport().update()

    def _share_colors(self) -> None:
        """Programs ask the terminal's colours (OSC 10 / 11 / 4) to pick a dark or light scheme."""
        scheme = self.scheme
        self.terminal.colors = (scheme.foreground, scheme.background, list(scheme.palette))

    def set_placeholder(self, text: str) -> None:
        """What the view says while its engine is empty (gone with the first output)."""
        if text != self.placeholder:
            self.placeholder = text
            if self._placeholder_shown or self.engine_empty():
                self.viewport().update()

    @property
    def placeholder_shown(self) -> bool:
        """The last paint drew the placeholder."""
        return self._placeholder_shown

    def engine_empty(self) -> bool:
        """Nothing was ever written to the engine (or it was reset). Cheapest tests first: any
        scrollback or a moved cursor answers at once; only a blank-looking screen is looked at."""
        t = self.terminal
        if t.history_size or t.cursor != (0, 0) or t.in_alternate_screen:
            return False
        return all(t.line(y).untouched() for y in range(t.rows))

    def follow_width(self) -> None:
        """The engine takes this view's size (``gridResized``): no horizontal scroll bar, whose
        coming and going would change the rows that fit, and a second resize with it."""
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_terminal(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self._share_colors()
        self.clear_selection()
        self._matches = []
        self._update_scrollbars()
        self.viewport().update()

    # --- follow -----------------------------------------------------------------------------------

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

    def visible_rows(self) -> int:
        return max(1, self.viewport().height() // self.cell_h)

    def grid_size(self) -> tuple[int, int]:
        return max(2, self.viewport().width() // self.cell_w), max(2, self.visible_rows())

    def top_line(self) -> int:
        return self.verticalScrollBar().value()

    def _update_scrollbars(self) -> None:
        rows = self.visible_rows()
        bar = self.verticalScrollBar()
        bar.blockSignals(True)
        bar.setRange(0, max(0, doc.document_lines(self.terminal) - rows))
        bar.setPageStep(rows)
        bar.setSingleStep(3)
        if self._follow:
            bar.setValue(bar.maximum())
        bar.blockSignals(False)
        hbar = self.horizontalScrollBar()
        hbar.setRange(0, max(0, self.terminal.cols * self.cell_w - self.viewport().width()))
        hbar.setPageStep(self.viewport().width())

    def _scrolled_by_user(self, value: int) -> None:
        self.set_following(value >= self.verticalScrollBar().maximum())
        self.viewport().update()

    def scroll_lines(self, lines: int) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + lines)

    def scroll_to_line(self, line: int) -> None:
        """Show ``line`` about a third of the way down (stops following unless at the bottom)."""
        bar = self.verticalScrollBar()
        bar.setValue(max(0, line - self.visible_rows() // 3))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbars()
        self._resize_timer.start()

    def _emit_grid(self) -> None:
        if self.isVisible():
            self.gridResized.emit(*self.grid_size())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_scrollbars()
        self.viewport().update()
        self._resize_timer.start()  # (shown again: its size decides the engine's again)

    def wheelEvent(self, event: QWheelEvent) -> None:
        t = self.terminal
        steps = event.angleDelta().y() // 40  # (a notch is 120: three lines)
        shift = bool(event.modifiers() & Mod.ShiftModifier)
        if self.input_enabled and self._follow and steps and not shift:
            if t.mouse_mode:  # the program asked for the mouse: the wheel is buttons 4 / 5
                col, row = self._cell_at(event.position().toPoint())
                mods = modifiers(event.modifiers())
                button = 4 if steps > 0 else 5
                for _ in range(max(1, abs(steps) // 3)):
                    self.inputText.emit(self.mouse.press(t, button, col, row, mods))
                return
            if t.in_alternate_screen:  # less, man, vim: the wheel moves them, as arrows
                arrow = keys.key(t, "Up" if steps > 0 else "Down")
                self.inputText.emit(arrow * abs(steps))
                return
        super().wheelEvent(event)
        bar = self.verticalScrollBar()
        self.set_following(bar.value() >= bar.maximum())

    # --- frames -----------------------------------------------------------------------------------

    def apply_frame(self, scrolled: int, dirty: set[int]) -> None:
        """Once a frame (from the clock): repaint what changed since the last frame.

        What was on screen moved up by the lines that scrolled, less what the document grew
        below it (a document shorter than the viewport does not move): those pixels are shifted
        (a blit; the viewport paints opaquely, so Qt can) and only the rows exposed, the dirty
        rows and the cursor's old and new rows are repainted."""
        t = self.terminal
        old_max = self.verticalScrollBar().maximum()
        self._update_scrollbars()
        origin, before = doc.history_lines(t) - self.top_line(), self._origin
        self._origin = origin  # the view row of the screen's first row
        if not self.isVisible():
            self._origin = None
            return  # painted in full when shown
        rows = self.visible_rows()
        shift = rows if before is None else scrolled - (origin - before)
        stats = self.paint_stats
        stats.frames += 1
        stats.changed += min(rows, max(0, shift) + len(dirty))
        stats._since_frame = 0
        if self._placeholder_shown or (self.placeholder and self.engine_empty()):
            self.viewport().update()  # the placeholder goes (or comes back) as a whole
            return
        if self._anchor is not None or self._matches:
            self.viewport().update()  # overlays are in document lines: repaint all
            return
        if not self._follow:
            # Reading scrollback: nothing on screen moved unless the bottom is in view.
            if self.verticalScrollBar().value() + rows >= old_max:
                self.viewport().update()
            return
        if not 0 <= shift < rows:
            self.viewport().update()
            return
        width = self.viewport().width()
        if shift:
            self.viewport().scroll(0, -shift * self.cell_h)
        cursor = origin + t.cursor[1]
        for row in (*(origin + y for y in dirty), cursor, self._cursor_row - shift):
            if 0 <= row < rows + 1:
                self.viewport().update(QRect(0, row * self.cell_h, width, self.cell_h))
        self._cursor_row = cursor

    # --- selection and find -----------------------------------------------------------------------

    def _pos_at(self, point: QPoint) -> doc.Pos:
        line = self.top_line() + max(0, point.y()) // self.cell_h
        col = (max(0, point.x()) + self.horizontalScrollBar().value()) // self.cell_w
        last = max(0, doc.document_lines(self.terminal) - 1)
        return min(line, last), col

    def has_selection(self) -> bool:
        return self._anchor is not None and self._caret is not None and self._anchor != self._caret

    def selection(self) -> tuple[doc.Pos, doc.Pos] | None:
        if not self.has_selection():
            return None
        assert self._anchor is not None and self._caret is not None
        return doc.ordered(self._anchor, self._caret)

    def select(self, start: doc.Pos, end: doc.Pos) -> None:
        self._anchor, self._caret = start, end
        self.viewport().update()
        self.selectionChanged.emit()

    def select_all(self) -> None:
        lines = doc.document_lines(self.terminal)
        self.select((0, 0), (max(0, lines - 1), self.terminal.cols))

    def clear_selection(self) -> None:
        if self._anchor is not None:
            self._anchor = self._caret = None
            self.viewport().update()
            self.selectionChanged.emit()

    def selected_text(self) -> str:
        sel = self.selection()
        return doc.selected_text(self.terminal, *sel) if sel else ""

    def copy(self) -> bool:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)
        return bool(text)

    def set_matches(self, matches: list[doc.Match], current: int) -> None:
        self._matches = matches
        self._current_match = current
        if 0 <= current < len(matches):
            line = matches[current].line
            top = self.top_line()
            if not top <= line < top + self.visible_rows():
                self.scroll_to_line(line)
        self.viewport().update()

    def _cell_at(self, point: QPoint) -> tuple[int, int]:
        """The screen cell under ``point`` (for mouse reporting), clamped to the screen."""
        t = self.terminal
        col = int((max(0, point.x()) + self.horizontalScrollBar().value()) // self.cell_w)
        row = self.top_line() + max(0, point.y()) // self.cell_h - doc.history_lines(t)
        return max(0, min(col, t.cols - 1)), max(0, min(row, t.rows - 1))

    def _reports_mouse(self, event: QMouseEvent) -> bool:
        """The program takes the mouse: it asked, it takes input, its screen shows, and Shift
        (which selects, as in other terminals) is not held."""
        return bool(
            self.input_enabled
            and self.terminal.mouse_mode
            and self._follow
            and not event.modifiers() & Mod.ShiftModifier
        )

    def _report(self, event: QMouseEvent, kind: str) -> None:
        t = self.terminal
        col, row = self._cell_at(event.position().toPoint())
        mods = modifiers(event.modifiers())
        buttons = {
            Qt.MouseButton.LeftButton: 1,
            Qt.MouseButton.MiddleButton: 2,
            Qt.MouseButton.RightButton: 3,
        }
        if kind == "move":
            text = self.mouse.move(t, col, row, mods)
        elif event.button() in buttons:
            button = buttons[event.button()]
            report = self.mouse.press if kind == "press" else self.mouse.release
            text = report(t, button, col, row, mods)
        else:
            text = ""
        if text:
            self.inputText.emit(text)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._reports_mouse(event):
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.clear_selection()
            self._report(event, "press")
            return
        if event.button() == Qt.MouseButton.LeftButton:
            pos = self._pos_at(event.position().toPoint())
            if event.modifiers() & Mod.ShiftModifier and self._anchor is not None:
                self._caret = pos
            else:
                self._anchor = self._caret = pos
            self._dragging = True
            self.viewport().update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._dragging and self._reports_mouse(event):
            self._report(event, "move")
            return
        if self._dragging:
            point = event.position().toPoint()
            if point.y() < 0:
                self.scroll_lines(-1)
            elif point.y() > self.viewport().height():
                self.scroll_lines(1)
            self._caret = self._pos_at(point)
            self.viewport().update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self._dragging and self._reports_mouse(event):
            self._report(event, "release")
            return
        if self._dragging:
            self._dragging = False
            if not self.has_selection():
                self._anchor = self._caret = None
            self.selectionChanged.emit()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._reports_mouse(event):
            self._report(event, "press")  # (a second press, as xterm reports it)
            return
        start, end = doc.word_at(self.terminal, self._pos_at(event.position().toPoint()))
        self.select(start, end)

    # --- keys -------------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # While the program takes the keys, its keys win over the app's shortcuts (Ctrl+L, F1,
        # Ctrl+F ...): accepting the override delivers them here as key presses. The few in
        # ``app_keys`` stay with the app (as VS Code's terminal lets some through).
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.input_enabled
            and isinstance(event, QKeyEvent)
            and event_combination(event) not in self.app_keys
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        shift = bool(mods & Mod.ShiftModifier)
        ctrl = bool(mods & Mod.ControlModifier)
        if ctrl and key == Key.Key_C and (shift or self.has_selection() or not self.input_enabled):
            self.copy()
            if not shift and self.input_enabled:
                self.clear_selection()  # (copied: the next Ctrl+C goes to the program)
            return
        if ctrl and shift and key == Key.Key_V and self.input_enabled:
            self.paste(QGuiApplication.clipboard().text())
            return
        if self._scroll_key(key, shift, ctrl):
            return
        if self.input_enabled:
            text = key_to_text(event, self.terminal)
            if text is not None:
                self.clear_selection()
                self.set_following(True)
                self.inputText.emit(text)
                return
        super().keyPressEvent(event)

    def paste(self, text: str) -> None:
        """Type ``text`` into the program (bracketed when it asked: mode 2004)."""
        if text and self.input_enabled:
            self.set_following(True)
            self.inputText.emit(keys.paste(self.terminal, text))

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._focus_report(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._focus_report(False)

    def _focus_report(self, focused: bool) -> None:
        if self.input_enabled:
            text = keys.focus(self.terminal, focused)
            if text:
                self.inputText.emit(text)
        self.viewport().update()  # (the cursor: a block when focused, an outline when not)

    def _scroll_key(self, key: int, shift: bool, ctrl: bool) -> bool:
        """Scrollback keys: Shift+PgUp/PgDn/Home/End (Shift+Up/Down too, and all of them without
        Shift, when the keys do not go to a program)."""
        typing = self.input_enabled
        if typing and not shift:
            return False
        rows = self.visible_rows()
        bar = self.verticalScrollBar()
        if key == Key.Key_PageUp:
            self.scroll_lines(-rows)
        elif key == Key.Key_PageDown:
            self.scroll_lines(rows)
        elif key == Key.Key_Up and not typing:
            self.scroll_lines(-1)
        elif key == Key.Key_Down and not typing:
            self.scroll_lines(1)
        elif key == Key.Key_Home and (ctrl or shift or not typing):
            bar.setValue(0)
        elif key == Key.Key_End and (ctrl or shift or not typing):
            self.set_following(True)
        else:
            return False
        return True

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab belongs to the program while typing into it; otherwise it moves focus as usual.
        return False if self.input_enabled else super().focusNextPrevChild(next)

    # --- painting ---------------------------------------------------------------------------------

    def _color(self, value: int) -> QColor:
        color = self._colors.get(value)
        if color is None:
            color = self._colors[value] = QColor(
                (value >> 16) & 255, (value >> 8) & 255, value & 255
            )
        return color

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        painter = QPainter(self.viewport())
        t = self.terminal
        cells = self.cells
        cells.reverse = t.reverse_video
        background = cells.color(cells.default_bg)
        top = self.top_line()
        dx = -self.horizontalScrollBar().value()
        # Only the rows in the region to paint: a frame's dirty rows may be far apart, and their
        # bounding rectangle would repaint everything between them.
        limit = self.visible_rows() + 1
        rows: set[int] = set()
        for rect in cast("Iterable[QRect]", event.region()):  # (PySide6 iterates; stubs lack it)
            painter.fillRect(rect, background)
            rows.update(
                range(rect.top() // self.cell_h, min(rect.bottom() // self.cell_h + 1, limit))
            )
        for row in sorted(rows):
            runs = doc.line_runs(t, top + row)
            if runs:
                cells.paint_row(painter, runs, dx, row * self.cell_h)
        first, last = (min(rows), max(rows) + 1) if rows else (0, 0)
        self._paint_overlays(painter, top, first, last, dx)
        self._placeholder_shown = bool(self.placeholder) and self.engine_empty()
        if self._placeholder_shown:
            self._paint_placeholder(painter)
        cx, cy = t.cursor
        cursor_row = doc.history_lines(t) + cy - top
        if t.cursor_visible and self._follow and 0 <= cursor_row < self.visible_rows() + 1:
            under = cells.cell_at(doc.line_runs(t, top + cursor_row), cx)
            x = dx + cx * self.cell_w
            shape = t.cursor_shape
            cells.paint_cursor(painter, x, cursor_row * self.cell_h, under, shape, self.hasFocus())
        painter.end()
        stats = self.paint_stats
        stats.paints += 1
        stats._since_frame += 1
        if stats._since_frame > 1:
            stats.extra += 1
        stats.rows += len(rows)
        stats.max_rows = max(stats.max_rows, len(rows))
        stats.visible = self.visible_rows()
        stats.last = time.perf_counter() - started
        stats.seconds += stats.last

    def _paint_placeholder(self, painter: QPainter) -> None:
        """The placeholder, centred, in the UI's font and the foreground colour toned down."""
        color = QColor(self._color(self.scheme.foreground))
        color.setAlpha(170)
        painter.setPen(color)
        painter.setFont(QGuiApplication.font())
        area = self.viewport().rect().adjusted(24, 0, -24, 0)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(area, int(flags), self.placeholder)

    def _paint_overlays(self, painter: QPainter, top: int, first: int, last: int, dx: int) -> None:
        if self._matches:
            for i, m in enumerate(self._matches):
                row = m.line - top
                if first <= row < last:
                    color = QColor(self._color(self.scheme.match))
                    color.setAlpha(170 if i == self._current_match else 80)
                    x = dx + m.start * self.cell_w
                    box = QRect(x, row * self.cell_h, (m.end - m.start) * self.cell_w, self.cell_h)
                    painter.fillRect(box, color)
                    if i == self._current_match:
                        painter.setPen(self._color(self.scheme.foreground))
                        painter.drawRect(box.adjusted(0, 0, -1, -1))
        sel = self.selection()
        if sel is None:
            return
        (l0, c0), (l1, c1) = sel
        color = QColor(self._color(self.scheme.selection))
        color.setAlpha(150)
        full = self.terminal.cols
        for line in range(max(l0, top + first), min(l1, top + last) + 1):
            start = c0 if line == l0 else 0
            end = c1 if line == l1 else max(full, start)
            box = QRect(
                dx + start * self.cell_w,
                (line - top) * self.cell_h,
                (end - start) * self.cell_w,
                self.cell_h,
            )
            painter.fillRect(box, color)
