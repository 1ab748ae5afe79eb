"""The queue page: every agent's queue — the running command, then the waiting ones in order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import CommandError
from ..core.events import AgentChanged, CommandChanged
from ..core.service import Core
from ..core.state import CommandInfo
from ..protocol.enums import CommandStatus
from .pages import Page
from .settings import UiSettings
from .theme import status_color, type_text_color

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("#", "Agent", "Command", "Type", "Priority", "Status", "Waiting")
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class QueueEntry:
    agent_id: uuid.UUID
    agent_name: str
    position: int  # 0: running now
    command: CommandInfo

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.agent_id, self.command.id)

    @property
    def status(self) -> CommandStatus:
        run = self.command.run_for(self.agent_id)
        return run.status if run else self.command.status


def _ago(when: datetime | None) -> str:
    if when is None:
        return ""
    seconds = int((datetime.now(UTC) - when).total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class QueueModel(QAbstractTableModel):
    def __init__(self, core: Core) -> None:
        super().__init__()
        self.core = core
        self.rows: list[QueueEntry] = []
        self.agent_filter: uuid.UUID | None = None

    def refresh(self) -> None:
        """Re-read the queues from the core; rows that stayed keep their place in the view."""
        rows: list[QueueEntry] = []
        for agent in self.core.agents.all():
            if self.agent_filter is not None and agent.id != self.agent_filter:
                continue
            queue = self.core.commands.queue_of(agent.id)
            offset = 0 if agent.current_command_id is not None else 1
            for i, info in enumerate(queue):
                rows.append(QueueEntry(agent.id, agent.name, i + offset, info))
        if [r.key for r in rows] == [r.key for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.rows[index.row()]
        col = COLUMNS[index.column()]
        if role == ENTRY_ROLE:
            return e
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == "#":
                return "▶" if e.position == 0 else str(e.position)
            if col == "Agent":
                return e.agent_name
            if col == "Command":
                text = e.command.content.strip()
                return text if role == Qt.ItemDataRole.ToolTipRole else text.splitlines()[0]
            if col == "Type":
                return e.command.type.value.title()
            if col == "Priority":
                return str(e.command.priority)
            if col == "Status":
                return "running" if e.position == 0 else e.status.value.lower()
            if col == "Waiting":
                return _ago(e.command.created_at)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == "Status":
                return QBrush(status_color(e.status))
            if col == "Agent":
                agent = self.core.agents.get(e.agent_id)
                return QBrush(type_text_color(agent.type)) if agent else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("#", "Priority"):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


class QueueTable(QTableView):
    def __init__(self, page: QueuePage) -> None:
        super().__init__()
        self.page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete:
            self.page.cancel_selected()
            return
        super().keyPressEvent(event)


class QueuePage(Page):
    title = "Queue"

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(core, settings, parent)
        self.model = QueueModel(core)
        self.agent = QComboBox()
        self.agent.setAccessibleName("Show the queue of")
        self.agent.currentIndexChanged.connect(self._agent_changed)
        self.table = QueueTable(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Queued commands")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 36), (1, 120), (3, 90), (4, 70), (5, 90), (6, 80)):
            header.resizeSection(col, width)
        self.keep_header("columns", header)
        self.cancel_button = QPushButton("Cancel selected")
        self.cancel_button.setAccessibleName("Cancel the selected commands")
        self.cancel_button.setToolTip("Cancel the selected commands (Delete)")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.summary = QLabel("")
        self.summary.setAccessibleName("Queue summary")
        self.empty = QLabel("Nothing is running or waiting.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        top = QHBoxLayout()
        label = QLabel("&Agent")
        label.setBuddy(self.agent)
        top.addWidget(label)
        top.addWidget(self.agent)
        top.addWidget(self.summary, 1)
        top.addWidget(self.cancel_button)
        self.top = top
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.subscribe(CommandChanged, lambda _e: self.changed())
        self.subscribe(AgentChanged, lambda _e: self.changed())
        self._fill_agents()

    def _fill_agents(self) -> None:
        current = self.agent.currentData()
        self.agent.blockSignals(True)
        self.agent.clear()
        self.agent.addItem("All agents", None)
        for a in self.core.agents.all():
            self.agent.addItem(a.name, a.id)
        self.agent.setCurrentIndex(max(0, self.agent.findData(current)))
        self.agent.blockSignals(False)

    def _agent_changed(self) -> None:
        self.model.agent_filter = self.agent.currentData()
        self.reload()

    def show_agent(self, agent_id: uuid.UUID) -> None:
        self._fill_agents()
        self.agent.setCurrentIndex(max(0, self.agent.findData(agent_id)))

    def reload(self) -> None:
        if self.agent.count() != len(self.core.agents.all()) + 1:
            self._fill_agents()
        selected = {e.key for e in self.selected()}
        self.model.refresh()
        selection = self.table.selectionModel()
        for row, e in enumerate(self.model.rows):
            if e.key in selected:
                selection.select(
                    self.model.index(row, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        running = sum(1 for e in self.model.rows if e.position == 0)
        waiting = len(self.model.rows) - running
        self.summary.setText(f"{running} running · {waiting} waiting")
        self.empty.setVisible(not self.model.rows)

    def selected(self) -> list[QueueEntry]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.rows[r] for r in sorted(rows) if r < len(self.model.rows)]

    def cancel_selected(self) -> None:
        for entry in self.selected():
            try:
                self.core.commands.cancel(entry.command.id)
            except CommandError as exc:
                self.summary.setText(str(exc))
        self.changed()
