"""Several agents at once: select two cards, send to both, watch the All view and the split view."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from onsembl_desktop.ui.models.agent_model import AGENT_ROLE
from tests.ui.conftest import Ui, UiRun, until


def _tagged(lines: list[str], name: str, text: str) -> bool:
    return any(line.startswith(name) and line.endswith(text) for line in lines)


def test_send_to_two_agents_all_view_filter_and_split(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("alpha")
        ui.start_agent("beta")
        alpha, beta = await ui.online("alpha", "beta")
        await until(lambda: w.agents_panel.proxy.rowCount() == 2)

        # Click the first card, Ctrl+click the second: both are the command's targets.
        view = w.agents_panel.list
        await asyncio.sleep(0.1)  # let the list lay out its new rows
        view.doItemsLayout()
        rects = [view.visualRect(w.agents_panel.proxy.index(r, 0)) for r in range(2)]
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rects[0].center())
        QTest.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            rects[1].center(),
        )
        assert w.agents_panel.selected_ids() == [alpha.id, beta.id]
        assert w.command_bar.targets() == ([alpha.id, beta.id], False)
        assert "2 agents" in w.command_bar.target.text()

        w.command_bar.edit.setPlainText("echo from-$(basename $PWD)-done")
        QTest.mouseClick(w.command_bar.button, Qt.MouseButton.LeftButton)
        assert "Sent to alpha, beta" in w.command_bar.feedback.text()

        all_term = w.terminals.all.terminal

        def lines() -> list[str]:
            return all_term.history_text() + all_term.display()

        await until(
            lambda: _tagged(lines(), "alpha", "-done") and _tagged(lines(), "beta", "-done")
        )
        # Each line carries its agent's tag (in the agent type's colour).
        tagged = [line for line in lines() if line.strip()]
        assert all(line.split()[0] in ("alpha", "beta") for line in tagged)

        # Filter the All view to beta only.
        w.show_all()
        w.terminals.set_all_filter({beta.id})
        assert "beta" in w.terminals.filter_button.text()
        assert _tagged(lines(), "beta", "-done")
        assert not any(line.startswith("alpha") for line in lines())
        w.terminals.set_all_filter(None)
        assert _tagged(lines(), "alpha", "-done")

        # Split view: both agents side by side (the selected ones).
        w.set_split(False)
        w.terminals.split_agents.clear()
        w.menus.split_action.trigger()
        assert w.terminals.split_active
        assert set(w.terminals.split_panels) == {alpha.id, beta.id}
        for agent in (alpha, beta):
            panel = w.terminals.split_panels[agent.id]
            assert panel.isVisible()
            assert agent.name in panel.title.text()
            assert panel.view.terminal is w.hub.get(agent.id).terminal
        # Both panes paint the same engines as the tabs do (one engine, several views).
        w.clock.tick()
        shot = w.terminals.split.grab()
        assert shot.width() > 400
        # Ctrl+Shift+D leaves the split view.
        QTest.keyClick(
            w,
            Qt.Key.Key_D,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        assert not w.terminals.split_active

        # A card's context menu offers the agent's actions.
        index = w.agents_panel.proxy.index(0, 0)
        assert index.data(AGENT_ROLE).name == "alpha"
        from PySide6.QtWidgets import QMenu

        menu = QMenu()
        w.agent_actions.fill_menu(menu, [alpha.id])
        texts = [a.text() for a in menu.actions()]
        for wanted in (
            "Open terminal",
            "Pause queue (hold the running command)",
            "Stop agent",
            "Restart agent",
        ):
            assert wanted in texts
        del menu

    ui_run(body)
