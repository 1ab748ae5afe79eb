"""The command bar: where the user types a command, picks its targets and sends it."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.state import AgentInfo
from ..protocol.enums import AgentStatus, CommandType

ALL_AGENTS = "__all__"


class CommandEdit(QPlainTextEdit):
    """Enter or Ctrl+Enter sends, Shift+Enter starts a new line, Up/Down walk the history."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: list[str] = []
        self._pos = 0
        self._draft = ""
        self.setPlaceholderText("Type a command for the selected agent — Enter to send")
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.setAccessibleName("Command text")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            mods & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        cursor = self.textCursor()
        if key == Qt.Key.Key_Up and cursor.blockNumber() == 0 and self.history:
            self._walk(-1)
            return
        if (
            key == Qt.Key.Key_Down
            and cursor.blockNumber() == self.blockCount() - 1
            and self.history
        ):
            self._walk(1)
            return
        super().keyPressEvent(event)

    def _walk(self, step: int) -> None:
        if self._pos == len(self.history):
            self._draft = self.toPlainText()
        self._pos = max(0, min(len(self.history), self._pos + step))
        text = self.history[self._pos] if self._pos < len(self.history) else self._draft
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.End)

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._pos = len(self.history)
        self._draft = ""


class CommandBar(QWidget):
    """Emits ``send(text, target, type, priority)``; target is an agent id or ALL_AGENTS."""

    send = Signal(str, object, str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = QComboBox()
        self.target.setMinimumWidth(160)
        self.target.setAccessibleName("Target agent")
        self.target.setToolTip("Which agent receives the command")
        self.kind = QComboBox()
        for t in CommandType:
            self.kind.addItem(t.value.title(), t.value)
        self.kind.setAccessibleName("Command type")
        self.priority = QSpinBox()
        self.priority.setRange(0, 100)
        self.priority.setValue(50)
        self.priority.setPrefix("priority ")
        self.priority.setAccessibleName("Priority")
        self.edit = CommandEdit()
        self.button = QPushButton("Send")
        self.button.setDefault(True)
        self.button.setToolTip("Send the command (Enter or Ctrl+Enter)")
        self.feedback = QLabel("")
        self.feedback.setObjectName("commandFeedback")
        self.feedback.setAccessibleName("Command status")

        top = QHBoxLayout()
        top.addWidget(QLabel("To"))
        top.addWidget(self.target)
        top.addWidget(self.kind)
        top.addWidget(self.priority)
        top.addStretch(1)
        top.addWidget(self.feedback)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(top)
        layout.addLayout(row)

        self.edit.submitted.connect(self._submit)
        self.button.clicked.connect(self._submit)
        self.setTabOrder(self.edit, self.button)

    def set_agents(self, agents: list[AgentInfo]) -> None:
        current = self.target.currentData()
        self.target.blockSignals(True)
        self.target.clear()
        for a in agents:
            label = (
                a.name if a.status is AgentStatus.ONLINE else f"{a.name} ({a.status.value.lower()})"
            )
            self.target.addItem(label, a.id)
        if agents:
            self.target.addItem("All online agents", ALL_AGENTS)
        index = self.target.findData(current)
        self.target.setCurrentIndex(max(0, index))
        self.target.blockSignals(False)

    def select_agent(self, agent_id: uuid.UUID) -> None:
        index = self.target.findData(agent_id)
        if index >= 0:
            self.target.setCurrentIndex(index)

    def show_feedback(self, text: str, error: bool = False) -> None:
        color = "#EA4335" if error else "#8AB4F8"
        self.feedback.setStyleSheet(f"color: {color};")
        self.feedback.setText(text)

    def _submit(self) -> None:
        text = self.edit.toPlainText().strip()
        if not text:
            return
        target = self.target.currentData()
        if target is None:
            self.show_feedback("No agent to send to — connect one first", error=True)
            return
        self.send.emit(text, target, self.kind.currentData(), self.priority.value())

    def sent(self) -> None:
        """The command was accepted: keep it in the history and clear the box."""
        self.edit.remember(self.edit.toPlainText().strip())
        self.edit.clear()
