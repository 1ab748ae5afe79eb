"""Settings, shortcuts, about, notifications, layout persistence, and adding a local agent."""

from __future__ import annotations

import asyncio
import re
import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QWidget

from onsembl_desktop import __version__
from onsembl_desktop.protocol.enums import AgentStatus, AgentType
from onsembl_desktop.ui.dialogs import add_agent_dialog
from onsembl_desktop.ui.dialogs.add_agent_dialog import AddAgentDialog
from onsembl_desktop.ui.dialogs.common import AboutDialog, ShortcutsDialog
from onsembl_desktop.ui.dialogs.settings_dialog import SettingsDialog
from onsembl_desktop.ui.theme import LIGHT_TERMINAL
from tests.ui.conftest import Ui, UiRun, new_window, until


def test_settings_apply_theme_font_and_persist(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        await ui.activate()
        QTest.keyClick(w, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)  # Ctrl+,
        dialog = w.dialog
        assert isinstance(dialog, SettingsDialog)
        assert dialog.token.echoMode() == dialog.token.EchoMode.Password
        assert dialog.token.text() == "T"  # from the agent command line
        dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
        dialog.font_size.setValue(13)
        dialog.port.setValue(9999)
        dialog.notify.setChecked(False)
        dialog.accept()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        window_color = app.palette().color(QPalette.ColorRole.Window)
        assert window_color.lightness() > 200  # light theme applied
        view = w.terminals.all_panel.view
        assert view.scheme is LIGHT_TERMINAL
        assert view.font().pointSize() == 13
        s = w.settings
        assert (s.theme, s.font_size, s.gateway_port, s.notifications) == (
            "light",
            13,
            9999,
            False,
        )
        from onsembl_desktop.ui.theme import apply_theme

        apply_theme(app, "dark")

    ui_run(body)


def test_shortcuts_about_and_layout_persistence(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        await ui.activate()
        QTest.keyClick(w, Qt.Key.Key_F1)
        shortcuts = w.dialog
        assert isinstance(shortcuts, ShortcutsDialog)
        table = shortcuts.table
        rows = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
        assert rows["Emergency stop"] == "Ctrl+Shift+X"
        assert rows["Find in output"] == "Ctrl+F"
        assert rows["Queue"] == "Ctrl+2"
        shortcuts.reject()
        w.dialogs.show_about()
        assert isinstance(w.dialog, AboutDialog)
        assert __version__ in w.dialog.version.text()
        w.dialog.reject()

        # Every page has its shortcut.
        QTest.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        assert w.pages.currentWidget() is w.page("Traces")

        ui.start_agent("sh1")
        ui.start_agent("sh2")
        sh1, sh2 = await ui.online("sh1", "sh2")
        w.resize(780, 560)  # within the offscreen screen, so restoreGeometry keeps it
        await asyncio.sleep(0.05)
        w.splitter.setSizes([300, 480])
        sizes = w.splitter.sizes()
        w.terminals._close_tab(w.terminals.tabs.indexOf(w.terminals.panels[sh1.id]))
        history = w.page("History")
        history.table.horizontalHeader().resizeSection(2, 222)
        w.show_page(history)
        w.close()

        again = new_window(ui.app, ui.data_dir)
        ui.qtbot.addWidget(again)
        again.show()
        try:
            assert again.splitter.sizes() == sizes
            assert again.pages.currentWidget() is again.page("History")
            assert sh1.id not in again.terminals.panels  # the closed tab stays closed
            assert sh2.id in again.terminals.panels
            assert again.page("History").table.horizontalHeader().sectionSize(2) == 222
            again.open_terminal(sh1.id)  # reopens it
            assert sh1.id in again.terminals.panels
        finally:
            again.close()

    ui_run(body)


def test_notification_when_a_command_finishes_unwatched(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        await ui.online("sh1")
        elsewhere = QWidget()  # the user works in another window
        ui.qtbot.addWidget(elsewhere)
        elsewhere.show()
        elsewhere.activateWindow()
        await until(lambda: QApplication.activeWindow() is elsewhere)
        ok = w.send(w.command_bar.request("echo fine"))
        bad = w.send(w.command_bar.request("exit 3"))
        assert ok is not None and bad is not None
        await until(lambda: len(w.notifier.sent) == 2)
        assert w.notifier.sent[0] == ("Completed on sh1", "echo fine")
        assert w.notifier.sent[1][0] == "Failed on sh1"
        assert w.windowTitle() == "Onsembl Desktop"  # nothing busy now

    ui_run(body)


def test_add_a_local_agent_the_app_launches(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        QTest.mouseClick(w.agents_panel.add_button, Qt.MouseButton.LeftButton)
        dialog = w.dialog
        assert isinstance(dialog, AddAgentDialog)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        # The connect tab only shows a command line: one Close, no Cancel beside it.
        dialog.tabs.setCurrentIndex(1)
        assert ok.text() == "Close" and cancel.isHidden()
        dialog.tabs.setCurrentIndex(0)
        assert ok.text() == "Launch" and not cancel.isHidden()
        QTest.keyClicks(dialog.name, "bad name!")
        dialog.accept()
        assert "1 to 64 letters" in dialog.problem.text()
        dialog.name.clear()
        QTest.keyClicks(dialog.name, "local1")
        dialog.type.setCurrentIndex(dialog.type.findData(AgentType.SHELL))
        dialog.cwd.setText(str(ui.tmp))
        dialog.accept()
        (agent,) = await ui.online("local1", within=20)
        assert agent.status is AgentStatus.ONLINE
        local = w.core.control.local
        assert local is not None and local.is_local("local1")
        await until(lambda: w.model.stats(agent.id).local == "local")  # shown on its card
        # Stop it from the menu's action: the supervisor does not restart it.
        w.agent_actions.each_async([agent], w.core.control.stop)
        await until(lambda: w.core.agents.get(agent.id).status is AgentStatus.OFFLINE, within=20)  # type: ignore[union-attr]
        await until(lambda: local.get("local1").state == "STOPPED")
        await until(lambda: w.model.stats(agent.id).local == "local · stopped")

    ui_run(body, supervise=True)


def test_add_agent_checks_its_folder_off_the_loop(ui_run: UiRun) -> None:
    """Launch checks that the working folder exists on a worker thread (a slow or network disk
    must not freeze the window), says so when it does not, and keeps the dialog usable."""
    seen: list[bool] = []
    real = add_agent_dialog.folder_of

    def watched(text: str) -> str | None:
        seen.append(threading.current_thread() is threading.main_thread())
        return real(text)

    async def body(ui: Ui) -> None:
        w = ui.window
        QTest.mouseClick(w.agents_panel.add_button, Qt.MouseButton.LeftButton)
        dialog = w.dialog
        assert isinstance(dialog, AddAgentDialog)
        QTest.keyClicks(dialog.name, "local2")
        missing = ui.tmp / "no-such-folder"
        dialog.cwd.setText(str(missing))
        add_agent_dialog.folder_of = watched
        try:
            dialog.accept()
            await until(lambda: dialog.problem.text() == f"{missing} is not a folder.")
        finally:
            add_agent_dialog.folder_of = real
        assert seen == [False]  # asked once, not on the loop's thread
        assert dialog.isVisible()
        assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
        dialog.grab().save("/tmp/onsembl-shots/add-agent-missing.png")
        dialog.reject()

    ui_run(body, supervise=True)


def test_long_export_messages_never_widen_the_window(ui_run: UiRun) -> None:
    """The Audit and Reports pages' "Exported … to /a/long/path" is cut to the page's width
    (the whole text in the tooltip) instead of making the window wider than the screen."""

    async def body(ui: Ui) -> None:
        w = ui.window
        before = w.minimumSizeHint().width()
        path = "/home/someone/" + "a-very-long-folder-name/" * 12 + "onsembl-audit.csv"
        for title in ("Audit", "Reports"):
            page = w.page(title)
            w.show_page(page)
            page.info.setText(f"Exported 12,345 events to {path}")
            await until(lambda p=page: QLabel.text(p.info).endswith("…"))
            assert w.minimumSizeHint().width() == before, title
            assert page.info.toolTip().endswith(path)

    ui_run(body)


def test_every_mnemonic_label_has_a_buddy(ui_run: UiRun) -> None:
    """A label with "&" and no buddy shows the "&" itself ("&Working directory")."""

    async def body(ui: Ui) -> None:
        w = ui.window
        openers = {
            "Add agent": w.agent_actions.add_agent,
            "Settings": w.dialogs.open_settings,
            "Presets": w.dialogs.open_presets,
            "Profiles": w.dialogs.open_profiles,
        }
        for title, open_dialog in openers.items():
            open_dialog()
            dialog = w.dialog
            assert dialog is not None
            bare = [
                label.text()
                for label in dialog.findChildren(QLabel)
                if re.search(r"&\w", label.text())
                and "<" not in label.text()
                and label.buddy() is None
            ]
            assert not bare, (title, bare)
            dialog.reject()

    ui_run(body, supervise=True)
