"""The queue page (reorder by drag and keys, priority, cancel, pause) and the emergency stop."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from onsembl_desktop.core.commands import CommandError
from onsembl_desktop.protocol.enums import AgentStatus, CommandStatus
from onsembl_desktop.ui.pages.queue_page import QueuePage
from onsembl_desktop.ui.widgets.agent_card import status_words
from onsembl_desktop.ui.window.emergency import EmergencySummaryDialog
from tests.ui.conftest import Ui, UiRun, until


def test_queue_reorder_priority_cancel_and_pause(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        bar = w.command_bar
        for text in ("sleep 30", "echo first", "echo second", "echo third"):
            bar.edit.setPlainText(text)
            QTest.keyClick(bar.edit, Qt.Key.Key_Return)
        assert "Queued for sh1 (busy, #3)" in bar.feedback.text()

        page = w.page("Queue")
        assert isinstance(page, QueuePage)
        w.show_page(page)

        def contents() -> list[str]:
            return [r.entry.command.content for r in page.model.rows]

        await until(lambda: contents() == ["sleep 30", "echo first", "echo second", "echo third"])
        assert page.model.data(page.model.index(0, 0)) == "▶"
        assert page.summary.text().startswith("1 running · 3 waiting")

        # Drag "echo third" onto "echo first": it moves to position 1 (through the model's
        # drag-and-drop API, as the view calls it).
        mime = page.model.mimeData([page.model.index(3, 0)])
        page.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, page.model.index(1, 0))
        await until(lambda: contents()[1:] == ["echo third", "echo first", "echo second"])

        # Alt+Down moves the selected entry one place later.
        page.table.setFocus()
        page.table.selectRow(1)
        QTest.keyClick(page.table, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
        await until(lambda: contents()[1:] == ["echo first", "echo third", "echo second"])

        # Priority edited in place re-sorts: "echo second" at 90 runs next.
        page.model.setData(page.model.index(3, 4), 90)
        await until(lambda: contents()[1] == "echo second")
        assert page.model.data(page.model.index(1, 4)) == "90"

        # Delete cancels the selected entry on that agent.
        page.table.selectRow(3)
        QTest.keyClick(page.table, Qt.Key.Key_Delete)
        await until(lambda: len(contents()) == 3)
        assert "echo third" not in contents()

        # Pause the agent's queue: the running command is held, nothing new starts.
        page.show_agent(agent.id)
        QTest.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
        await until(lambda: page.pause_button.text() == "Resume queue")
        assert w.core.agents.get(agent.id).paused  # type: ignore[union-attr]
        assert "(paused)" in page.model.data(page.model.index(1, 1))
        QTest.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
        await until(lambda: page.pause_button.text() == "Pause queue")

        # Cancel the running one: the agent stops it and runs the rest.
        rest = [r.entry.command.id for r in page.model.rows[1:]]
        running = page.model.rows[0].entry.command.id
        page.table.selectRow(0)
        QTest.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        for command_id in (running, *rest):
            await until(
                lambda c=command_id: w.core.commands.get(c).status.is_final  # type: ignore[union-attr]
            )
        assert w.core.commands.get(running).status is CommandStatus.CANCELLED  # type: ignore[union-attr]
        assert all(
            w.core.commands.get(c).status is CommandStatus.COMPLETED  # type: ignore[union-attr]
            for c in rest
        )
        await until(lambda: not page.model.rows)
        assert page.empty.isVisible()

    ui_run(body)


def test_emergency_stop_says_what_it_stopped_and_resumes(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("alpha")
        ui.start_agent("beta")
        alpha, beta = await ui.online("alpha", "beta")
        w.command_bar.set_targets([alpha.id, beta.id])
        w.command_bar.edit.setPlainText("sleep 30")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        w.command_bar.set_targets([alpha.id])
        w.command_bar.edit.setPlainText("echo later")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        await until(
            lambda: all(
                w.core.agents.get(a.id).current_command_id is not None  # type: ignore[union-attr]
                for a in (alpha, beta)
            )
        )
        button = w.menus.emergency_button
        assert button.isVisible() and "Emergency stop" in button.text()
        assert w.menus.emergency_action.shortcut().toString() == "Ctrl+Shift+X"
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

        dialog = w.emergency.dialog
        assert isinstance(dialog, EmergencySummaryDialog)
        stopped = [dialog.stopped.item(i).text() for i in range(dialog.stopped.count())]
        assert sorted(stopped) == ["alpha: sleep 30", "beta: sleep 30"]
        assert w.emergency.banner.isVisible()
        assert "Emergency stop in force" in w.emergency.banner.text.text()
        await until(
            lambda: all(
                w.core.agents.get(a.id).current_command_id is None  # type: ignore[union-attr]
                for a in (alpha, beta)
            ),
            within=5,
        )
        # A new command now waits, and says why.
        w.command_bar.set_targets([beta.id])
        w.command_bar.edit.setPlainText("echo after")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        assert "emergency stop: queues paused" in w.command_bar.feedback.text()

        waiting = {c.content: c.id for c in w.core.commands.open_commands()}
        assert {"echo later", "echo after"} <= set(waiting)

        QTest.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
        await until(lambda: not w.emergency.banner.isVisible())
        for content in ("echo later", "echo after"):
            command_id = waiting[content]
            await until(
                lambda c=command_id: (
                    w.core.commands.get(c).status  # type: ignore[union-attr]
                    is CommandStatus.COMPLETED
                )
            )

    ui_run(body)


def test_queue_says_an_entry_waits_for_its_offline_agent(ui_run: UiRun) -> None:
    """A command sent to an agent that left waits for the agent, not for its turn: the queue
    says so (plain "waiting" read as if it were stuck behind something)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        sh1 = ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        await ui.stop_agent(sh1)
        await until(lambda: w.core.agents.get(agent.id).status is not AgentStatus.ONLINE)  # type: ignore[union-attr]
        w.command_bar.set_targets([agent.id])
        w.command_bar.edit.setPlainText("echo when back")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        assert "offline — runs when it reconnects" in w.command_bar.feedback.text()

        page = w.page("Queue")
        assert isinstance(page, QueuePage)
        w.show_page(page)
        await until(lambda: len(page.model.rows) == 1)
        status = page.model.data(page.model.index(0, 5))
        assert status == "waiting · agent offline"
        # Opened in History, its output says it has not run yet (not "no output stored").
        queued = page.model.rows[0].entry.command.id
        w.open_command(queued)
        history = w.page("History")
        view = history.detail.view
        await until(lambda: "waiting in its queue" in "\n".join(view.terminal.display()))
        w.show_page(page)

        # An emergency stop pauses it too: its card says both, the notice counts in words.
        w.emergency.stop()
        offline = w.core.agents.get(agent.id)
        assert offline is not None and offline.paused
        assert status_words(offline) == "OFFLINE · PAUSED"
        assert w.statusBar().currentMessage() == (
            "Emergency stop: 0 running commands stopped, 1 queue paused until you resume them."
        )
        if w.emergency.dialog is not None:
            w.emergency.dialog.reject()
        w.emergency.resume()
        assert w.statusBar().currentMessage() == "1 queue resumed."

        # Back online, it runs.
        ui.start_agent("sh1")
        await ui.online("sh1")
        await until(lambda: not page.model.rows)

    ui_run(body)


