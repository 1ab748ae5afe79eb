"""The agents panel: a card per agent, filters by type, status and name, and per-agent actions."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.state import AgentInfo
from ...protocol.enums import AgentStatus, AgentType
from ..models.agent_model import AGENT_ROLE, AgentFilter, AgentTableModel
from .agent_card import AgentCardDelegate
from .common import tool_button


class AgentsPanel(QWidget):
    selectionChanged = Signal(list)  # the selected agents' ids, in list order
    activated = Signal(object)  # an agent id: open its terminal
    contextMenuRequested = Signal(QMenu, list)  # fill the menu for these agents

    def __init__(self, model: AgentTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = AgentFilter(self)
        self.proxy.setSourceModel(model)

        title = QLabel("<b>Agents</b>")
        self.count = QLabel("")
        self.count.setAccessibleName("Agent count")
        self.add_button = QPushButton("Add agent…")
        self.add_button.setAccessibleName("Add agent")
        self.add_button.setToolTip("Connect or launch another agent")

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by name")
        self.search.setAccessibleName("Filter agents by name")
        self.search.setClearButtonEnabled(True)
        self.type_button = self._filter_button(
            "Type", [(t.value.title(), t) for t in AgentType], "Filter agents by type"
        )
        self.status_button = self._filter_button(
            "Status", [(s.value.title(), s) for s in AgentStatus], "Filter agents by status"
        )

        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(AgentCardDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName("Agents")
        self.list.setAccessibleDescription(
            "One card per agent. Enter opens its terminal; select several to send them a command."
        )
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.activated.connect(lambda index: self.activated.emit(index.data(AGENT_ROLE).id))
        self.empty = QLabel("No agents match the filter.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(self.count)
        head.addStretch(1)
        head.addWidget(self.add_button)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.type_button)
        filters.addWidget(self.status_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 0)
        layout.addLayout(head)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.search.textChanged.connect(lambda _t: self._apply_filter())
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged, model.modelReset):
            signal.connect(self._update_count)
        self._update_count()

    def _filter_button(self, text: str, items: list[tuple[str, object]], tip: str) -> QToolButton:
        button = tool_button(text, tip)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        for label, value in items:
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setData(value)
            action.toggled.connect(lambda _on: self._apply_filter())
        button.setMenu(menu)
        return button

    def _checked(self, button: QToolButton) -> set[object]:
        return {a.data() for a in button.menu().actions() if a.isChecked()}

    def set_filter(self, types: set[AgentType], statuses: set[AgentStatus]) -> None:
        for button, values in ((self.type_button, types), (self.status_button, statuses)):
            for action in button.menu().actions():
                action.blockSignals(True)
                action.setChecked(action.data() in values)
                action.blockSignals(False)
        self._apply_filter()

    def _apply_filter(self) -> None:
        types = {AgentType(str(v)) for v in self._checked(self.type_button)}
        statuses = {AgentStatus(str(v)) for v in self._checked(self.status_button)}
        self.proxy.set_filter(types, statuses, self.search.text())
        for button, chosen, name in (
            (self.type_button, types, "Type"),
            (self.status_button, statuses, "Status"),
        ):
            button.setText(
                name if not chosen else f"{name}: " + ", ".join(sorted(v.title() for v in chosen))
            )
        self._update_count()

    def _update_count(self, *_args: object) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        online = sum(1 for a in self.model.agents() if a.status is AgentStatus.ONLINE)
        self.count.setText(
            f"{online}/{total} online" + (f" · {shown} shown" if shown != total else "")
        )
        self.empty.setVisible(total > 0 and shown == 0)

    # --- selection --------------------------------------------------------------------------------

    def selected_ids(self) -> list[uuid.UUID]:
        # selectedRows() wants every column selected; a list view selects column 0 only.
        chosen = [i for i in self.list.selectionModel().selectedIndexes() if i.column() == 0]
        rows = sorted(chosen, key=lambda i: i.row())
        return [i.data(AGENT_ROLE).id for i in rows]

    def select(self, agent_id: uuid.UUID) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(AGENT_ROLE).id == agent_id:
                if self.selected_ids() != [agent_id]:
                    self.list.setCurrentIndex(index)
                return

    def _selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        self.selectionChanged.emit(self.selected_ids())

    def _context_menu(self, point: QPoint) -> None:
        index = self.list.indexAt(point)
        if index.isValid() and not self.list.selectionModel().isSelected(index):
            self.list.setCurrentIndex(index)
        ids = self.selected_ids()
        if not ids:
            return
        menu = QMenu(self)
        self.contextMenuRequested.emit(menu, ids)
        if menu.actions():
            menu.exec(self.list.viewport().mapToGlobal(point))

    def agent_at_row(self, row: int) -> AgentInfo:
        agent = self.proxy.index(row, 0).data(AGENT_ROLE)
        assert isinstance(agent, AgentInfo)
        return agent

    def add_action(self, action: QAction) -> None:
        self.list.addAction(action)
