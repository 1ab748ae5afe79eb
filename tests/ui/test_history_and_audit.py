"""History (full-text search, filters, one command opened) and the audit log (filters, CSV)."""

from __future__ import annotations

import asyncio
import csv
import sys
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from onsembl_desktop.core.audit import DEMO_ORIGIN, acting_as
from onsembl_desktop.protocol.enums import CommandStatus
from onsembl_desktop.store.archive import ARCHIVE_DIR
from onsembl_desktop.store.retention import run_cleanup
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.ui.dialogs.archives_dialog import ArchivesDialog
from onsembl_desktop.ui.pages.audit_page import AuditPage
from onsembl_desktop.ui.pages.history_page import HistoryPage
from tests.support import env_for_children
from tests.ui.conftest import Ui, UiRun, until


def test_history_search_filters_and_detail(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        await ui.online("sh1")
        ids = []
        for text in ("echo zebra-crossing", "echo nothing-special", "false"):
            info = w.send(w.command_bar.request(text))  # type: ignore[arg-type]
            assert info is not None
            ids.append(info.id)
        for command_id in ids:
            await until(lambda c=command_id: w.core.commands.get(c).status.is_final)  # type: ignore[union-attr]

        page = w.page("History")
        assert isinstance(page, HistoryPage)
        w.show_page(page)
        await until(lambda: len(page.model.rows) == 3)
        assert page.count.text() == "3 commands"

        # Full text: a word that is only in one command's output (and text).
        QTest.keyClicks(page.search, "zebra")
        QTest.keyClick(page.search, Qt.Key.Key_Return)
        await until(lambda: [r.content for r in page.model.rows] == ["echo zebra-crossing"])
        assert page.model.rows[0].lines  # the matching output line
        page.search.clear()
        QTest.keyClick(page.search, Qt.Key.Key_Return)
        await until(lambda: len(page.model.rows) == 3)

        # Filter by status: the failed one.
        page.status.setCurrentIndex(page.status.findData(CommandStatus.FAILED))
        await until(lambda: [r.content for r in page.model.rows] == ["false"])
        page.status.setCurrentIndex(0)
        await until(lambda: len(page.model.rows) == 3)
        # By date: nothing is older than the last hour.
        page.period.period.setCurrentText("Between…")
        page.period.date_to.setDate(page.period.date_to.date().addDays(-3))
        await until(lambda: not page.model.rows)
        page.period.period.setCurrentText("Today")
        await until(lambda: len(page.model.rows) == 3)

        # Open one: its stored output, its (empty) traces and report.
        row = next(i for i, r in enumerate(page.model.rows) if r.content == "echo zebra-crossing")
        page.table.selectRow(row)
        detail = page.detail
        await until(lambda: detail.detail is not None and detail.detail.command.id == ids[0])
        assert "echo zebra-crossing" in detail.heading.text()
        assert "completed" in detail.heading.text()
        await until(lambda: "zebra-crossing" in "\n".join(detail.view.terminal.display()))
        assert detail.tabs.tabText(1) == "Traces (0)"
        assert detail.tabs.tabText(2) == "Report (none)"
        # Nothing to open: the buttons that would open it are off.
        assert not detail.open_traces.isEnabled() and not detail.edit_report.isEnabled()

        # A search that leaves the open command out closes it (its output beside a list it is
        # not in read as a match), and an empty result says so.
        page.search.setText("nothing-special")
        QTest.keyClick(page.search, Qt.Key.Key_Return)
        await until(lambda: [r.content for r in page.model.rows] == ["echo nothing-special"])
        assert detail.detail is None
        assert detail.heading.text().startswith("Select a command")
        page.search.setText("no-such-word-anywhere")
        QTest.keyClick(page.search, Qt.Key.Key_Return)
        await until(lambda: not page.model.rows)
        assert page.count.text() == "No command matches"
        # A search that keeps it keeps it open.
        page.search.clear()
        QTest.keyClick(page.search, Qt.Key.Key_Return)
        await until(lambda: len(page.model.rows) == 3)
        page.table.selectRow(row)
        await until(lambda: detail.detail is not None and detail.detail.command.id == ids[0])
        page.search.setText("zebra")
        QTest.keyClick(page.search, Qt.Key.Key_Return)
        await until(lambda: len(page.model.rows) == 1)
        assert detail.detail is not None and detail.detail.command.id == ids[0]

    ui_run(body)


def test_audit_filters_export_and_archive_restore(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        info = w.send(w.command_bar.request("echo audited"))  # type: ignore[arg-type]
        assert info is not None
        await until(lambda: w.core.commands.get(info.id).status.is_final)  # type: ignore[union-attr]

        page = w.page("Audit")
        assert isinstance(page, AuditPage)
        w.show_page(page)
        await until(lambda: len(page.model.rows) >= 3)
        kinds = {r.event_type for r in page.model.rows}
        assert {"AGENT_CONNECT", "COMMAND_SENT", "COMMAND_COMPLETED"} <= kinds

        page.event_type.setCurrentIndex(page.event_type.findData("COMMAND_SENT"))
        await until(lambda: {r.event_type for r in page.model.rows} == {"COMMAND_SENT"})
        page.event_type.setCurrentIndex(0)
        page.agent.setCurrentIndex(page.agent.findData(agent.id))
        await until(
            lambda: page.model.rows and all(r.agent_id == agent.id for r in page.model.rows)
        )
        page.agent.setCurrentIndex(0)
        QTest.keyClicks(page.command, str(info.id))
        QTest.keyClick(page.command, Qt.Key.Key_Return)
        await until(
            lambda: page.model.rows and all(r.command_id == info.id for r in page.model.rows)
        )
        page.table.selectRow(0)
        assert str(info.id) in page.detail.toPlainText()
        selected = page.model.rows[0].id

        # New events reload the list: the event being read stays selected and shown.
        page.command.clear()
        QTest.keyClick(page.command, Qt.Key.Key_Return)
        await until(lambda: any(r.command_id != info.id for r in page.model.rows))
        row = next(i for i, r in enumerate(page.model.rows) if r.id == selected)
        page.table.selectRow(row)
        count = len(page.model.rows)
        later = w.send(w.command_bar.request("echo later"))  # type: ignore[arg-type]
        assert later is not None
        await until(lambda: len(page.model.rows) > count)
        chosen = page.table.selectionModel().selectedRows()
        assert [page.model.rows[i.row()].id for i in chosen] == [selected]
        assert str(info.id) in page.detail.toPlainText()
        # Filters that leave it out let it go.
        page.event_type.setCurrentIndex(page.event_type.findData("AGENT_CONNECT"))
        await until(lambda: {r.event_type for r in page.model.rows} == {"AGENT_CONNECT"})
        assert page.detail.toPlainText() == ""
        page.event_type.setCurrentIndex(0)
        # Not an id: nothing is listed (all events would read as the filter's result).
        QTest.keyClicks(page.command, "not-an-id")
        QTest.keyClick(page.command, Qt.Key.Key_Return)
        await until(lambda: not page.model.rows)
        assert "is not a command id" in page.info.text()
        assert await page.export_to(ui.tmp / "bad.csv") is None
        # The first 8 characters, as the Command column shows them, are enough.
        page.command.clear()
        QTest.keyClicks(page.command, str(info.id)[:8])
        QTest.keyClick(page.command, Qt.Key.Key_Return)
        await until(
            lambda: page.model.rows and all(r.command_id == info.id for r in page.model.rows)
        )
        page.command.clear()
        QTest.keyClicks(page.command, "000000000000")  # matches no command (p = 2^-48)
        QTest.keyClick(page.command, Qt.Key.Key_Return)
        await until(lambda: page.info.text() == "No command id starts with 000000000000")
        assert not page.model.rows
        page.command.clear()
        QTest.keyClicks(page.command, str(info.id))
        QTest.keyClick(page.command, Qt.Key.Key_Return)
        await until(
            lambda: page.model.rows and all(r.command_id == info.id for r in page.model.rows)
        )

        out = ui.tmp / "audit.csv"
        written = await page.export_to(out)
        with out.open() as f:
            rows = list(csv.DictReader(f))
        assert written == len(rows) >= 2
        assert all(r["command_id"] == str(info.id) for r in rows)

        # Archived output: archive and delete the outputs as the retention job would in
        # 100 days, then restore them from the Archived output dialog.
        engine = w.core.store.engine
        archive_dir = ui.data_dir / ARCHIVE_DIR
        await w.core.store.flush()
        later = utcnow() + timedelta(days=100)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, run_cleanup, engine, archive_dir, later)
        w.dialogs.open_archives()
        dialog = w.dialog
        assert isinstance(dialog, ArchivesDialog)
        await dialog.listed  # listed off the loop
        assert dialog.list.count() >= 1 and dialog.restore_button.isEnabled()
        dialog.list.selectAll()
        results = await dialog.restore_selected()
        assert results is not None and sum(r.restored for r in results) >= 1
        assert "Restored" in dialog.status.text()
        dialog.reject()

    ui_run(body)


def test_a_long_search_failure_never_widens_the_window(ui_run: UiRun) -> None:
    """ "Search failed: …" carries the database's words, which can be long: it is cut to the
    room the row gives it, whole in the tooltip (a plain label widened the window)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        page = w.page("History")
        assert isinstance(page, HistoryPage)
        w.show_page(page)
        await until(lambda: page.count.text() != "")
        before = w.minimumSizeHint().width()
        error = "database disk image is malformed: " + "page 12345 of table output_fts, " * 12
        real = w.core.store.read

        async def failing(*_args: object, **_kw: object) -> object:
            raise RuntimeError(error)

        w.core.store.read = failing  # type: ignore[method-assign]
        try:
            page.refine()
            await until(lambda: page.busy.text().startswith("Search failed"))
        finally:
            w.core.store.read = real  # type: ignore[method-assign]
        assert page.busy.text() == f"Search failed: {error}"
        assert page.busy.toolTip() == f"Search failed: {error}"
        assert QLabel.text(page.busy).endswith("…")  # what shows is cut
        assert page.busy.width() > 100  # and something of it shows
        assert w.minimumSizeHint().width() == before
        page.grab().save("/tmp/onsembl-shots/history-failed.png")

    ui_run(body)


def test_audit_says_who_did_it_and_its_details_in_words(ui_run: UiRun) -> None:
    """The By column names who or what did each thing — the window's user, onsembl ctl, the
    demo, the agent — and Details reads "key: value", whole in its tooltip and in the pane."""

    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        await ui.online("sh1")
        info = w.send(w.command_bar.request("echo from-the-window"))  # type: ignore[arg-type]
        assert info is not None
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "onsembl_desktop",
            "ctl",
            "--data-dir",
            str(ui.data_dir),
            "send",
            "--agent",
            "sh1",
            "echo from-ctl",
            stdout=asyncio.subprocess.PIPE,
            env=env_for_children(),
        )
        await proc.communicate()
        assert proc.returncode == 0
        with acting_as(DEMO_ORIGIN):  # as the demo sends its prompts
            w.core.commands.submit("echo from-the-demo", agent_ids=[info.runs[0].agent_id])
        commands = w.core.commands._commands.values()
        await until(lambda: sum(1 for c in commands if c.status.is_final) == 3)

        page = w.page("Audit")
        assert isinstance(page, AuditPage)
        w.show_page(page)
        col = {c.title: i for i, c in enumerate(page.model.columns)}

        def rows(event: str) -> dict[str, tuple[str, str, str]]:
            found = {}
            for r, row in enumerate(page.model.rows):
                if row.event_type == event:
                    cell = page.model.index(r, col["Details"])
                    by = page.model.index(r, col["By"]).data()
                    found[str(row.details.get("content", row.command_id))] = (
                        by,
                        cell.data(),
                        cell.data(Qt.ItemDataRole.ToolTipRole),
                    )
            return found

        await until(lambda: len(rows("COMMAND_SENT")) == len(rows("COMMAND_COMPLETED")) == 3)
        sent = rows("COMMAND_SENT")
        assert {k: v[0] for k, v in sent.items()} == {
            "echo from-the-window": "you",
            "echo from-ctl": "onsembl ctl",
            "echo from-the-demo": "the demo",
        }
        _by, line, tip = sent["echo from-ctl"]
        assert line.startswith("content: echo from-ctl · ") and "type: natural" in line
        assert "{" not in line and '"' not in line  # words, not JSON
        assert "priority: 50" in tip.splitlines() and "targets: 1" in tip.splitlines()
        assert {v[0] for v in rows("COMMAND_COMPLETED").values()} == {"sh1"}  # it reported it
        page.table.selectRow(0)
        assert "by       " in page.detail.toPlainText() and "{" not in page.detail.toPlainText()

    ui_run(body)
