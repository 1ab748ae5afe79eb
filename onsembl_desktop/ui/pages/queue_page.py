"""The queue page: every agent's queue — the running command, then the waiting ones in order.

Reorder by dragging a waiting command within its agent's queue (or Alt+Up / Alt+Down), edit a
priority in place (double-click), cancel with Delete, pause or resume an agent's queue. Every
change goes through ``core.queues`` and comes back as ``QueueChanged``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.commands import CommandError
from ...core.events import AgentChanged, CommandChanged, QueueChanged
from ...core.records import QueueEntryInfo
from ...core.service import Core
from ...errors import KnownError
from ...protocol.enums import AgentStatus
from ..models.rows_model import Column, Index, RowsModel, first_line
from ..settings import UiSettings
from ..theme import status_color, type_text_color
from ..widgets.common import ElidedLabel, agent_combo, fill_agent_combo, labelled, make_table
from .base import Page

MIME = "application/x-onsembl-queue-row"


@dataclass(frozen=True, slots=True)
class QueueRow:
    entry: QueueEntryInfo
    agent_name: str
    paused: bool
    offline: bool = False  # its agent is not connected: it waits for the agent, not its turn

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.entry.agent_id, self.entry.command.id)

    @property
    def waiting(self) -> bool:
        return self.entry.position > 0


def _ago(when: datetime | None) -> str:
    if when is None:
        return ""
    seconds = max(0, int((datetime.now(UTC) - when).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _status(r: QueueRow) -> str:
    if not r.waiting:
        return "running"
    if r.offline:
        return "waiting · agent offline"
    return "waiting · paused" if r.paused else "waiting"


class QueueModel(RowsModel[QueueRow]):
    PRIORITY = 4
    # What an edit or a drop the core refused, in words ("" once one worked): the page shows it
    # and reloads, so the view shows the queue as it is.
    refused = Signal(str)

    def __init__(self, core: Core, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("#", lambda r: str(r.entry.position) if r.waiting else "▶", right=True),
                Column(
                    "Agent",
                    lambda r: r.agent_name + (" (paused)" if r.paused else ""),
                    lambda r: self._agent_color(r),
                ),
                Column(
                    "Command",
                    lambda r: first_line(r.entry.command.content),
                    tooltip=lambda r: r.entry.command.content,
                ),
                Column("Type", lambda r: r.entry.command.type.value.title()),
                Column("Priority", lambda r: str(r.entry.command.priority), right=True),
                Column("Status", _status, lambda r: status_color(r.entry.status)),
                Column("Waiting", lambda r: _ago(r.entry.enqueued_at), right=True),
            ],
            parent,
        )
        self.core = core
        self.agent_filter: uuid.UUID | None = None

    def _agent_color(self, r: QueueRow) -> Any:
        agent = self.core.agents.get(r.entry.agent_id)
        return type_text_color(agent.type) if agent else None

    def _offline(self, agent_id: uuid.UUID) -> bool:
        agent = self.core.agents.get(agent_id)
        return agent is not None and agent.status is not AgentStatus.ONLINE

    def refresh_from_core(self) -> None:
        rows = [
            QueueRow(entry, q.agent_name, q.paused, self._offline(q.agent_id))
            for q in self.core.queues.all()
            if self.agent_filter is None or q.agent_id == self.agent_filter
            for entry in q.entries
        ]
        if [r.key for r in rows] == [r.key for r in self.rows]:
            self.rows = rows
            self.refresh()
        else:
            self.set_rows(rows)

    # --- editing and drag-and-drop ----------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        row = self.row(index)
        if row is None:
            return flags | Qt.ItemFlag.ItemIsDropEnabled
        if row.waiting:
            flags |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
        if index.column() == self.PRIORITY and not row.entry.command.status.is_final:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        row = self.row(index)
        if row is None or index.column() != self.PRIORITY or role != Qt.ItemDataRole.EditRole:
            return False
        try:
            self.core.queues.set_priority(row.entry.command.id, int(value))
        except (CommandError, KnownError, ValueError) as exc:
            what = first_line(row.entry.command.content)
            self.refused.emit(f"Could not change the priority of “{what}”: {exc}")
            return False
        self.refused.emit("")
        return True

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        data = QMimeData()
        rows = sorted({i.row() for i in indexes})
        if rows:
            data.setData(MIME, QByteArray(str(rows[0]).encode()))
        return data

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not data.hasFormat(MIME):
            return False
        source = int(bytes(data.data(MIME).data()).decode())
        target = parent.row() if parent.isValid() else row
        return self.move(source, target)

    def move(self, source: int, target: int) -> bool:
        """Move the waiting entry at row ``source`` to where row ``target`` is (same agent)."""
        if not 0 <= source < len(self.rows):
            return False
        moving = self.rows[source]
        same = [r for r in self.rows if r.entry.agent_id == moving.entry.agent_id and r.waiting]
        if not moving.waiting or not same:
            return False
        if (
            0 <= target < len(self.rows)
            and self.rows[target].entry.agent_id == moving.entry.agent_id
        ):
            position = max(1, self.rows[target].entry.position)
        else:
            position = same[-1].entry.position  # dropped below the queue: last
        if position == moving.entry.position:
            return False
        try:
            self.core.queues.move(moving.entry.command.id, position, moving.entry.agent_id)
        except (CommandError, KnownError) as exc:
            what = first_line(moving.entry.command.content)
            self.refused.emit(f"Could not move “{what}”: {exc}")
            return False
        self.refused.emit("")
        return False  # the view must not remove the row itself: QueueChanged redraws


class PriorityDelegate(QStyledItemDelegate):
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        from PySide6.QtWidgets import QSpinBox

        box = QSpinBox(parent)
        box.setRange(0, 100)
        box.setAccessibleName("Priority")
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        editor.setValue(int(index.data() or 50))  # type: ignore[attr-defined]

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)  # type: ignore[attr-defined]


class QueueTable(QTableView):
    def __init__(self, page: QueuePage) -> None:
        super().__init__()
        self.page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if event.key() == Qt.Key.Key_Delete:
            self.page.cancel_selected()
        elif alt and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.page.move_selected(-1 if event.key() == Qt.Key.Key_Up else 1)
        else:
            super().keyPressEvent(event)


class QueuePage(Page):
    title = "Queue"

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(core, settings, parent)
        self.model = QueueModel(core, self)
        self.model.refused.connect(self._refused)
        self.agent = agent_combo("Show the queue of")
        self.agent.currentIndexChanged.connect(self._agent_changed)
        self.table = make_table(
            self.model, "Queued commands", (36, 130, 300, 90, 70, 160), 2, view=QueueTable(self)
        )
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.table.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.table.setItemDelegateForColumn(QueueModel.PRIORITY, PriorityDelegate(self.table))
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setToolTip(
            "Drag a waiting command to reorder its agent's queue (or Alt+Up/Down); "
            "double-click a priority to change it; Delete cancels."
        )
        self.keep_header("columns", self.table.horizontalHeader())
        self.cancel_button = QPushButton("Cancel selected")
        self.cancel_button.setAccessibleName("Cancel the selected commands")
        self.cancel_button.setToolTip("Cancel the selected commands on their agents (Delete)")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.pause_button = QPushButton("Pause queue")
        self.pause_button.setAccessibleName("Pause or resume the chosen agent's queue")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.summary = QLabel("")
        self.summary.setAccessibleName("Queue summary")
        # What the last action could not do: kept until the next action (the summary is
        # rewritten on every reload, which used to wipe the message at once).
        self.problem = ElidedLabel("")
        self.problem.setAccessibleName("Queue problem")
        self.problem.setStyleSheet(f"color: {status_color('FAILED').name()};")
        self.empty = QLabel("Nothing is running or waiting.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        top = QHBoxLayout()
        top.addWidget(labelled("&Agent", self.agent))
        top.addWidget(self.agent)
        top.addWidget(self.summary)
        top.addWidget(self.problem, 1)
        top.addWidget(self.pause_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.subscribe(QueueChanged, lambda _e: self.changed())
        self.subscribe(CommandChanged, lambda _e: self.changed())
        self.subscribe(AgentChanged, lambda _e: self.changed())
        self.table.selectionModel().selectionChanged.connect(self._update_cancel_button)
        self._update_pause_button()
        self._update_cancel_button()

    def _refused(self, text: str) -> None:
        self.problem.setText(text)
        if text:
            self.changed()  # the rows were out of date: show the queue as it is now

    def _agent_changed(self) -> None:
        self.model.agent_filter = self.agent.currentData()
        self.reload()

    def show_agent(self, agent_id: uuid.UUID) -> None:
        fill_agent_combo(self.agent, self.core.agents.all())
        self.agent.setCurrentIndex(max(0, self.agent.findData(agent_id)))

    def reload(self) -> None:
        fill_agent_combo(self.agent, self.core.agents.all())
        selected = {r.key for r in self.selected()}
        self.model.refresh_from_core()
        selection = self.table.selectionModel()
        for row, r in enumerate(self.model.rows):
            if r.key in selected:
                selection.select(
                    self.model.index(row, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        running = sum(1 for r in self.model.rows if not r.waiting)
        waiting = len(self.model.rows) - running
        halted = " · emergency stop: all queues paused" if self.core.emergency.active else ""
        self.summary.setText(f"{running} running · {waiting} waiting{halted}")
        self.empty.setVisible(not self.model.rows)
        self._update_pause_button()
        self._update_cancel_button()

    def _update_cancel_button(self, *_args: object) -> None:
        self.cancel_button.setEnabled(bool(self.selected()))

    def _update_pause_button(self) -> None:
        agent_id = self.agent.currentData()
        self.pause_button.setEnabled(agent_id is not None)
        paused = agent_id is not None and self.core.queues.is_paused(agent_id)
        self.pause_button.setText("Resume queue" if paused else "Pause queue")

    def selected(self) -> list[QueueRow]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.rows[r] for r in sorted(rows) if r < len(self.model.rows)]

    def cancel_selected(self) -> None:
        self.problem.setText("")
        for r in self.selected():
            try:
                self.core.queues.cancel(r.entry.command.id, r.entry.agent_id)
            except (CommandError, KnownError) as exc:
                self.problem.setText(
                    f"Could not cancel “{first_line(r.entry.command.content)}”: {exc}"
                )
        self.changed()

    def move_selected(self, step: int) -> None:
        chosen = self.selected()
        if len(chosen) != 1 or not chosen[0].waiting:
            return
        r = chosen[0]
        self.problem.setText("")
        try:
            self.core.queues.move(
                r.entry.command.id, max(1, r.entry.position + step), r.entry.agent_id
            )
        except (CommandError, KnownError) as exc:
            self.problem.setText(f"Could not move it: {exc}")

    def toggle_pause(self) -> None:
        agent_id = self.agent.currentData()
        if agent_id is None:
            return
        try:
            if self.core.queues.is_paused(agent_id):
                self.core.control.resume(agent_id)
            else:
                self.core.control.pause(agent_id)
        except (CommandError, KnownError) as exc:
            self.problem.setText(str(exc))
        else:
            self.problem.setText("")
        self.reload()
