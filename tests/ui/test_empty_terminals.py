"""An empty terminal (the All tab before any output, a fresh or offline agent's tab) says what
will appear there instead of showing a blank black pane; the first output replaces the text."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from onsembl_desktop.protocol.enums import AgentStatus
from onsembl_desktop.ui.terminal_views.terminal_view import TerminalView
from tests.ui.conftest import Ui, UiRun, until

SHOTS = Path("/tmp/onsembl-shots")


def _inked(view: TerminalView, name: str) -> int:
    """Pixels in the middle band of the view that are not the background (text drawn there)."""
    SHOTS.mkdir(exist_ok=True)
    shot = view.viewport().grab()
    shot.save(str(SHOTS / f"{name}.png"))
    image = shot.toImage().convertToFormat(QImage.Format.Format_RGB32)
    background = QColor(view.scheme.background & 0xFFFFFF).rgb() | 0xFF000000
    ratio = image.devicePixelRatio()
    mid = int(image.height() / 2)
    band = range(max(0, mid - int(20 * ratio)), min(image.height(), mid + int(20 * ratio)))
    return sum(
        1 for y in band for x in range(0, image.width(), 2) if image.pixel(x, y) != background
    )


def shown(view: TerminalView) -> bool:
    return view.placeholder_shown


def test_empty_terminals_say_what_will_appear(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        ui.start_agent("sh2")
        sh1, sh2 = await ui.online("sh1", "sh2")
        await ui.stop_agent(ui.agents[1])
        await until(lambda: w.core.agents.get(sh2.id).status is AgentStatus.OFFLINE)  # type: ignore[union-attr]

        # The All tab before any output.
        w.show_all()
        all_view = w.terminals.all_panel.view
        w.clock.tick()
        assert all_view.placeholder == (
            "Output of every agent appears here, each line marked by its agent"
        )
        assert _inked(all_view, "all-empty") > 0 and shown(all_view)

        # A fresh agent's tab, and an offline one's.
        w.open_terminal(sh1.id)
        view = w.terminals.panels[sh1.id].view
        w.clock.tick()
        assert view.placeholder == "No output yet from sh1 — send it a command from the bar below"
        assert _inked(view, "sh1-empty") > 0 and shown(view)
        w.open_terminal(sh2.id)
        offline = w.terminals.panels[sh2.id].view
        w.clock.tick()
        assert offline.placeholder.startswith("No output yet from sh2 — it is offline")
        assert _inked(offline, "sh2-offline") > 0 and shown(offline)

        # The first output replaces it, in the agent's tab and in the All tab.
        w.open_terminal(sh1.id)
        w.command_bar.set_targets([sh1.id])
        w.command_bar.edit.setPlainText("echo hello")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        term = w.hub.get(sh1.id).terminal
        await until(lambda: any("hello" in line for line in term.display()))
        await until(lambda: not view.engine_empty())
        w.clock.tick()
        assert _inked(view, "sh1-output") == 0 and not shown(view)
        assert any("hello" in line for line in term.display())
        w.show_all()
        await until(lambda: not all_view.engine_empty())
        w.clock.tick()
        assert _inked(all_view, "all-output") == 0 and not shown(all_view)

        # Cleared, the terminal is empty again and says so once more.
        w.open_terminal(sh1.id)
        w.hub.clear(sh1.id)
        w.clock.tick()
        assert view.engine_empty()
        assert _inked(view, "sh1-cleared") > 0 and shown(view)

    ui_run(body)
