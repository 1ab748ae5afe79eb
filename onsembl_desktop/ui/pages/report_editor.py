"""The report editor: title, status, summary, sections, findings and recommendations.

Every edit updates the editor's :class:`ReportDoc` and starts a short timer; when the user pauses,
``save`` fires with the whole document, so the database (not the widgets) holds the report.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...protocol.enums import ReportStatus
from ..presentation.report_export import PRIORITIES, SEVERITIES, ReportDoc

SAVE_DELAY_MS = 600


class ReportEditor(QWidget):
    save = Signal(object)  # the ReportDoc, after the user paused typing
    saved_text = "Saved"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: ReportDoc | None = None
        self.dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.flush)

        self.title = QLineEdit()
        self.title.setAccessibleName("Report title")
        self.status = QComboBox()
        self.status.setAccessibleName("Report status")
        for s in ReportStatus:
            self.status.addItem(s.value.replace("_", " ").title(), s.value)
        self.state = QLabel("")
        self.state.setAccessibleName("Save state")
        self.summary = QPlainTextEdit()
        self.summary.setAccessibleName("Report summary")
        self.summary.setTabChangesFocus(True)

        self.section_list = QListWidget()
        self.section_list.setAccessibleName("Sections")
        self.section_title = QLineEdit()
        self.section_title.setAccessibleName("Section title")
        self.section_body = QPlainTextEdit()
        self.section_body.setAccessibleName("Section text")
        self.section_body.setTabChangesFocus(True)
        add_section = QPushButton("Add section")
        remove_section = QPushButton("Remove section")
        add_section.clicked.connect(self._add_section)
        remove_section.clicked.connect(self._remove_section)
        sections = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.section_list)
        row = QHBoxLayout()
        row.addWidget(add_section)
        row.addWidget(remove_section)
        ll.addLayout(row)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.section_title)
        rl.addWidget(self.section_body)
        sections.addWidget(left)
        sections.addWidget(right)
        sections.setSizes([180, 420])

        self.findings = self._table(("Severity", "Finding", "Evidence (one per line)"), "Findings")
        self.recommendations = self._table(("Priority", "Action", "Rationale"), "Recommendations")

        self.tabs = QTabWidget()
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(sections, "Sections")
        self.tabs.addTab(self._with_buttons(self.findings, "finding"), "Findings")
        self.tabs.addTab(
            self._with_buttons(self.recommendations, "recommendation"), "Recommendations"
        )

        form = QFormLayout()
        form.addRow("&Title", self.title)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status)
        status_row.addStretch(1)
        status_row.addWidget(self.state)
        status_label = QLabel("&Status")
        status_label.setBuddy(self.status)
        form.addRow(status_label, status_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.tabs, 1)

        self.title.textEdited.connect(lambda _t: self._edited())
        self.status.activated.connect(lambda _i: self._edited())
        self.summary.textChanged.connect(self._edited)
        self.section_list.currentRowChanged.connect(self._show_section)
        self.section_title.textEdited.connect(self._section_edited)
        self.section_body.textChanged.connect(self._section_edited)
        self.findings.itemChanged.connect(lambda _i: self._edited())
        self.recommendations.itemChanged.connect(lambda _i: self._edited())
        self.load(None)

    # --- building ---------------------------------------------------------------------------------

    def _table(self, headers: tuple[str, ...], name: str) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.setAccessibleName(name)
        table.verticalHeader().hide()
        table.setWordWrap(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        return table

    def _with_buttons(self, table: QTableWidget, noun: str) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(table)
        row = QHBoxLayout()
        add = QPushButton(f"Add {noun}")
        remove = QPushButton(f"Remove {noun}")
        add.clicked.connect(lambda: self._add_row(table))
        remove.clicked.connect(lambda: self._remove_row(table))
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def _choice(self, table: QTableWidget, row: int, values: tuple[str, ...], value: str) -> None:
        combo = QComboBox()
        combo.addItems(list(values))
        combo.setCurrentText(value if value in values else values[len(values) // 2])
        header = table.horizontalHeaderItem(0)
        combo.setAccessibleName(header.text() if header is not None else "")
        combo.currentTextChanged.connect(lambda _t: self._edited())
        table.setCellWidget(row, 0, combo)

    # --- loading ----------------------------------------------------------------------------------

    def load(self, doc: ReportDoc | None) -> None:
        """Show ``doc`` (None: nothing selected). Pending edits of the previous one are saved."""
        self.flush()
        self.doc = doc
        self.setEnabled(doc is not None)
        self.summary.setPlaceholderText(
            "Select a report on the left to read and edit it."
            if doc is None
            else "No summary yet: write one here (saved as you type)."
        )
        blockers = [
            QSignalBlocker(w)
            for w in (
                self.title,
                self.status,
                self.summary,
                self.section_list,
                self.section_title,
                self.section_body,
                self.findings,
                self.recommendations,
            )
        ]
        d = doc or ReportDoc("", "", ReportStatus.DRAFT.value)
        self.title.setText(d.title)
        self.status.setCurrentIndex(max(0, self.status.findData(d.status)))
        self.summary.setPlainText(d.summary)
        self.section_list.clear()
        for s in d.sections:
            self.section_list.addItem(str(s.get("title", "")) or "(untitled)")
        self._fill_table(
            self.findings,
            SEVERITIES,
            [
                (
                    str(f.get("severity", "info")),
                    str(f.get("description", "")),
                    "\n".join(str(e) for e in (f.get("evidence") or [])),
                )
                for f in d.findings
            ],
        )
        self._fill_table(
            self.recommendations,
            PRIORITIES,
            [
                (
                    str(r.get("priority", "medium")),
                    str(r.get("action", "")),
                    str(r.get("rationale", "")),
                )
                for r in d.recommendations
            ],
        )
        del blockers
        self.section_list.setCurrentRow(0 if d.sections else -1)
        self._show_section(self.section_list.currentRow())
        self.dirty = False
        self.state.setText("")

    def _fill_table(
        self, table: QTableWidget, choices: tuple[str, ...], rows: list[tuple[str, str, str]]
    ) -> None:
        table.setRowCount(0)
        table.setRowCount(len(rows))
        for i, (choice, a, b) in enumerate(rows):
            self._choice(table, i, choices, choice)
            table.setItem(i, 1, QTableWidgetItem(a))
            table.setItem(i, 2, QTableWidgetItem(b))
        table.resizeRowsToContents()

    # --- editing ----------------------------------------------------------------------------------

    def _edited(self) -> None:
        if self.doc is None:
            return
        d = self.doc
        d.title = self.title.text()
        d.status = str(self.status.currentData())
        d.summary = self.summary.toPlainText()
        d.findings = [
            {
                "severity": self._choice_of(self.findings, r),
                "description": self._cell(self.findings, r, 1),
                "evidence": [e for e in self._cell(self.findings, r, 2).splitlines() if e.strip()],
            }
            for r in range(self.findings.rowCount())
        ]
        d.recommendations = [
            {
                "priority": self._choice_of(self.recommendations, r),
                "action": self._cell(self.recommendations, r, 1),
                "rationale": self._cell(self.recommendations, r, 2),
            }
            for r in range(self.recommendations.rowCount())
        ]
        self.dirty = True
        self.state.setText("Editing…")
        self._timer.start()

    def _cell(self, table: QTableWidget, row: int, col: int) -> str:
        item = table.item(row, col)
        return item.text() if item is not None else ""

    def _choice_of(self, table: QTableWidget, row: int) -> str:
        widget = table.cellWidget(row, 0)
        return widget.currentText() if isinstance(widget, QComboBox) else ""

    def _show_section(self, row: int) -> None:
        with QSignalBlocker(self.section_title), QSignalBlocker(self.section_body):
            if self.doc is None or not 0 <= row < len(self.doc.sections):
                self.section_title.setText("")
                self.section_body.setPlainText("")
                self.section_title.setEnabled(False)
                self.section_body.setEnabled(False)
                return
            section = self.doc.sections[row]
            self.section_title.setEnabled(True)
            self.section_body.setEnabled(True)
            self.section_title.setText(str(section.get("title", "")))
            self.section_body.setPlainText(str(section.get("content", "")))

    def _section_edited(self, *_args: object) -> None:
        row = self.section_list.currentRow()
        if self.doc is None or not 0 <= row < len(self.doc.sections):
            return
        section = self.doc.sections[row]
        section["title"] = self.section_title.text()
        section["content"] = self.section_body.toPlainText()
        item = self.section_list.item(row)
        if item is not None:
            item.setText(section["title"] or "(untitled)")
        self._edited()

    def _add_section(self) -> None:
        if self.doc is None:
            return
        self.doc.sections.append({"title": "New section", "content": "", "type": "text"})
        self.section_list.addItem("New section")
        self.section_list.setCurrentRow(len(self.doc.sections) - 1)
        self.section_title.setFocus()
        self.section_title.selectAll()
        self._edited()

    def _remove_section(self) -> None:
        row = self.section_list.currentRow()
        if self.doc is None or not 0 <= row < len(self.doc.sections):
            return
        del self.doc.sections[row]
        self.section_list.takeItem(row)
        self._show_section(self.section_list.currentRow())
        self._edited()

    def _add_row(self, table: QTableWidget) -> None:
        row = table.rowCount()
        with QSignalBlocker(table):
            table.insertRow(row)
            choices = SEVERITIES if table is self.findings else PRIORITIES
            self._choice(table, row, choices, "medium")
            table.setItem(row, 1, QTableWidgetItem(""))
            table.setItem(row, 2, QTableWidgetItem(""))
        table.setCurrentCell(row, 1)
        item = table.item(row, 1)
        if item is not None:
            table.editItem(item)
        self._edited()

    def _remove_row(self, table: QTableWidget) -> None:
        row = table.currentRow()
        if row >= 0:
            table.removeRow(row)
            self._edited()

    def flush(self) -> None:
        """Save now if there are unsaved edits."""
        self._timer.stop()
        if self.dirty and self.doc is not None:
            self.dirty = False
            self.state.setText(self.saved_text)
            self.save.emit(self.doc)
