"""Traces (tree, details, timeline, totals) and reports (list, editor that saves, export)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from onsembl_desktop.protocol.enums import CommandStatus, CommandType
from onsembl_desktop.store.models import InvestigationReport
from onsembl_desktop.ui.pages.reports_page import ReportsPage
from onsembl_desktop.ui.pages.trace_widgets import NODE_ROLE, Timeline, bar_color, on_color
from onsembl_desktop.ui.pages.traces_page import TracesPage
from onsembl_desktop.ui.presentation.reads import TraceNode
from onsembl_desktop.ui.theme import apply_theme
from tests.agent_adapters.samples import STREAMS
from tests.ui.conftest import Ui, UiRun, until
from tests.ui.test_accessibility import _contrast

SAMPLE = STREAMS / "claude/agentclisdk-1760716800040-2-analysis-extracted.jsonl"


def test_traces_tree_details_timeline_and_totals(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("cl1", "claude", ONSEMBL_STANDIN_SAMPLE=str(SAMPLE))
        (agent,) = await ui.online("cl1")
        info = w.send(w.command_bar.request("count the TypeScript lines"))  # type: ignore[arg-type]
        assert info is not None
        await until(lambda: w.core.commands.get(info.id).status is CommandStatus.COMPLETED)  # type: ignore[union-attr]

        page = w.page("Traces")
        assert isinstance(page, TracesPage)
        w.show_page(page)
        await until(lambda: page.commands.rows)
        row = page.commands.rows[0]
        assert row.id == info.id and row.agents == "cl1"
        # Its tokens are its run's, the figure of its card and its transcript's last line.
        run = w.core.commands.get(info.id).runs[0]  # type: ignore[union-attr]
        assert row.tokens == run.tokens and row.tokens.total == 78_392
        table = page.commands_table
        tokens_col = [c.title for c in page.commands.columns].index("Tokens")
        assert table.model().index(0, tokens_col).data() == "78.4k"
        tip = table.model().index(0, tokens_col).data(Qt.ItemDataRole.ToolTipRole)
        assert "78,392 tokens" in tip
        page.commands_table.selectRow(0)
        await until(lambda: page.tree_model.rowCount() == 1)
        assert "3 tool calls" in page.summary.text()
        assert "78.4k tokens" in page.summary.text() and "ran " in page.summary.text()
        assert "78,392 tokens" in page.summary.toolTip()
        # Find the Bash tool call in the tree and look at it.
        items = [page._items[n.id] for n in page.nodes if n.type == "TOOL_CALL"]
        assert [i.text() for i in items] == ["Glob", "Bash", "Bash"]
        page.tree.setCurrentIndex(items[1].index())
        text = page.detail.toPlainText()
        assert "tool call (TOOL_CALL)" in text
        assert "wc -l" in text or "find" in text  # the command the tool ran
        assert page.timeline.selected == items[1].data(NODE_ROLE).id
        # Clicking a bar in the timeline selects its node in the tree.
        QTest.mouseClick(
            page.timeline,
            Qt.MouseButton.LeftButton,
            pos=page.timeline.rect().topLeft() + _row(page, 0),
        )
        assert page.tree.currentIndex().data(NODE_ROLE).parent_id is None
        # Totals per agent over the listed commands.
        assert page.totals.rows[0].agent == "cl1"
        assert page.totals.rows[0].tokens.total == 78_392
        # Filtering by agent keeps it; the agent filter lists agents.
        assert page.agent.findData(agent.id) > 0

    ui_run(body)


def test_traces_totals_count_each_agents_own_share(ui_run: UiRun) -> None:
    """A broadcast to a claude and a shell agent: only the claude agent traced anything, so the
    shell agent has no entries and no tokens in the totals (they were counted for every target)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("cl1", "claude", ONSEMBL_STANDIN_SAMPLE=str(SAMPLE))
        ui.start_agent("sh1")
        cl1, sh1 = await ui.online("cl1", "sh1")
        page = w.page("Traces")
        assert isinstance(page, TracesPage)
        w.show_page(page)
        # Nothing traced yet: the empty page says where traces come from.
        await until(lambda: page.summary.text().startswith("No traces yet"))

        req = w.command_bar.request("echo everyone", agents=(), broadcast=True)
        info = w.send(req)  # type: ignore[arg-type]
        assert info is not None and len(info.runs) == 2
        await until(lambda: w.core.commands.get(info.id).status.is_final)  # type: ignore[union-attr]
        await until(lambda: page.commands.rows)
        assert page.summary.text().startswith("Select a command")
        page.search.setText("zzz")
        assert page.summary.text() == "No traced command matches “zzz”."
        page.search.clear()
        assert page.commands.rows[0].agents == "cl1, sh1"
        totals = {t.agent: t for t in page.totals.rows}
        assert set(totals) == {"cl1"}
        assert totals["cl1"].tokens.total == 78_392 and totals["cl1"].calls == 12
        assert totals["cl1"].commands == 1

        # Shown for one agent, the totals are that agent's only.
        page.show_agent(cl1.id)
        await until(lambda: page.agent.currentData() == cl1.id and page.commands.rows)
        assert [t.agent for t in page.totals.rows] == ["cl1"]

        # The open command goes when a filter leaves it out (its tree stayed beside an empty
        # list), and comes back when opened from History whatever the filters were.
        page.commands_table.selectRow(0)
        await until(lambda: page.tree_model.rowCount() == 1)
        page.search.setText("zzz")
        assert page.current is None and page.tree_model.rowCount() == 0
        assert not page.timeline.rows and page.summary.text().startswith("No traced command")
        page.agent.setCurrentIndex(page.agent.findData(sh1.id))
        w.open_traces(info.id)
        await until(lambda: page.tree_model.rowCount() == 1)
        assert page.current == info.id and page.agent.currentData() is None
        assert page.search.text() == ""

    ui_run(body)


