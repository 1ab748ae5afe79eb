"""One command in full: its output per agent (in a terminal view), its trace tree, its reports."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QItemSelection, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ...core.state import Tokens
from ...core.transcript import footer, header
from ...terminal import Terminal
from ..presentation.numbers import count, duration, tokens_tip, when_tip
from ..presentation.reads import CommandDetail, ReportRow, TraceNode
from ..presentation.report_export import ReportDoc, to_html
from ..terminal_views.terminal_panel import TerminalPanel
from ..terminal_views.terminal_view import TerminalView
from ..theme import status_color
from ..widgets.common import text_pane
from .trace_widgets import NODE_ROLE, build_tree, detail_text


class CommandDetailView(QWidget):
    openReport = Signal(object)  # report id
    openTraces = Signal(object)  # command id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: CommandDetail | None = None
        self.heading = QLabel("Select a command to see its output, traces and report.")
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName("Command summary")

        self.agent = QComboBox()
        self.agent.setAccessibleName("Output of agent")
        self.agent.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.agent.setMinimumContentsLength(12)
        self.agent.currentIndexChanged.connect(self._show_output)
        self.view = TerminalView(Terminal(cols=120, rows=40, scrollback=100_000))
        self.view.setAccessibleName("Stored output")
        self.output = TerminalPanel(self.view)
        self.output.layout().itemAt(0).layout().insertWidget(0, self.agent)  # type: ignore[union-attr]

        self.tree_model = QStandardItemModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setAccessibleName("Trace tree of the command")
        self.tree.selectionModel().selectionChanged.connect(self._node_selected)
        self.node_text = text_pane("Trace entry details")
        self.node_text.setPlaceholderText("Select an entry to see its prompt, arguments or result.")
        traces = QSplitter()
        traces.addWidget(self.tree)
        traces.addWidget(self.node_text)
        traces.setSizes([600, 400])
        self.open_traces = open_traces = QPushButton("Open in Traces")
        open_traces.clicked.connect(self._open_traces)
        traces_box = QWidget()
        tl = QVBoxLayout(traces_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(traces, 1)
        tl.addWidget(open_traces)

        self.report = QTextBrowser()
        self.report.setAccessibleName("Report of the command")
        self.report_id: uuid.UUID | None = None
        self.edit_report = edit_report = QPushButton("Edit in Reports")
        edit_report.clicked.connect(self._open_report)
        report_box = QWidget()
        rl = QVBoxLayout(report_box)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.report, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(edit_report)
        rl.addLayout(row)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.output, "Output")
        self.tabs.addTab(traces_box, "Traces")
        self.tabs.addTab(report_box, "Report")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        self.clear()

    def clear(self) -> None:
        """Nothing open: say how to open something, and offer nothing to act on."""
        self.detail = None
        self.heading.setText("Select a command to see its output, traces and report.")
        self.agent.blockSignals(True)
        self.agent.clear()
        self.agent.blockSignals(False)
        self.view.set_terminal(Terminal(cols=120, rows=40, scrollback=100_000))
        self.tree_model.clear()
        self.node_text.setPlainText("")
        self.tabs.setTabText(1, "Traces")
        self.open_traces.setEnabled(False)
        self.report_id = None
        self.tabs.setTabText(2, "Report")
        self.report.setHtml("")
        self.edit_report.setEnabled(False)

    def _open_traces(self) -> None:
        if self.detail is not None:
            self.openTraces.emit(self.detail.command.id)

    def _open_report(self) -> None:
        if self.report_id is not None:
            self.openReport.emit(self.report_id)

    def show_detail(self, detail: CommandDetail | None) -> None:
        self.detail = detail
        self.agent.blockSignals(True)
        self.agent.clear()
        if detail is None:
            self.heading.setText("This command is no longer stored.")
            self.agent.blockSignals(False)
            return
        c = detail.command
        color = status_color(c.status).name()
        tokens = sum((_run_tokens(r) for r in detail.runs), Tokens())
        ran = ""
        if c.started_at is not None and c.completed_at is not None:
            ran = f" · ran {duration((c.completed_at - c.started_at).total_seconds())}"
        self.heading.setText(
            f"<b>{_escape(c.content.strip().splitlines()[0] if c.content.strip() else '')}</b><br>"
            f"{c.type.value.title()} · <span style='color:{color}'>{c.status.value.lower()}</span>"
            f" · {when_tip(c.created_at)} · priority {c.priority}"
            + (f" · {count(tokens.total)} tokens" if tokens.total else "")
            + ran
            + (f"<br>{_escape(c.error)}" if c.error else "")
        )
        self.heading.setToolTip(tokens_tip(tokens) if tokens.total else "")
        for run in detail.runs:
            self.agent.addItem(run.agent_name, run.agent_id)
        self.agent.blockSignals(False)
        self._show_output()
        build_tree(self.tree_model, detail.nodes)
        self.tree.expandAll()
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, header.count()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tabs.setTabText(1, f"Traces ({len(detail.nodes)})")
        self.open_traces.setEnabled(bool(detail.nodes))
        self.node_text.setPlainText("")
        self._show_report(detail.reports[0] if detail.reports else None)

    def _show_output(self) -> None:
        detail = self.detail
        if detail is None:
            return
        agent_id = self.agent.currentData()
        r = next((r for r in detail.runs if r.agent_id == agent_id), None)
        engine = Terminal(cols=120, rows=40, scrollback=100_000)
        if r is not None:
            engine.feed(header(detail.command.content, r.started_at))
            engine.feed(detail.output.get(agent_id, "") or f"\x1b[2m({_no_output(r)})\x1b[0m\r\n")
            if r.status.is_final:
                engine.feed(footer(r.status, r.exit_code, r.error, r.started_at, r.completed_at))
        self.view.set_terminal(engine)
        self.view.set_following(True)

    def _node_selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        indexes = selected.indexes()
        node = indexes[0].data(NODE_ROLE) if indexes else None
        if isinstance(node, TraceNode):
            self.node_text.setPlainText(detail_text(node))

    def _show_report(self, row: ReportRow | None) -> None:
        self.report_id = row.id if row else None
        self.tabs.setTabText(2, "Report" if row else "Report (none)")
        self.edit_report.setEnabled(row is not None)
        if row is None:
            self.report.setHtml("<p>This command has no report.</p>")
            return
        doc = ReportDoc.of(row.title, row.summary, row.status.value, row.content, row.agent_name)
        self.report.setHtml(to_html(doc))


def _run_tokens(r: Any) -> Tokens:
    """A stored run's tokens (the figures its card and transcript show)."""
    return Tokens(
        int(r.input_tokens or 0),
        int(r.output_tokens or 0),
        int(r.cached_tokens or 0),
        int(r.total_tokens or 0),
        r.cost_usd,
    )


def _no_output(run: Any) -> str:  # a command_runs row
    """Why a run shows no output: it has not started (or never will), or it printed nothing."""
    if run.started_at is not None:
        return "no output stored"
    if not run.status.is_final:
        return "waiting in its queue: not run yet"
    return f"{run.status.value.lower()} before it ran: no output"


def _escape(text: str) -> str:
    import html

    return html.escape(text)
