"""The window against a real in-process app and a real agent process, driven by real key presses."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from onsembl_desktop.app import AppConfig, OnsemblApp
from onsembl_desktop.protocol.enums import AgentStatus
from onsembl_desktop.terminal import Attr
from onsembl_desktop.ui.main_window import MainWindow
from tests.support import AgentProcess
from tests.ui.conftest import until


def _window(app: OnsemblApp, data_dir: Path) -> MainWindow:
    assert app.core is not None
    settings = QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)
    return MainWindow(app.core, app.url, "onsembl-agent ...", settings)


def test_agent_appears_and_command_streams_into_its_terminal(
    qloop: asyncio.AbstractEventLoop, qtbot: QtBot, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"

    async def body() -> None:
        app = OnsemblApp(AppConfig(data_dir=data_dir, port=0, heartbeat_interval_s=1))
        await app.start()
        window = _window(app, data_dir)
        qtbot.addWidget(window)
        window.show()
        assert window.stack.currentWidget() is window.welcome  # no agent yet: how to connect
        agent = AgentProcess(app.url, app_token(data_dir), "sh1", log_path=tmp_path / "a.log")
        agent.start()
        try:
            await until(
                lambda: (
                    window.model.rowCount() == 1
                    and window.model.agent(0).status is AgentStatus.ONLINE
                )
            )
            assert window.stack.currentWidget() is window.tabs
            assert window.model.data(window.model.index(0, 0)) == "sh1"
            assert window.model.data(window.model.index(0, 2)) == "ONLINE"
            assert window.model.data(window.model.index(0, 3)) == "IDLE"

            edit = window.command_bar.edit
            edit.setFocus()
            QTest.keyClicks(edit, 'printf "\\033[31mred\\033[0m\\n"; echo done')
            QTest.keyClick(edit, Qt.Key.Key_Return)
            assert edit.toPlainText() == ""  # sent, box cleared
            assert "Sent to sh1" in window.command_bar.feedback.text()

            term = window.hub.get(window.model.agent(0).id).terminal
            await until(lambda: any(line.startswith("done") for line in term.display()))
            await until(lambda: any("completed" in line for line in term.display()))
            rows = term.display()
            red_row = next(i for i, line in enumerate(rows) if line == "red")
            runs = term.row_runs(red_row)
            assert runs[0].text == "red" and runs[0].fg == 1  # ANSI red kept
            assert not runs[0].attrs & Attr.BOLD
            # The view painted it: grab the widget and find red pixels.
            view = window.views[window.model.agent(0).id]
            window._tick()
            image = view.viewport().grab().toImage()
            reds = sum(
                1
                for x in range(0, min(image.width(), 200))
                for y in range(0, min(image.height(), 200))
                if (c := image.pixelColor(x, y)).red() > 150 and c.green() < 80 and c.blue() < 80
            )
            assert reds > 5
        finally:
            await stop_agent(agent)
            window.close()
            await app.stop()

    qloop.run_until_complete(body())


def test_command_to_offline_agent_says_queued(
    qloop: asyncio.AbstractEventLoop, qtbot: QtBot, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"

    async def body() -> None:
        app = OnsemblApp(AppConfig(data_dir=data_dir, port=0, heartbeat_interval_s=1))
        await app.start()
        window = _window(app, data_dir)
        qtbot.addWidget(window)
        agent = AgentProcess(app.url, app_token(data_dir), "sh1", log_path=tmp_path / "a.log")
        agent.start()
        try:
            await until(
                lambda: (
                    window.model.rowCount() == 1
                    and window.model.agent(0).status is AgentStatus.ONLINE
                )
            )
            await stop_agent(agent)
            await until(lambda: window.model.agent(0).status is AgentStatus.OFFLINE)
            window.command_bar.edit.setPlainText("echo later")
            QTest.mouseClick(window.command_bar.button, Qt.MouseButton.LeftButton)
            text = window.command_bar.feedback.text()
            assert "Queued for sh1 (offline, #1)" in text
            assert window.model.data(window.model.index(0, 4)) == "1"  # queue length shown
        finally:
            await stop_agent(agent)
            window.close()
            await app.stop()

    qloop.run_until_complete(body())


def app_token(data_dir: Path) -> str:
    return (data_dir / "agent_token").read_text().strip()


async def stop_agent(agent: AgentProcess) -> None:
    # Off the loop: the agent waits for the app (on this loop) to acknowledge its last output.
    await asyncio.get_running_loop().run_in_executor(None, agent.stop)