def test_queue_cancel_needs_a_selection_and_its_error_stays(ui_run: UiRun) -> None:
    """Cancel selected is off with nothing selected, and a cancel the core refuses says why
    (the reload right after it rewrote the summary, so the message was never seen)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        await ui.online("sh1")
        bar = w.command_bar
        for text in ("sleep 30", "echo waiting"):
            bar.edit.setPlainText(text)
            QTest.keyClick(bar.edit, Qt.Key.Key_Return)
        page = w.page("Queue")
        assert isinstance(page, QueuePage)
        w.show_page(page)
        await until(lambda: len(page.model.rows) == 2)
        assert not page.cancel_button.isEnabled()
        page.table.selectRow(1)
        assert page.cancel_button.isEnabled()

        def refuse(command_id: object, agent_id: object = None) -> None:
            raise CommandError("it has just started")

        real = w.core.queues.cancel
        w.core.queues.cancel = refuse  # type: ignore[method-assign]
        try:
            QTest.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
            await asyncio.sleep(0.3)  # the reload it asked for has run
        finally:
            w.core.queues.cancel = real  # type: ignore[method-assign]
        assert page.problem.text() == "Could not cancel “echo waiting”: it has just started"
        assert page.summary.text().startswith("1 running · 1 waiting")
        # The next action that works clears it.
        page.table.selectRow(1)
        QTest.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(page.model.rows) == 1)
        assert page.problem.text() == ""

    ui_run(body)


def test_queue_edits_the_core_refuses_say_why_and_restore_the_view(ui_run: UiRun) -> None:
    """A priority change or a drag on an entry that is no longer waiting (it started or ended
    since the page drew it) used to fail silently: now the red line says why and the page
    shows the queue as it is."""

    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        bar = w.command_bar
        for text in ("sleep 30", "echo first", "echo second"):
            bar.edit.setPlainText(text)
            QTest.keyClick(bar.edit, Qt.Key.Key_Return)
        page = w.page("Queue")
        assert isinstance(page, QueuePage)
        w.show_page(page)

        def contents() -> list[str]:
            return [r.entry.command.content for r in page.model.rows]

        await until(lambda: contents() == ["sleep 30", "echo first", "echo second"])
        first, second = page.model.rows[1].entry.command, page.model.rows[2].entry.command

        # "echo second" leaves the queue before the page hears of it; then it is dragged.
        w.core.queues.cancel(second.id, agent.id)
        mime = page.model.mimeData([page.model.index(2, 0)])
        page.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, page.model.index(1, 0))
        assert page.problem.text().startswith("Could not move “echo second”: ")
        await until(lambda: contents() == ["sleep 30", "echo first"])  # restored
        assert page.problem.text().startswith("Could not move")  # still said after the reload

        # "echo first" is cancelled too, then its priority is edited from the stale row.
        w.core.queues.cancel(first.id, agent.id)
        assert not page.model.setData(page.model.index(1, page.model.PRIORITY), 90)
        assert page.problem.text().startswith("Could not change the priority of “echo first”: ")
        await until(lambda: contents() == ["sleep 30"])
        page.grab().save("/tmp/onsembl-shots/queue-refused.png")

        # The next edit that works clears it.
        bar.edit.setPlainText("echo third")
        QTest.keyClick(bar.edit, Qt.Key.Key_Return)
        await until(lambda: contents() == ["sleep 30", "echo third"])
        assert page.model.setData(page.model.index(1, page.model.PRIORITY), 70)
        assert page.problem.text() == ""

    ui_run(body)
