"""Settings → Agent tokens (create, show once, revoke with a real agent on the token), the TLS
fingerprint beside every agent command, the security choice for the next start, and the
``--insecure`` warning as a standing banner."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from onsembl_desktop.app import AppConfig
from onsembl_desktop.core.events import Notice
from onsembl_desktop.gateway.tokens import TokenInfo
from onsembl_desktop.protocol.enums import AgentStatus
from onsembl_desktop.ui.dialogs.add_agent_dialog import AddAgentDialog
from onsembl_desktop.ui.dialogs.settings_dialog import SettingsDialog, host_problem
from onsembl_desktop.ui.dialogs.tokens_settings import TokensSettings
from onsembl_desktop.ui.launch import gateway_config
from tests.support import AgentProcess
from tests.ui.conftest import Ui, UiRun, until


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


async def answer(parent: QWidget, button_text: str) -> None:
    """Press a button of the question ``ui.dialogs.ask`` opened on ``parent``."""
    box = await until(lambda: next(iter(parent.findChildren(QMessageBox)), None))
    button = next(b for b in box.buttons() if b.text() == button_text)
    click(button)


def settings_of(ui: Ui) -> SettingsDialog:
    ui.window.dialogs.open_settings()
    dialog = ui.window.dialog
    assert isinstance(dialog, SettingsDialog)
    return dialog


def row_of(section: TokensSettings, label: str) -> TokenInfo | None:
    return next((t for t in section.model.rows if t.label == label), None)


def test_create_show_once_and_revoke_a_token(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        dialog = settings_of(ui)
        section = dialog.tokens
        assert section is not None
        dialog.tabs.setCurrentWidget(section)
        assert [t.label for t in section.model.rows] == ["Default agent token"]
        assert section.model.data(section.model.index(0, 0)) == "Default agent token (default)"
        section.table.selectRow(0)
        assert not section.revoke_button.isEnabled()  # the app's own agents use it

        # The API's refusal is shown as it says it.
        QTest.keyClicks(section.label, "bad")
        QTest.keyClicks(section.agent, "not a name!")
        click(section.create_button)
        await until(lambda: "not a valid agent name" in section.message.text())
        assert not section.created.isVisible()

        section.agent.clear()
        QTest.keyClicks(section.agent, "tk1")
        section.label.clear()
        QTest.keyClicks(section.label, "build box")
        QTest.keyClick(section.label, Qt.Key.Key_Return)  # creates it; the dialog stays open
        await until(section.created.isVisible)
        assert dialog.isVisible()
        assert [t.label for t in section.model.rows] == ["Default agent token", "build box"]
        token = section.new_token.text()
        assert len(token) > 30
        assert f"--token={token}" in section.new_command.text()
        assert "--name tk1" in section.new_command.text()
        click(section.new_token.copy)
        assert QGuiApplication.clipboard().text() == token
        assert section.new_token.copy.text() == "Copied"
        info = row_of(section, "build box")
        assert info is not None and info.agent == "tk1" and info.connections == 0
        assert section.selected() == info and section.revoke_button.isEnabled()
        assert section.label.text() == "" and "Created “build box”" in section.message.text()

        # A real agent connects with it: the list follows (TokensChanged), live.
        agent = AgentProcess(ui.app.url, token, "tk1", cwd=ui.tmp, log_path=ui.tmp / "tk1.log")
        ui.agents.append(agent.start())
        (tk1,) = await ui.online("tk1")
        await until(lambda: (row := row_of(section, "build box")) and row.connections == 1)
        assert row_of(section, "build box").last_used_at is not None  # type: ignore[union-attr]

        # Revoke asks first; Cancel keeps it.
        click(section.revoke_button)
        await answer(section, "Cancel")
        await until(lambda: not section.findChildren(QMessageBox))
        assert row_of(section, "build box") is not None
        click(section.revoke_button)
        await answer(section, "Revoke")
        await until(lambda: row_of(section, "build box") is None)
        assert "Revoked “build box”; 1 connection closed" in section.message.text()
        await until(lambda: ui.core.agents.get(tk1.id).status is AgentStatus.OFFLINE)  # type: ignore[union-attr]

        # One made elsewhere (ctl tokens create) shows up while the dialog is open.
        assert ui.app.tokens is not None
        await ui.app.tokens.create("from ctl")
        await until(lambda: row_of(section, "from ctl") is not None)
        dialog.reject()

    ui_run(body)


def test_fingerprint_beside_every_agent_command_with_tls(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        fingerprint = ui.app.fingerprint
        assert fingerprint is not None and ui.app.url.startswith("wss://")
        # The welcome (no agent yet) and the Add-agent dialog show it ready to copy.
        assert w.terminal_stack.currentWidget() is w.welcome
        assert w.welcome.fingerprint is not None
        assert w.welcome.fingerprint.text() == fingerprint
        click(w.agents_panel.add_button)
        add = w.dialog
        assert isinstance(add, AddAgentDialog) and add.fingerprint is not None
        assert add.fingerprint.text() == fingerprint
        add.reject()

        dialog = settings_of(ui)
        assert dialog.fingerprint is not None and dialog.fingerprint.text() == fingerprint
        click(dialog.fingerprint.copy)
        assert QGuiApplication.clipboard().text() == fingerprint
        # A new token's command line pins the certificate too, and connects.
        section = dialog.tokens
        assert section is not None
        dialog.tabs.setCurrentWidget(section)
        QTest.keyClicks(section.label, "laptop")
        click(section.create_button)
        await until(section.created.isVisible)
        command = section.new_command.text()
        assert f"--fingerprint {fingerprint}" in command and "wss://" in command
        token = section.new_token.text()
        agent = AgentProcess(
            ui.app.url,
            token,
            "lap1",
            cwd=ui.tmp,
            extra_args=["--fingerprint", fingerprint],
            log_path=ui.tmp / "lap1.log",
        )
        ui.agents.append(agent.start())
        await ui.online("lap1")
        dialog.reject()

    ui_run(body, tls=True)


def test_security_choice_applies_at_the_next_start(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        dialog = settings_of(ui)
        assert dialog.fingerprint is None  # plain ws:// on loopback, no certificate made yet
        assert not dialog.security.isEnabled()  # nothing leaves this machine
        assert "plain ws://" in dialog.security_note.text()
        # A host that cannot be listened on is refused on OK (it failed only at the next start).
        QTest.keyClicks(dialog.host, "build box!")
        dialog.accept()
        assert dialog.isVisible() and not dialog.host_error.isHidden()
        assert "not an address or host name" in dialog.host_error.text()
        assert ui.settings().gateway_host != "build box!"
        dialog.host.clear()
        assert dialog.host_error.isHidden()
        QTest.keyClicks(dialog.host, "0.0.0.0")
        assert dialog.security.isEnabled() and dialog.security.currentData() == "tls"
        assert "certificate" in dialog.security_note.text()
        dialog.security.setCurrentIndex(dialog.security.findData("insecure"))
        assert "clear" in dialog.security.currentText()
        assert "Anyone on the network" in dialog.security_note.text()
        dialog.accept()
        s = ui.settings()
        assert s.gateway_host == "0.0.0.0" and s.gateway_insecure

        base = AppConfig(data_dir=ui.data_dir)
        config = gateway_config(base, s, host_given=False, port_given=False, demo=False)
        assert (config.host, config.insecure, config.tls) == ("0.0.0.0", True, False)
        # The command line wins: --tls, or a loopback --host.
        forced = AppConfig(data_dir=ui.data_dir, tls=True)
        config = gateway_config(forced, s, host_given=False, port_given=False, demo=False)
        assert (config.insecure, config.tls) == (False, True)
        config = gateway_config(base, s, host_given=True, port_given=False, demo=False)
        assert (config.host, config.insecure) == ("127.0.0.1", False)

    ui_run(body)


def test_host_problem_knows_addresses_and_names() -> None:
    for good in ("", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "build-box.local", "localhost"):
        assert host_problem(good) is None, good
    for bad in ("build box", "-x.example", "a..b", "host:8765", "x" * 64):
        assert host_problem(bad) is not None, bad


def test_insecure_warning_is_a_standing_banner(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        [notice] = ui.app.warnings
        assert notice.key == "insecure"
        assert w.warnings.isVisible()
        [label] = w.warnings.rows.values()
        assert "without TLS (--insecure)" in label.text() and label.isVisible()
        # Published again (a later notice with its key): the same banner, not a toast.
        w.statusBar().clearMessage()
        ui.core.bus.publish(Notice("warning", "still no TLS", key="insecure"))
        assert list(w.warnings.rows.values()) == [label] and "still no TLS" in label.text()
        assert w.statusBar().currentMessage() == ""
        ui.core.bus.publish(Notice("info", "a passing note"))
        assert w.statusBar().currentMessage() == "a passing note"
        assert w.warnings.isVisible()
        # Its button leads to the remedy.
        [button] = w.warnings.findChildren(QPushButton)
        click(button)
        assert isinstance(w.dialog, SettingsDialog)
        w.dialog.reject()

    ui_run(body, host="0.0.0.0", insecure=True)
