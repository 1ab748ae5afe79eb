"""One terminal with its tools: a title, follow / find / copy / clear / redraw, and a find bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..presentation import terminal_doc as doc
from ..widgets.common import tool_button
from .terminal_view import TerminalView

TIPS = {
    "Follow": "Follow output: keep showing the newest lines",
    "Find": "Find in the output",
    "Clear": "Clear the view (the stored output stays)",
    "Redraw": "Redraw from the stored output",
    "Copy": "Copy the selection as plain text",
    "Select all": "Select all output",
}


class FindBar(QWidget):
    """Ctrl+F: type to find; Enter / F3 next, Shift+Enter / Shift+F3 previous, Esc closes."""

    closed = Signal()

    def __init__(self, view: TerminalView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.matches: list[doc.Match] = []
        self.current = -1
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Find in output")
        self.edit.setAccessibleName("Find in terminal output")
        self.edit.setClearButtonEnabled(True)
        self.count = QLabel("")
        self.count.setMinimumWidth(80)
        self.prev = tool_button("↑", "Previous match (Shift+Enter)", "Previous match")
        self.next = tool_button("↓", "Next match (Enter)", "Next match")
        close = tool_button("✕", "Close (Esc)", "Close find")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.prev)
        layout.addWidget(self.next)
        layout.addWidget(close)
        self.edit.textChanged.connect(lambda _t: self.search(keep=False))
        self.edit.installEventFilter(self)
        self.prev.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        close.clicked.connect(self.close_bar)
        self.hide()

    def open(self) -> None:
        self.show()
        selected = self.view.selected_text()
        if selected and "\n" not in selected:
            self.edit.setText(selected)
        self.edit.setFocus()
        self.edit.selectAll()
        self.search(keep=True)

    def close_bar(self) -> None:
        self.hide()
        self.matches, self.current = [], -1
        self.view.set_matches([], -1)
        self.view.setFocus()
        self.closed.emit()

    def search(self, keep: bool) -> None:
        """Find every match; start from the one nearest the bottom of the view."""
        old = self.matches[self.current] if keep and 0 <= self.current < len(self.matches) else None
        self.matches = doc.find_all(self.view.terminal, self.edit.text())
        if not self.matches:
            self.current = -1
        elif old is not None and old in self.matches:
            self.current = self.matches.index(old)
        else:
            bottom = self.view.top_line() + self.view.visible_rows()
            before = [i for i, m in enumerate(self.matches) if m.line < bottom]
            self.current = before[-1] if before else 0
        self._show()

    def step(self, direction: int) -> None:
        self.search(keep=True)  # output may have grown since
        if self.matches:
            self.current = (self.current + direction) % len(self.matches)
        self._show()

    def _show(self) -> None:
        if not self.edit.text():
            self.count.setText("")
        elif not self.matches:
            self.count.setText("no matches")
        else:
            self.count.setText(f"{self.current + 1} of {len(self.matches)}")
        self.view.set_matches(self.matches, self.current)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3):
                self.step(-1 if shift else 1)
                return True
        return super().eventFilter(watched, event)


class TerminalPanel(QWidget):
    """A terminal view with its actions; ``on_redraw`` / ``on_clear`` are the owner's."""

    def __init__(
        self,
        view: TerminalView,
        title: str = "",
        on_redraw: Callable[[], None] | None = None,
        on_clear: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.find_bar = FindBar(view)
        self.title = QLabel(title)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setVisible(bool(title))
        self.status = QLabel("")
        self.status.setAccessibleName("Terminal state")

        self.follow_action = self._action("Follow", "Ctrl+Shift+End", self._toggle_follow)
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(view.following)
        self.find_action = self._action("Find…", QKeySequence.StandardKey.Find, self.find_bar.open)
        self.copy_action = self._action("Copy", "Ctrl+Shift+C", view.copy)
        self.select_all_action = self._action("Select all", "Ctrl+Shift+A", view.select_all)
        self.clear_action = self._action("Clear", "Ctrl+Shift+K", on_clear or self._noop)
        self.redraw_action = self._action("Redraw", "Ctrl+Shift+R", on_redraw)
        self.redraw_action.setEnabled(on_redraw is not None)
        view.addActions(
            [
                self.copy_action,
                self.select_all_action,
                self.find_action,
                self.follow_action,
                self.clear_action,
                self.redraw_action,
            ]
        )
        view.followChanged.connect(self._follow_changed)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 2, 2)
        bar.setSpacing(2)
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(self.status)
        for action in (
            self.follow_action,
            self.find_action,
            self.clear_action,
            self.redraw_action,
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            button.setAccessibleName(action.text().rstrip("…"))
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(view, 1)
        layout.addWidget(self.find_bar)
        self.setFocusProxy(view)

    def _action(self, text: str, shortcut: object, slot: Callable[[], object] | None) -> QAction:
        action = QAction(text, self)
        action.setStatusTip(TIPS.get(text.rstrip("…"), text))
        action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{TIPS.get(text.rstrip('…'), text)} ({action.shortcut().toString()})")
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _noop(self) -> None:
        pass

    def _toggle_follow(self) -> None:
        self.view.set_following(self.follow_action.isChecked())

    def _follow_changed(self, following: bool) -> None:
        self.follow_action.setChecked(following)
        self.status.setText("" if following else "scrolled back — not following")

    def set_title(self, html: str) -> None:
        self.title.setText(html)
        self.title.setVisible(bool(html))
