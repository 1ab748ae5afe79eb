"""The agents table: a Qt item model adapting the core's AgentChanged events (no data in widgets)."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from ..core.events import AgentChanged, EventBus
from ..core.state import AgentInfo
from .theme import status_color, type_color

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Name", "Type", "Status", "Activity", "Queue", "Tokens", "CPU", "Memory", "Host")
AGENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class AgentTableModel(QAbstractTableModel):
    def __init__(
        self, bus: EventBus, agents: list[AgentInfo], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._rows: list[AgentInfo] = sorted(agents, key=lambda a: a.name)
        self._bold = QFont()
        self._bold.setBold(True)
        self._unsubscribe = bus.subscribe(AgentChanged, self._changed)

    def close(self) -> None:
        self._unsubscribe()

    def agent(self, row: int) -> AgentInfo:
        return self._rows[row]

    def row_of(self, agent_id: uuid.UUID) -> int:
        for i, a in enumerate(self._rows):
            if a.id == agent_id:
                return i
        return -1

    def agents(self) -> list[AgentInfo]:
        return list(self._rows)

    def _changed(self, ev: AgentChanged) -> None:
        row = self.row_of(ev.agent.id)
        if row >= 0:
            self._rows[row] = ev.agent
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        names = [a.name for a in self._rows]
        row = sum(1 for n in names if n < ev.agent.name)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, ev.agent)
        self.endInsertRows()

    # --- Qt model API -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        a = self._rows[index.row()]
        col = COLUMNS[index.column()]
        if role == AGENT_ID_ROLE:
            return a.id
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(a, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == "Type":
                return QBrush(type_color(a.type))
            if col == "Status":
                return QBrush(status_color(a.status))
            if col == "Activity":
                return QBrush(status_color(a.activity))
        if role == Qt.ItemDataRole.FontRole and col == "Name":
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and col == "Name":
            return type_color(a.type)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(a)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            "Queue",
            "Tokens",
            "CPU",
            "Memory",
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _display(a: AgentInfo, col: str) -> str:
    if col == "Name":
        return a.name
    if col == "Type":
        return a.type.value.title()
    if col == "Status":
        return a.status.value
    if col == "Activity":
        return a.activity.value + (" (paused)" if a.paused else "")
    if col == "Queue":
        return str(a.queue_length) if a.queue_length else ""
    if col == "Tokens":
        return f"{a.tokens.total:,}" if a.tokens.total else ""
    if col == "CPU":
        cpu = a.health.get("cpu_usage")
        return f"{cpu:.0f}%" if isinstance(cpu, int | float) else ""
    if col == "Memory":
        mem = a.health.get("memory_usage")
        return f"{mem:.0f} MB" if isinstance(mem, int | float) else ""
    if col == "Host":
        return a.host_machine
    return ""


def _tooltip(a: AgentInfo) -> str:
    lines = [f"{a.name} — {a.type.value.title()} agent", f"Status: {a.status.value}"]
    if a.cwd:
        lines.append(f"Working directory: {a.cwd}")
    if a.version:
        lines.append(f"onsembl-agent {a.version}")
    if a.error:
        lines.append(f"Error: {a.error}")
    return "\n".join(lines)
