"""The history page: every command ever sent, searched across its text and output (full text),
filtered by agent, type, status and date; one opened shows its output, traces and report.

The search runs on a store read thread (``store.search.history``, SQLite FTS5); while it runs the
page says so and offers Cancel (a newer search or Cancel discards the running one's result).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Connection

from ...core.events import CommandChanged
from ...core.service import Core
from ...protocol.enums import CommandStatus, CommandType
from ...store import search
from ..models.rows_model import Column, RowsModel, first_line
from ..presentation import reads
from ..presentation.numbers import when, when_tip
from ..settings import UiSettings
from ..theme import status_color
from ..widgets.common import (
    ElidedLabel,
    PeriodFilter,
    agent_combo,
    fill_agent_combo,
    held_still,
    make_table,
)
from .base import Page
from .command_detail import CommandDetailView

FETCH = 1000  # entries read before the type / status / date filters; at most SHOW are listed
SHOW = 300


@dataclass(frozen=True, slots=True)
class HistoryRow:
    id: uuid.UUID
    content: str
    type: CommandType
    status: CommandStatus
    created_at: datetime
    agents: str
    lines: list[tuple[str, str]]
    more: bool  # more matching lines than listed


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    text: str
    agent_id: uuid.UUID | None
    type: CommandType | None
    status: CommandStatus | None
    since: datetime | None
    until: datetime | None


def run_query(conn: Connection, q: HistoryQuery) -> list[HistoryRow]:
    entries = search.history(
        conn, search=q.text or None, agent_id=q.agent_id, limit=FETCH, max_lines=20
    )
    rows = []
    for e in entries:
        c: Any = e.command
        if q.type is not None and c.type != q.type:
            continue
        if q.status is not None and c.status != q.status:
            continue
        if q.since is not None and c.created_at < q.since:
            continue
        if q.until is not None and c.created_at >= q.until:
            continue
        rows.append(
            HistoryRow(
                c.id,
                c.content,
                c.type,
                c.status,
                c.created_at,
                ", ".join(r.name for r in e.runs),
                list(e.lines),
                e.more,
            )
        )
        if len(rows) >= SHOW:
            break
    return rows


class HistoryPage(Page):
    title = "History"

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(core, settings, parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search command text and output (words; word* for prefixes)")
        self.search.setAccessibleName("Search history")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.refine)
        self.agent = agent_combo("Filter history by agent")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Filter history by type")
        self.kind.addItem("Any type", None)
        for t in CommandType:
            self.kind.addItem(t.value.title(), t)
        self.status = QComboBox()
        self.status.setAccessibleName("Filter history by status")
        self.status.addItem("Any status", None)
        for s in CommandStatus:
            self.status.addItem(s.value.title(), s)
        self.period = PeriodFilter("Filter history by date")
        self.period.changed.connect(self.refine)
        for combo in (self.agent, self.kind, self.status):
            combo.currentIndexChanged.connect(lambda _i: self.refine())
        self.go = QPushButton("Search")
        self.go.clicked.connect(self.refine)
        # "Search failed: …" carries the error's text: cut to the room it gets, whole in the
        # tooltip (a long one widened the window).
        self.busy = ElidedLabel("")
        self.busy.setMinimumWidth(self.busy.fontMetrics().horizontalAdvance("Search cancelled") + 8)
        self.busy.setAccessibleName("Search state")
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel the search")
        self.cancel.setVisible(False)
        self.cancel.clicked.connect(self.cancel_search)

        self.model = RowsModel[HistoryRow](
            [
                Column(
                    "When", lambda r: when(r.created_at), tooltip=lambda r: when_tip(r.created_at)
                ),
                Column("Command", lambda r: first_line(r.content), tooltip=lambda r: r.content),
                Column("Agents", lambda r: r.agents),
                Column("Type", lambda r: r.type.value.title()),
                Column(
                    "Status", lambda r: r.status.value.lower(), lambda r: status_color(r.status)
                ),
                Column(
                    "Matches",
                    lambda r: f"{len(r.lines)}{'+' if r.more else ''}" if r.lines else "",
                    right=True,
                ),
            ],
            self,
        )
        self.table = make_table(self.model, "Commands in history", (120, 320, 120, 90, 90), 1)
        self.keep_header("columns", self.table.horizontalHeader())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.matches = QListWidget()
        self.matches.setAccessibleName("Matching output lines")
        self.matches.setMaximumHeight(140)
        self.matches.setVisible(False)
        self.detail = CommandDetailView()
        self.count = QLabel("")

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.go)
        filters.addWidget(self.busy, 1)
        filters.addWidget(self.cancel)
        filters2 = QHBoxLayout()
        for w in (self.agent, self.kind, self.status, self.period):
            filters2.addWidget(w)
        filters2.addStretch(1)
        filters2.addWidget(self.count)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.table, 1)
        ll.addWidget(self.matches)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setSizes([330, 420])
        self.keep_splitter("splitter", self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(filters)
        layout.addLayout(filters2)
        layout.addWidget(self.splitter, 1)
        self.subscribe(CommandChanged, self._command_changed)
        self._search_task: asyncio.Task[Any] | None = None
        self._selected_id: uuid.UUID | None = None
        self._refining = False  # the user changed the search: close a command it leaves out

    # --- query ------------------------------------------------------------------------------------

    def query(self) -> HistoryQuery:
        since, until = self.period.range()
        return HistoryQuery(
            self.search.text().strip(),
            self.agent.currentData(),
            self.kind.currentData(),
            self.status.currentData(),
            since,
            until,
        )

    def show_agent(self, agent_id: uuid.UUID) -> None:
        fill_agent_combo(self.agent, self.core.agents.all())
        self.agent.setCurrentIndex(max(0, self.agent.findData(agent_id)))
        self.loaded = True

    def refine(self) -> None:
        """The user searched or changed a filter: the open command stays open only if it is
        still listed (its output beside a list it is not in reads as a match)."""
        self._refining = True
        self.reload()

    def reload(self) -> None:
        fill_agent_combo(self.agent, self.core.agents.all())
        self.cancel_search()
        self._search_task = self.run(self._search(self.query()))

    async def _search(self, q: HistoryQuery) -> None:
        self.busy.setText("Searching…")
        self.cancel.setVisible(True)
        try:
            await self.core.store.flush()
            rows = await self.core.store.read(partial(run_query, q=q))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.busy.setText(f"Search failed: {exc}")
            self.cancel.setVisible(False)
            return
        self.busy.setText("")
        self.cancel.setVisible(False)
        with held_still(self.table, lambda i: getattr(self.model.row(i), "id", None)):
            self.model.set_rows(rows, key=lambda r: r.id)
        more = " (newest shown)" if len(rows) >= SHOW else ""
        narrowed = q.text or any(v is not None for v in (q.agent_id, q.type, q.status, q.since))
        if rows:
            self.count.setText(f"{len(rows)} command{'s' if len(rows) != 1 else ''}{more}")
        else:
            self.count.setText("No command matches" if narrowed else "No command sent yet")
        refining, self._refining = self._refining, False
        row = self.model.row_of(lambda r: r.id, self._selected_id)
        if row >= 0:
            if not self.table.selectionModel().isRowSelected(row):
                self.table.selectRow(row)
        elif refining and self._selected_id is not None:
            self._selected_id = None
            self.matches.setVisible(False)
            self.detail.clear()

    def cancel_search(self) -> None:
        if self._search_task is not None and not self._search_task.done():
            self._search_task.cancel()
            self.busy.setText("Search cancelled")
        self.cancel.setVisible(False)

    def _command_changed(self, ev: CommandChanged) -> None:
        if ev.command.status.is_final or not any(r.id == ev.command.id for r in self.model.rows):
            self.changed()
        if ev.command.id == self._selected_id and ev.command.status.is_final:
            self.open_command(ev.command.id)  # the open one finished: show its final state

    # --- one command ------------------------------------------------------------------------------

    def _selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        indexes = selected.indexes()
        row = self.model.row(indexes[0]) if indexes else None
        if row is None:
            return
        self.matches.clear()
        for agent, line in row.lines:
            self.matches.addItem(f"{agent}: {line.strip()}")
        if row.more:
            self.matches.addItem("… and more matching lines (open the output to see them all)")
        self.matches.setVisible(bool(row.lines))
        if row.id != self._selected_id or self.detail.detail is None:
            self._selected_id = row.id
            self.open_command(row.id)

    def open_command(self, command_id: uuid.UUID) -> None:
        self._selected_id = command_id

        async def load() -> None:
            await self.core.store.flush()
            detail = await self.core.store.read(
                partial(reads.command_detail, command_id=command_id)
            )
            if command_id == self._selected_id:
                self.detail.show_detail(detail)

        self.run(load())
