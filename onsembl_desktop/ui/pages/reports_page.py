"""The reports page: every investigation report with its status, searchable; an editor that saves
as the user types; export to Markdown, HTML, JSON and PDF (one report, or all listed)."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.events import ReportChanged
from ...core.service import Core
from ...protocol.enums import ReportStatus
from ...store import queries
from ...store.types import utcnow
from ..models.rows_model import Column, RowsModel
from ..pdf import html_to_pdf
from ..presentation import reads
from ..presentation.numbers import when, when_tip
from ..presentation.reads import ReportRow
from ..presentation.report_export import (
    FORMATS,
    ReportDoc,
    safe_filename,
    to_html,
    to_json,
    to_markdown,
)
from ..settings import UiSettings
from ..theme import status_color
from ..widgets.common import ElidedLabel, held_still, make_table, tool_button
from ..widgets.progress import Progress, run_with_progress
from .base import Page
from .report_editor import ReportEditor


def pdf_bytes(doc: ReportDoc) -> bytes:
    """The report's HTML printed to a PDF in memory (Qt's text layout runs on the UI thread, as
    Qt requires; the file is written off the loop)."""
    return html_to_pdf(to_html(doc), doc.title)


def rendered(doc: ReportDoc, fmt: str) -> bytes:
    """The report in ``fmt`` (PDF: on the UI thread; the others anywhere)."""
    if fmt == "PDF":
        return pdf_bytes(doc)
    render = {"Markdown": to_markdown, "HTML": to_html, "JSON": to_json}[fmt]
    return render(doc).encode("utf-8")


def doc_of(row: ReportRow) -> ReportDoc:
    return ReportDoc.of(
        row.title,
        row.summary,
        row.status.value,
        row.content,
        row.agent_name,
        row.created_at,
        id=str(row.id),
        command_id=str(row.command_id),
    )


class ReportsPage(Page):
    title = "Reports"

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(core, settings, parent)
        self.current: uuid.UUID | None = None
        self._own_saves: set[uuid.UUID] = set()

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles and summaries")
        self.search.setAccessibleName("Search reports")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.changed_now())
        self.status = QComboBox()
        self.status.setAccessibleName("Filter reports by status")
        self.status.addItem("Any status", None)
        for s in ReportStatus:
            self.status.addItem(s.value.replace("_", " ").title(), s)
        self.status.currentIndexChanged.connect(lambda _i: self.reload())

        self.model = RowsModel[ReportRow](
            [
                Column("Title", lambda r: r.title, tooltip=lambda r: r.summary[:400] or r.title),
                Column("Agent", lambda r: r.agent_name),
                Column(
                    "Status",
                    lambda r: r.status.value.replace("_", " ").lower(),
                    lambda r: status_color(r.status.value),
                ),
                Column(
                    "Updated",
                    lambda r: when(r.updated_at),
                    tooltip=lambda r: when_tip(r.updated_at),
                ),
            ],
            self,
        )
        self.table = make_table(self.model, "Reports", (260, 95, 75, 95), 0)
        self.keep_header("columns", self.table.horizontalHeader())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.editor = ReportEditor()
        self.editor.save.connect(self._save)
        self.empty = QLabel(
            "No reports yet. Send an Investigate, Review, Plan or Synthesize command: the agent "
            "writes its report here."
        )
        self.empty.setWordWrap(True)
        self.info = ElidedLabel("")  # a long export path must not widen the window
        self.info.setAccessibleName("Reports status")

        self.export_button = tool_button("Export", "Export reports")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setAccessibleName("Export the report")
        menu = QMenu(self.export_button)
        for fmt in FORMATS:
            menu.addAction(f"This report as {fmt}…", partial(self.export_current, fmt))
        menu.addSeparator()
        for fmt in FORMATS:
            menu.addAction(f"All listed reports as {fmt}…", partial(self.export_all, fmt))
        self.export_button.setMenu(menu)
        self.open_command = open_command = QPushButton("Open command")
        open_command.setAccessibleName("Open the report's command in History")
        open_command.clicked.connect(self._open_command)
        open_command.setEnabled(False)  # until a report is selected

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.status)
        top.addWidget(self.export_button)
        top.addWidget(open_command)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.table, 1)
        ll.addWidget(self.empty)
        ll.addWidget(self.info)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.editor)
        self.splitter.setSizes([520, 580])  # the titles readable at 1280 px
        self.keep_splitter("splitter", self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.subscribe(ReportChanged, self._report_changed)
        self.open_history: object = None  # set by the window: callable(command_id)

    def changed_now(self) -> None:
        self.reload()

    # --- loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self.run(self._load())

    async def _load(self) -> None:
        await self.core.store.flush()
        self.read(
            partial(reads.reports, search=self.search.text(), status=self.status.currentData()),
            self._loaded,
        )

    def _loaded(self, rows: list[ReportRow]) -> None:
        with held_still(self.table, lambda i: getattr(self.model.row(i), "id", None)):
            self.model.set_rows(rows, key=lambda r: r.id)
        self.empty.setVisible(not rows)
        self.info.setText(f"{len(rows)} report{'s' if len(rows) != 1 else ''}")
        row = self.model.row_of(lambda r: r.id, self.current)
        if row >= 0:
            if not self.table.selectionModel().isRowSelected(row):
                self.table.selectRow(row)
            return
        if self.current is not None:
            self.current = None
            self.editor.load(None)
        self.open_command.setEnabled(False)

    def _report_changed(self, ev: ReportChanged) -> None:
        if ev.report_id in self._own_saves:
            self._own_saves.discard(ev.report_id)
            return
        if ev.report_id == self.current and not self.editor.dirty:
            self._reload_current = True
        self.changed()

    def _selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        indexes = selected.indexes()
        row = self.model.row(indexes[0]) if indexes else None
        if row is None:
            return
        if row.id != self.current or getattr(self, "_reload_current", False):
            self._reload_current = False
            self.current = row.id
            self.editor.load(doc_of(row))
        self.open_command.setEnabled(True)

    def select_report(self, report_id: uuid.UUID) -> None:
        self.current = report_id
        self.loaded = True
        self.reload()

    # --- saving -----------------------------------------------------------------------------------

    def _save(self, doc: ReportDoc) -> None:
        report_id = self.current
        if report_id is None:
            return
        now = utcnow()
        title = doc.title[:500] or "(untitled)"
        completed = now if doc.status == ReportStatus.COMPLETE.value else None
        values = {
            "title": title,
            "summary": doc.summary,
            "status": ReportStatus(doc.status),
            "content": doc.content(),
            "updated_at": now,
            "completed_at": completed,
        }
        self.core.store.call(queries.update_report, report_id, values)
        row = next((r for r in self.model.rows if r.id == report_id), None)
        if row is not None:
            self._own_saves.add(report_id)
            self.core.bus.publish(ReportChanged(report_id, row.command_id))
            updated = ReportRow(
                row.id,
                row.command_id,
                row.agent_id,
                row.agent_name,
                title,
                doc.summary,
                ReportStatus(doc.status),
                doc.content(),
                row.created_at,
                now,
                completed,
            )
            self.model.update_row(self.model.rows.index(row), updated)

    # --- export -----------------------------------------------------------------------------------

    def _current_doc(self) -> ReportDoc | None:
        self.editor.flush()
        return self.editor.doc

    def export_current(self, fmt: str) -> None:
        doc = self._current_doc()
        if doc is None:
            self.info.setText("Select a report to export")
            return
        suggested = str(Path.home() / (safe_filename(doc.title) + FORMATS[fmt]))
        path, _ = QFileDialog.getSaveFileName(self, f"Export report as {fmt}", suggested)
        if path:
            self.run(self.export_to(doc, Path(path), fmt))

    async def export_to(self, doc: ReportDoc, path: Path, fmt: str) -> bool:
        """Write ``doc`` to ``path`` (off the loop: the disk may be slow or gone)."""
        data = rendered(doc, fmt)
        try:
            await asyncio.get_running_loop().run_in_executor(None, path.write_bytes, data)
        except OSError as exc:
            self.info.setText(f"Could not export: {exc.strerror or exc}")
            return False
        self.info.setText(f"Exported to {path}")
        return True

    def export_all(self, fmt: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Export all listed reports as {fmt}")
        if folder:
            self.run(self.export_all_to(Path(folder), fmt))

    async def export_all_to(self, folder: Path, fmt: str) -> int | None:
        """Every listed report into ``folder``, with progress; None if cancelled."""
        self.editor.flush()
        docs = [doc_of(r) for r in self.model.rows]
        names: set[str] = set()
        targets = []
        for doc in docs:
            name = safe_filename(doc.title)
            while name in names:
                name += "-1"
            names.add(name)
            targets.append((doc, folder / (name + FORMATS[fmt])))
        if fmt == "PDF":
            # Qt lays out text on the UI thread: one report per loop turn keeps the window alive.
            loop = asyncio.get_running_loop()
            dialog = QProgressDialog("Exporting reports as PDF", "Cancel", 0, len(targets), self)
            dialog.setWindowModality(Qt.WindowModality.NonModal)  # see progress.py
            dialog.setMinimumDuration(300)
            done: int | None = len(targets)
            for i, (doc, path) in enumerate(targets):
                if dialog.wasCanceled():
                    done = None
                    break
                dialog.setValue(i)
                data = pdf_bytes(doc)
                try:
                    await loop.run_in_executor(None, path.write_bytes, data)
                except OSError as exc:
                    dialog.close()
                    dialog.deleteLater()
                    self.info.setText(f"Could not export: {exc.strerror or exc}")
                    return None
            dialog.close()
            dialog.deleteLater()
        else:

            def work(progress: Progress) -> int:
                for i, (doc, path) in enumerate(targets):
                    progress.set(i, len(targets), f"Exporting {doc.title[:60]}")
                    path.write_bytes(rendered(doc, fmt))
                return len(targets)

            done = await run_with_progress(self, f"Exporting reports as {fmt}", work)
        self.info.setText(
            "Export cancelled" if done is None else f"Exported {done} reports to {folder}"
        )
        return done

    def _open_command(self) -> None:
        row = next((r for r in self.model.rows if r.id == self.current), None)
        if row is not None and callable(self.open_history):
            self.open_history(row.command_id)