def _row(page: TracesPage, row: int) -> object:
    from PySide6.QtCore import QPoint

    return QPoint(20, 20 + row * page.timeline.ROW + 4)


def test_report_edit_saves_as_you_type_and_exports(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("cl1", "claude")
        await ui.online("cl1")
        req = w.command_bar.request("look into the build", type=CommandType.INVESTIGATE)
        info = w.send(req)  # type: ignore[arg-type]
        assert info is not None
        await until(lambda: w.core.commands.get(info.id).status.is_final)  # type: ignore[union-attr]

        page = w.page("Reports")
        assert isinstance(page, ReportsPage)
        w.show_page(page)
        await until(lambda: page.model.rows)
        report = page.model.rows[0]
        assert report.command_id == info.id
        editor = page.editor
        # Nothing selected: the empty editor says what to do, and there is no command to open.
        assert editor.summary.placeholderText().startswith("Select a report")
        assert not page.open_command.isEnabled()
        page.table.selectRow(0)
        await until(lambda: editor.doc is not None)
        assert page.open_command.isEnabled()

        # Type a new title and a finding: the editor saves once the user pauses.
        editor.title.setFocus()
        editor.title.selectAll()
        QTest.keyClicks(editor.title, "Build investigation")
        assert editor.state.text() == "Editing…"
        editor.tabs.setCurrentIndex(2)
        editor._add_row(editor.findings)
        editor.findings.item(0, 1).setText("The cache is cold on CI")

        def stored() -> tuple[str, dict] | None:  # type: ignore[type-arg]
            with w.core.store.engine.connect() as conn:
                row = conn.execute(
                    select(InvestigationReport.title, InvestigationReport.content).where(
                        InvestigationReport.id == report.id
                    )
                ).first()
            return (row.title, row.content) if row else None

        await until(
            lambda: (s := stored()) is not None and s[0] == "Build investigation", within=10
        )
        _title, content = stored()  # type: ignore[misc]
        assert content["findings"][0]["description"] == "The cache is cold on CI"
        assert editor.state.text() == "Saved"
        assert page.model.rows[0].title == "Build investigation"

        # Export in every format.
        for fmt, suffix in (
            ("Markdown", ".md"),
            ("HTML", ".html"),
            ("JSON", ".json"),
            ("PDF", ".pdf"),
        ):
            path = ui.tmp / f"report{suffix}"
            assert await page.export_to(editor.doc, path, fmt)  # type: ignore[arg-type]
            assert path.stat().st_size > 100, fmt
        assert (ui.tmp / "report.md").read_text().startswith("# Build investigation")
        assert "The cache is cold on CI" in (ui.tmp / "report.html").read_text()
        assert json.loads((ui.tmp / "report.json").read_text())["title"] == "Build investigation"
        assert (ui.tmp / "report.pdf").read_bytes().startswith(b"%PDF")
        assert (ui.tmp / "report.pdf").read_bytes().rstrip().endswith(b"%%EOF")  # complete
        # A folder that is not there: said, not raised.
        missing = ui.tmp / "missing" / "report.md"
        assert not await page.export_to(editor.doc, missing, "Markdown")  # type: ignore[arg-type]
        assert page.info.text().startswith("Could not export")
        # Export of every listed report (with progress) into a folder.
        folder = ui.tmp / "all"
        folder.mkdir()
        assert await page.export_all_to(folder, "Markdown") == 1
        assert [p.name for p in folder.iterdir()] == ["Build-investigation.md"]
        pdfs = ui.tmp / "pdfs"
        pdfs.mkdir()
        assert await page.export_all_to(pdfs, "PDF") == 1
        assert (pdfs / "Build-investigation.pdf").read_bytes().startswith(b"%PDF")

        # Search narrows the list.
        QTest.keyClicks(page.search, "nothing-like-this")
        await until(lambda: not page.model.rows)
        page.search.clear()
        await until(lambda: len(page.model.rows) == 1)

    ui_run(body)


def _node(name: str, start_s: float, end_s: float, parent: TraceNode | None = None) -> TraceNode:
    t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    return TraceNode(
        id=uuid.uuid4(),
        parent_id=parent.id if parent else None,
        agent_id=uuid.UUID(int=1),
        agent_name="cl1",
        type="TOOL_CALL" if parent else "LLM_PROMPT",
        name=name,
        content={},
        started_at=t0 + timedelta(seconds=start_s),
        completed_at=t0 + timedelta(seconds=end_s),
        duration_ms=int((end_s - start_s) * 1000),
        tokens_used=None,
        error=None,
        metadata=None,
    )


def test_timeline_labels_never_cover_bars(qapp: QApplication) -> None:
    """A bar near the right edge has its label on its left (it was drawn over the bars from
    the left edge); a bar across the whole axis has it inside, in a colour readable on it."""
    root = _node("model turn: count the TypeScript lines", 0, 10)
    nodes = [
        root,
        _node("Read src/index.ts", 0.5, 2, root),
        _node("Bash: find . -name '*.ts' | xargs wc -l", 9.2, 10, root),
        _node("Grep: export default", 9.8, 10, root),
    ]
    try:
        for theme in ("dark", "light"):
            apply_theme(qapp, theme)
            timeline = Timeline()
            timeline.resize(520, 120)
            timeline.set_nodes(nodes)
            rows = {r.node.name: r for r in timeline.layout_rows()}
            for r in rows.values():
                assert r.label.left() >= 0 and r.label.right() < timeline.width(), r.text
                assert r.text.strip(), r.node.name
                if r.inside:
                    assert r.label.right() <= r.bar.right()
                else:
                    assert not r.label.intersects(r.bar.adjusted(0, -2, 0, 2)), r.node.name
            near_end = rows["Bash: find . -name '*.ts' | xargs wc -l"]
            assert near_end.label.right() < near_end.bar.left()  # on its left
            assert near_end.text == near_end.node.name  # whole
            assert rows["Read src/index.ts"].label.left() > rows["Read src/index.ts"].bar.right()
            whole = rows[root.name]
            assert whole.inside and _contrast(on_color(bar_color(root)), bar_color(root)) >= 4.5
            timeline.grab().save(f"/tmp/onsembl-shots/timeline-{theme}.png")
    finally:
        apply_theme(qapp, "dark")
