"""The command bar: the command's text, type, targets, priority and limits, and sending it."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.records import Limits, PresetInfo, ProfileInfo
from ...core.sending import SendRequest
from ...core.state import AgentInfo
from ...protocol.enums import AgentStatus, CommandType
from ..theme import status_color
from .common import ElidedLabel

CUSTOM_LIMITS = "__custom__"


class CommandEdit(QPlainTextEdit):
    """Enter or Ctrl+Enter sends, Shift+Enter starts a new line, Up/Down walk the history."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: list[str] = []
        self._pos = 0
        self._draft = ""
        self.setPlaceholderText(
            "Type a command — Enter or Ctrl+Enter sends, Shift+Enter for a new line, Up for history"
        )
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

    def load_history(self, texts: list[str]) -> None:
        """Earlier commands, oldest first (kept before anything typed in this session)."""
        merged = [t for t in texts if t] + self.history
        self.history = [t for i, t in enumerate(merged) if i == 0 or merged[i - 1] != t][-500:]
        self._pos = len(self.history)


class CommandBar(QWidget):
    """Emits ``send(SendRequest)``; ``presetChosen(PresetInfo)`` asks the window for variables."""

    send = Signal(object)
    presetChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._agents: list[AgentInfo] = []
        self._targets: list[uuid.UUID] = []
        self._all = False
        # The user chose the targets (a card, a tab, the To menu): kept as they are. Until then
        # the target is a default that follows the agents: the first online one.
        self._chosen = False

        self.target = QToolButton()
        self.target.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.target.setMinimumWidth(150)
        self.target.setAccessibleName("Target agents")
        self.target.setToolTip("Which agents receive the command: one, several or all")
        self.target_menu = QMenu(self.target)
        self.target_menu.aboutToShow.connect(self._fill_targets)
        self.target.setMenu(self.target_menu)

        self.kind = QComboBox()
        for t in CommandType:
            self.kind.addItem(t.value.title(), t)
        self.kind.setAccessibleName("Command type")
        self.kind.setToolTip("Natural runs the text as is; the others ask the agent for a report")
        self.priority = QSpinBox()
        self.priority.setRange(0, 100)
        self.priority.setValue(50)
        self.priority.setPrefix("priority ")
        self.priority.setAccessibleName("Priority")
        self.priority.setToolTip("0–100: higher runs first in a busy agent's queue")

        self.limits = QComboBox()
        self.limits.setAccessibleName("Limits")
        self.limits.setToolTip("The constraint profile, or custom limits for this command")
        self.time_limit = QSpinBox()
        self.time_limit.setRange(0, 24 * 3600)
        self.time_limit.setSuffix(" s")
        self.time_limit.setSpecialValueText("no time limit")
        self.time_limit.setAccessibleName("Time limit in seconds")
        self.token_budget = QSpinBox()
        self.token_budget.setRange(0, 100_000_000)
        self.token_budget.setSingleStep(1000)
        self.token_budget.setSuffix(" tokens")
        self.token_budget.setSpecialValueText("no token budget")
        self.token_budget.setAccessibleName("Token budget")
        self.preset = QToolButton()
        self.preset.setText("Preset")
        self.preset.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset.setAccessibleName("Use a preset")
        self.preset.setToolTip("Send a saved command template, filling in its variables")
        self.preset_menu = QMenu(self.preset)
        self.preset.setMenu(self.preset_menu)
        self._presets: list[PresetInfo] = []
        self.preset_menu.aboutToShow.connect(self._fill_presets)
        self.set_profiles([])
        self.limits.currentIndexChanged.connect(self._limits_changed)
        self._limits_changed()

        self.edit = CommandEdit()
        self.button = QPushButton("Send")
        self.button.setDefault(True)
        self.button.setToolTip("Send the command (Enter or Ctrl+Enter)")
        self.button.setAccessibleName("Send command")
        self.feedback = ElidedLabel("")
        self.feedback.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.feedback.setObjectName("commandFeedback")
        self.feedback.setAccessibleName("Command status")
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.top = QHBoxLayout()
        to = QLabel("&To")
        to.setBuddy(self.target)
        to.setMinimumWidth(to.sizeHint().width() + 4)
        self.top.setSpacing(8)
        self.top.addWidget(to)
        self.top.addWidget(self.target)
        self.top.addWidget(self.kind)
        self.top.addWidget(self.priority)
        self.top.addWidget(self.limits)
        self.top.addWidget(self.time_limit)
        self.top.addWidget(self.token_budget)
        self.top.addWidget(self.preset)
        self.top.addWidget(self.feedback, 1)  # takes the rest of the row, never more
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(self.top)
        layout.addLayout(row)

        self.edit.submitted.connect(self._submit)
        self.button.clicked.connect(self._submit)
        self.set_tab_order()
        self._update_target_text()

    def set_tab_order(self) -> None:
        """The text first, then Send, then the options left to right (call again once the bar is
        in its window: reparenting rebuilds the focus chain)."""
        chain = [
            self.edit,
            self.button,
            self.target,
            self.kind,
            self.priority,
            self.limits,
            self.time_limit,
            self.token_budget,
            self.preset,
        ]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    # --- limits -----------------------------------------------------------------------------------

    def set_profiles(self, profiles: list[ProfileInfo]) -> None:
        """The constraint profiles to offer; the default one is what "Default limits" means."""
        current = self.limits.currentData()
        self.limits.blockSignals(True)
        self.limits.clear()
        default = next((p for p in profiles if p.is_default), None)
        if default is None:
            self.limits.addItem("No limits", None)
        else:
            self.limits.addItem(f"Limits: {default.name} (default)", None)
            self.limits.setItemData(0, describe_limits(default.limits), Qt.ItemDataRole.ToolTipRole)
        for p in profiles:
            if not p.is_default:
                self.limits.addItem(f"Limits: {p.name}", p.name)
                index = self.limits.count() - 1
                self.limits.setItemData(
                    index, describe_limits(p.limits), Qt.ItemDataRole.ToolTipRole
                )
        self.limits.addItem("Custom limits…", CUSTOM_LIMITS)
        index = self.limits.findData(current) if current is not None else 0
        self.limits.setCurrentIndex(max(0, index))
        self.limits.blockSignals(False)
        self._limits_changed()

    def set_presets(self, presets: list[PresetInfo]) -> None:
        self._presets = list(presets)
        self.preset.setEnabled(bool(presets))
        self.preset.setToolTip(
            "Send a saved command template, filling in its variables"
            if presets
            else "No presets yet: create them in Tools → Presets"
        )

    def _fill_presets(self) -> None:
        self.preset_menu.clear()
        for p in sorted(self._presets, key=lambda p: (-p.usage_count, p.name.lower())):
            action = self.preset_menu.addAction(p.name)
            action.setToolTip(p.description or p.content[:200])
            action.triggered.connect(lambda _c=False, p=p: self.presetChosen.emit(p))

    def _limits_changed(self, *_args: object) -> None:
        custom = self.limits.currentData() == CUSTOM_LIMITS
        self.time_limit.setVisible(custom)
        self.token_budget.setVisible(custom)

    def own_limits(self) -> Limits:
        if self.limits.currentData() != CUSTOM_LIMITS:
            return Limits()
        return Limits(
            time_limit_ms=self.time_limit.value() * 1000 or None,
            token_budget=self.token_budget.value() or None,
        )

    def profile(self) -> str | None:
        data = self.limits.currentData()
        return None if data in (None, CUSTOM_LIMITS) else str(data)

    # --- targets ----------------------------------------------------------------------------------

    def set_agents(self, agents: list[AgentInfo]) -> None:
        self._agents = list(agents)
        known = {a.id for a in agents}
        self._targets = [t for t in self._targets if t in known]
        if not self._targets:
            self._chosen = False  # the chosen agents are gone
        if not self._chosen and not self._all and agents:
            online = [a for a in agents if a.status is AgentStatus.ONLINE]
            self._targets = [(online or agents)[0].id]
        self._update_target_text()

    def select_agent(self, agent_id: uuid.UUID) -> None:
        self.set_targets([agent_id])

    def set_targets(self, agent_ids: list[uuid.UUID], broadcast: bool = False) -> None:
        """The user's choice (kept while its agents exist, online or not)."""
        self._all = broadcast
        if not broadcast:
            known = {a.id for a in self._agents}
            chosen = [a for a in agent_ids if a in known]
            self._chosen = self._chosen or bool(chosen)
            self._targets = chosen or self._targets
        self._update_target_text()

    def targets(self) -> tuple[list[uuid.UUID], bool]:
        return list(self._targets), self._all

    def _fill_targets(self) -> None:
        menu = self.target_menu
        menu.clear()
        everyone = menu.addAction("All online agents")
        everyone.setCheckable(True)
        everyone.setChecked(self._all)
        everyone.triggered.connect(lambda: self.set_targets([], broadcast=True))
        menu.addSeparator()
        for agent in self._agents:
            label = agent.name
            if agent.status is not AgentStatus.ONLINE:
                label += f" ({agent.status.value.lower()})"
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(not self._all and agent.id in self._targets)
            action.toggled.connect(lambda on, a=agent.id: self._toggle_target(a, on))

    def _toggle_target(self, agent_id: uuid.UUID, on: bool) -> None:
        targets = [] if self._all else [t for t in self._targets if t != agent_id]
        if on:
            targets.append(agent_id)
        self._all = False
        self._targets = targets
        self._chosen = True
        self._update_target_text()

    def _update_target_text(self) -> None:
        if self._all:
            text = "All online agents"
        elif not self._targets:
            text = "No agent"
        else:
            names = [a.name for a in self._agents if a.id in self._targets]
            text = names[0] if len(names) == 1 else f"{len(names)} agents: " + ", ".join(names)
        metrics = self.target.fontMetrics()
        self.target.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, 260))
        self.target.setToolTip(f"Send to: {text}")

    # --- sending ----------------------------------------------------------------------------------

    def show_feedback(self, text: str, error: bool = False) -> None:
        color = status_color("FAILED").name() if error else ""
        self.feedback.setStyleSheet(f"color: {color};" if color else "")
        self.feedback.setText(text)

    def request(self, text: str = "", **overrides: Any) -> SendRequest | None:
        """What the bar's settings ask for (targets, type, priority, limits); None: no target."""
        if not self._all and not self._targets:
            if self._agents:  # agents there, none chosen ("connect one first" misled)
                self.show_feedback("Choose who gets it: To → an agent, or all", error=True)
            else:
                self.show_feedback("No agent to send to — connect one first", error=True)
            return None
        values: dict[str, Any] = {
            "content": text,
            "agents": () if self._all else tuple(self._targets),
            "broadcast": self._all,
            "type": CommandType(self.kind.currentData()),
            "priority": self.priority.value(),
            "profile": self.profile(),
            "limits": self.own_limits(),
        }
        values.update(overrides)
        return SendRequest(**values)

    def _submit(self) -> None:
        text = self.edit.toPlainText().strip()
        if not text:
            return
        req = self.request(text)
        if req is not None:
            self.send.emit(req)

    def sent(self) -> None:
        """The command was accepted: keep it in the history and clear the box."""
        self.edit.remember(self.edit.toPlainText().strip())
        self.edit.clear()


def describe_limits(limits: Limits) -> str:
    parts = []
    if limits.time_limit_ms:
        parts.append(f"time {limits.time_limit_ms / 1000:g} s")
    if limits.token_budget:
        parts.append(f"{limits.token_budget:,} tokens")
    if limits.memory_limit_mb:
        parts.append(f"memory {limits.memory_limit_mb} MB")
    if limits.cpu_limit_percent:
        parts.append(f"CPU {limits.cpu_limit_percent}%")
    return ", ".join(parts) or "no limits"
