"""An agent's terminal view: scrollback, follow, find, select and copy, clear, redraw, input."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from onsembl_desktop.ui.presentation import terminal_doc as doc
from tests.ui.conftest import Ui, UiRun, until


def test_scroll_find_select_copy_clear_redraw(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        w.command_bar.edit.setPlainText("seq 1 300 | sed 's/^/line-/'")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        term = w.hub.get(agent.id).terminal
        await until(lambda: any("completed" in line for line in term.display()))
        w.open_terminal(agent.id)
        panel = w.terminals.panels[agent.id]
        view = panel.view
        w.clock.tick()
        assert view.following
        assert doc.document_lines(term) > 300

        # Scroll back with the wheel: following stops, the panel says so; End resumes it.
        view.setFocus()
        for _ in range(5):
            QTest.keyClick(view, Qt.Key.Key_PageUp)
        assert not view.following
        assert "not following" in panel.status.text()
        assert not panel.follow_action.isChecked()
        QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
        assert view.following and panel.follow_action.isChecked()

        # Find: Ctrl+F opens the bar; typing finds; Enter goes to the next match.
        QTest.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert panel.find_bar.isVisible()
        QTest.keyClicks(panel.find_bar.edit, "line-15")
        # line-15 and line-150..159: 11 matches
        assert panel.find_bar.count.text().endswith("of 11")
        first = panel.find_bar.current
        QTest.keyClick(panel.find_bar.edit, Qt.Key.Key_Return)
        assert panel.find_bar.current == (first + 1) % 11
        match = panel.find_bar.matches[panel.find_bar.current]
        assert view.top_line() <= match.line < view.top_line() + view.visible_rows()
        assert not view.following  # looking at an older line
        QTest.keyClick(panel.find_bar.edit, Qt.Key.Key_Escape)
        assert not panel.find_bar.isVisible()

        # Select with the mouse and copy as plain text.
        view.set_following(True)
        top = view.top_line()
        target = next(
            i for i in range(top, top + view.visible_rows()) if doc.line_text(term, i) == "line-299"
        )
        y = (target - top) * view.cell_h + view.cell_h // 2
        vp = view.viewport()
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(1, y))
        QTest.mouseMove(vp, QPoint(view.cell_w * 20, y + view.cell_h))
        QTest.mouseRelease(
            vp, Qt.MouseButton.LeftButton, pos=QPoint(view.cell_w * 20, y + view.cell_h)
        )
        assert view.selected_text() == "line-299\nline-300"
        QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        assert QGuiApplication.clipboard().text() == "line-299\nline-300"
        # Double-click selects a word.
        QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(view.cell_w * 2, y))
        assert view.selected_text() == "line-299"

        # Clear empties the view; Redraw rebuilds it from the stored output.
        panel.clear_action.trigger()
        assert not any(line.strip() for line in term.display())
        panel.redraw_action.trigger()
        await until(
            lambda: any(line == "line-300" for line in term.history_text() + term.display())
        )

    ui_run(body)


def test_typing_into_a_running_shell_command(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        w.command_bar.edit.setPlainText("read answer; echo got-$answer")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        w.open_terminal(agent.id)
        panel = w.terminals.panels[agent.id]
        view = panel.view
        await until(lambda: view.input_enabled)  # a command runs in the agent's terminal
        assert "typing goes to the agent" in panel.status.text()
        view.setFocus()
        QTest.keyClicks(view, "hello")
        QTest.keyClick(view, Qt.Key.Key_Return)
        term = w.hub.get(agent.id).terminal
        await until(lambda: any(line == "got-hello" for line in term.display()))
        await until(lambda: not view.input_enabled)  # done: keys scroll again

    ui_run(body)


def test_interactive_agent_gets_keys_and_the_view_size(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("tty", "shell", "--interactive", SHELL="/bin/sh")
        (agent,) = await ui.online("tty")
        assert agent.interactive
        w.open_terminal(agent.id)
        panel = w.terminals.panels[agent.id]
        view = panel.view
        assert view.input_enabled  # an interactive agent always takes keys
        w.send(w.command_bar.request("echo session-open"))  # opens the session
        term = w.hub.get(agent.id).terminal

        def screen() -> str:
            return "\n".join(term.history_text() + term.display())

        await until(lambda: "session-open" in screen().replace("echo session-open", ""))
        # The view's size went to the agent (TERMINAL_RESIZE) and to the engine.
        await until(lambda: (term.cols, term.rows) == view.grid_size())
        view.setFocus()
        QTest.keyClicks(view, "stty size; echo typed-$((2+3))")
        QTest.keyClick(view, Qt.Key.Key_Return)
        cols, rows = view.grid_size()
        await until(lambda: "typed-5" in screen().replace("$((2+3))", ""))
        assert f"{rows} {cols}" in screen()
        QTest.keyClicks(view, "exit")
        QTest.keyClick(view, Qt.Key.Key_Return)
        await until(lambda: w.core.agents.get(agent.id).current_command_id is None)  # type: ignore[union-attr]

    ui_run(body)
