"""The window against a real in-process app and real agent processes, driven by real key presses."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from onsembl_desktop.protocol.enums import AgentStatus
from onsembl_desktop.terminal import Attr
from tests.ui.conftest import Ui, UiRun, until


def test_agent_appears_and_command_streams_into_its_terminal(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        window = ui.window
        assert window.terminal_stack.currentWidget() is window.welcome  # how to connect
        assert "--token" in window.welcome.command.text()
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        await until(lambda: window.model.rowCount() == 1)
        assert window.terminal_stack.currentWidget() is window.terminals
        assert window.model.data(window.model.index(0, 0)) == "sh1"
        assert window.model.data(window.model.index(0, 2)) == "ONLINE"
        assert window.model.data(window.model.index(0, 3)) == "IDLE"
        assert window.agents_label.text() == "1 of 1 agents online · 0 busy"

        edit = window.command_bar.edit
        edit.setFocus()
        QTest.keyClicks(edit, 'printf "\\033[31mred\\033[0m\\n"; echo done')
        QTest.keyClick(edit, Qt.Key.Key_Return)
        assert edit.toPlainText() == ""  # sent, box cleared
        assert "Sent to sh1" in window.command_bar.feedback.text()

        term = window.hub.get(agent.id).terminal
        await until(lambda: any(line.startswith("done") for line in term.display()))
        await until(lambda: any("completed" in line for line in term.display()))
        rows = term.display()
        red_row = next(i for i, line in enumerate(rows) if line == "red")
        runs = term.row_runs(red_row)
        assert runs[0].text == "red" and runs[0].fg == 1  # ANSI red kept
        assert not runs[0].attrs & Attr.BOLD
        # The view painted it: grab the widget and find red pixels.
        window.open_terminal(agent.id)
        view = window.terminals.panels[agent.id].view
        window.clock.tick()
        image = view.viewport().grab().toImage()
        reds = sum(
            1
            for x in range(0, min(image.width(), 300))
            for y in range(0, min(image.height(), 300))
            if (c := image.pixelColor(x, y)).red() > 150 and c.green() < 80 and c.blue() < 80
        )
        assert reds > 5

    ui_run(body)


def test_command_to_offline_agent_says_queued(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        window = ui.window
        agent = ui.start_agent("sh1")
        await ui.online("sh1")
        await ui.stop_agent(agent)
        await until(lambda: window.model.agent(0).status is AgentStatus.OFFLINE)
        window.command_bar.edit.setPlainText("echo later")
        QTest.mouseClick(window.command_bar.button, Qt.MouseButton.LeftButton)
        text = window.command_bar.feedback.text()
        assert "Queued for sh1 (offline — runs when it reconnects, #1)" in text
        assert window.model.data(window.model.index(0, 4)) == "1"  # queue length shown

    ui_run(body)
