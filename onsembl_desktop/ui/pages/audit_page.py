"""The audit log: every recorded event, filtered by type, agent, command and date; CSV export."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from datetime import datetime
from functools import partial
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Connection

from ...core.events import AuditRecorded
from ...core.service import Core
from ...protocol.enums import AuditEventType
from ..models.rows_model import Column, RowsModel
from ..presentation import reads
from ..presentation.audit_text import details_line, details_text, who, who_tip
from ..presentation.numbers import when, when_tip
from ..presentation.reads import AuditRow
from ..settings import UiSettings
from ..theme import muted_text
from ..widgets.common import (
    ElidedLabel,
    PeriodFilter,
    agent_combo,
    fill_agent_combo,
    held_still,
    make_table,
    text_pane,
)
from ..widgets.progress import Progress, run_with_progress
from .base import Page

PAGE = 1000
CSV_FIELDS = (
    "time",
    "event",
    "agent",
    "agent_id",
    "command_id",
    "by",
    "ip",
    "user_agent",
    "details",
)


def _details(row: AuditRow) -> str:
    return json.dumps(row.details, ensure_ascii=False, separators=(", ", ": "), default=str)


def export_csv(
    conn_factory: object, path: Path, filters: dict[str, object], progress: Progress
) -> int:
    """Write every matching row to ``path`` in pages (runs on a worker thread)."""
    engine = conn_factory
    written = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(CSV_FIELDS)
        offset = 0
        with engine.connect() as conn:  # type: ignore[attr-defined]
            total = _count(conn, filters)
            while True:
                progress.set(written, total, f"Exported {written:,} of {total:,} events")
                rows = reads.audit(conn, limit=5000, offset=offset, **filters)  # type: ignore[arg-type]
                if not rows:
                    break
                for r in rows:
                    out.writerow(
                        (
                            r.created_at.isoformat(),
                            r.event_type,
                            r.agent_name,
                            str(r.agent_id or ""),
                            str(r.command_id or ""),
                            who(r),
                            r.ip_address or "",
                            r.user_agent or "",
                            _details(r),
                        )
                    )
                written += len(rows)
                offset += len(rows)
    return written


def _count(conn: Connection, filters: dict[str, object]) -> int:
    from sqlalchemy import func, select

    from ...store.models import AuditLog

    query = select(func.count(AuditLog.id))
    if filters.get("event_type"):
        query = query.where(AuditLog.event_type == filters["event_type"])
    if filters.get("agent_id") is not None:
        query = query.where(AuditLog.agent_id == filters["agent_id"])
    if filters.get("command_id") is not None:
        query = query.where(AuditLog.command_id == filters["command_id"])
    if filters.get("since") is not None:
        query = query.where(AuditLog.created_at >= filters["since"])
    if filters.get("until") is not None:
        query = query.where(AuditLog.created_at < filters["until"])
    return int(conn.execute(query).scalar() or 0)


class AuditPage(Page):
    title = "Audit"

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(core, settings, parent)
        self.event_type = QComboBox()
        self.event_type.setAccessibleName("Filter audit by event type")
        self.event_type.addItem("Any event", None)
        for t in AuditEventType:
            self.event_type.addItem(t.value.replace("_", " ").title(), t.value)
        self.agent = agent_combo("Filter audit by agent")
        self.command = QLineEdit()
        self.command.setPlaceholderText("Command id")
        self.command.setToolTip(
            "A command's id, or its first 8 characters as the Command column shows"
        )
        self.command.setAccessibleName("Filter audit by command id")
        self.command.setClearButtonEnabled(True)
        self.command.editingFinished.connect(self.reload)
        self.period = PeriodFilter("Filter audit by date")
        self.period.changed.connect(self.reload)
        for combo in (self.event_type, self.agent):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setAccessibleName("Export the filtered audit log as CSV")
        self.export_button.clicked.connect(self._export)
        self.more = QPushButton("Load more")
        self.more.clicked.connect(self._load_more)
        self.info = ElidedLabel("")  # a long export path must not widen the window
        self.info.setAccessibleName("Audit status")

        self.model = RowsModel[AuditRow](
            [
                Column(
                    "Time", lambda r: when(r.created_at), tooltip=lambda r: when_tip(r.created_at)
                ),
                Column("Event", lambda r: r.event_type.replace("_", " ").lower()),
                Column("Agent", lambda r: r.agent_name),
                Column(
                    "Command",
                    lambda r: str(r.command_id)[:8] if r.command_id else "",
                    tooltip=lambda r: str(r.command_id or ""),
                ),
                Column(
                    "By",
                    who,
                    lambda r: None if r.by_user else muted_text(),
                    tooltip=who_tip,
                ),
                Column("Details", details_line, tooltip=lambda r: details_text(r) or "—"),
            ],
            self,
        )
        self.table = make_table(self.model, "Audit log", (110, 140, 100, 72, 90), 5)
        self.keep_header("columns", self.table.horizontalHeader())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = text_pane("Audit event details")
        self.detail.setPlaceholderText("Select an event to see all it recorded.")
        self._selected_id: uuid.UUID | None = None
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setSizes([520, 160])
        self.keep_splitter("splitter", self.splitter)

        top = QHBoxLayout()
        for w in (
            self.event_type,
            self.agent,
            self.command,
            self.period,
        ):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.export_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.info, 1)
        bottom.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        self.subscribe(AuditRecorded, lambda _e: self.changed())

    async def command_filter(self) -> tuple[uuid.UUID | None, str | None]:
        """The command the field names: a full id, or the start of one as the Command column
        shows it (8 characters); or why it names none."""
        text = self.command.text().strip()
        if not text:
            return None, None
        try:
            return uuid.UUID(text), None
        except ValueError:
            pass
        prefix = text.replace("-", "").lower()
        if len(prefix) < 4 or any(c not in "0123456789abcdef" for c in prefix):
            return None, f"“{text}” is not a command id (paste it, or its first 8 characters)"
        ids = await self.core.store.read(partial(reads.command_ids_starting, prefix=prefix))
        if not ids:
            return None, f"No command id starts with {text}"
        if len(ids) > 1:
            return None, f"Several commands start with {text}: give more of the id"
        return ids[0], None

    def filters(self, command_id: uuid.UUID | None = None) -> dict[str, object]:
        since, until = self.period.range()
        return {
            "event_type": self.event_type.currentData(),
            "agent_id": self.agent.currentData(),
            "command_id": command_id,
            "since": since,
            "until": until,
        }

    def reload(self) -> None:
        fill_agent_combo(self.agent, self.core.agents.all())
        self.run(self._load(0))

    def _load_more(self) -> None:
        self.run(self._load(len(self.model.rows)))

    async def _load(self, offset: int) -> None:
        command_id, problem = await self.command_filter()
        if problem is not None:
            # Listing every event under a filter that was not applied would read as its result.
            self.model.set_rows([])
            self._show_event(None)
            self.more.setEnabled(False)
            self.info.setText(problem)
            return
        await self.core.store.flush()
        filters = self.filters(command_id)

        def done(rows: list[AuditRow]) -> None:
            if offset:
                self.model.append_rows(rows)
            else:
                # New events reload the list: they come in without moving what is being read,
                # which stays selected; a filter that leaves it out lets it go (its details
                # beside a list it is not in would mislead).
                with held_still(self.table, lambda i: getattr(self.model.row(i), "id", None)):
                    self.model.set_rows(rows, key=lambda r: r.id)
                if all(r.id != self._selected_id for r in rows):
                    self._show_event(None)
            self.more.setEnabled(len(rows) == PAGE)
            shown = len(self.model.rows)
            self.info.setText(
                f"{shown:,} events shown, newest first" if shown else "No event matches"
            )

        self.read(partial(reads.audit, limit=PAGE, offset=offset, **filters), done)  # type: ignore[arg-type]

    def _selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        indexes = selected.indexes()
        row = self.model.row(indexes[0]) if indexes else None
        if row is not None:
            self._show_event(row)

    def _show_event(self, row: AuditRow | None) -> None:
        self._selected_id = row.id if row else None
        if row is None:
            self.detail.setPlainText("")
            return
        lines = [
            f"{row.event_type.replace('_', ' ').lower()}  {when_tip(row.created_at)}",
            f"agent    {row.agent_name or '—'} {row.agent_id or ''}",
            f"command  {row.command_id or '—'}",
            f"by       {who_tip(row)}",
        ]
        if row.ip_address:
            lines.append(f"from     {row.ip_address}")
        details = details_text(row)
        if details:
            lines += ["", details]
        self.detail.setPlainText("\n".join(lines))

    def _export(self) -> None:
        suggested = str(Path.home() / f"onsembl-audit-{datetime.now():%Y%m%d-%H%M}.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export audit log", suggested, "CSV (*.csv)")
        if path:
            self.run(self.export_to(Path(path)))

    async def export_to(self, path: Path) -> int | None:
        """Every event matching the filters (not only those shown) into ``path``."""
        command_id, problem = await self.command_filter()
        if problem is not None:
            self.info.setText(problem)
            return None
        await self.core.store.flush()
        filters = self.filters(command_id)
        engine = self.core.store.engine
        try:
            written = await run_with_progress(
                self, "Exporting the audit log", partial(export_csv, engine, path, filters)
            )
        except OSError as exc:
            self.info.setText(f"Could not export: {exc.strerror or exc}")
            return None
        if written is None:
            await asyncio.get_running_loop().run_in_executor(None, _remove, path)
            self.info.setText("Export cancelled")
        else:
            self.info.setText(f"Exported {written:,} events to {path}")
        return written


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
