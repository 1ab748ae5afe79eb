"""File → Settings: gateway (address, security, agent token and command line, certificate
fingerprint), agent tokens, appearance, terminal, notifications."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ... import tls
from ...core.service import Core
from ...sync.status import SyncStatus
from ..settings import UiSettings
from ..theme import monospace_font, status_color
from ..widgets.common import CopyField, labelled
from .sync_settings import SyncSettings
from .tokens_settings import TokensSettings

if TYPE_CHECKING:
    from ...app import OnsemblApp


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def host_problem(host: str) -> str | None:
    """Why ``host`` cannot be listened on (None: it can; "" is this machine only). Said when the
    user presses OK: kept as it was, it only failed at the next start, with the window gone."""
    name = host.strip()
    if not name:
        return None
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    labels = name.removesuffix(".").split(".")
    if len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels):
        return None
    return (
        f"“{name}” is not an address or host name: give an IP address (127.0.0.1, 0.0.0.0 "
        "for every interface, ::1) or a name like build-box.local."
    )


def _token_of(agent_command: str) -> str:
    parts = agent_command.split()
    for i, part in enumerate(parts):
        if part.startswith("--token="):
            return part.split("=", 1)[1]
        if part == "--token" and i + 1 < len(parts):
            return parts[i + 1]
    return ""


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: UiSettings,
        gateway_url: str,
        agent_command: str,
        parent: QWidget | None = None,
        core: Core | None = None,
        onsembl: OnsemblApp | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.onsembl = onsembl
        self.setWindowTitle("Settings")
        self.resize(680, 520)
        tabs = QTabWidget()
        tabs.addTab(self._gateway_tab(gateway_url, agent_command), "Gateway")
        self.tokens: TokensSettings | None = None
        if onsembl is not None and onsembl.tokens is not None and onsembl.core is not None:
            self.tokens = TokensSettings(
                onsembl.tokens,
                onsembl.core.bus,
                lambda name, token: onsembl.agent_command_line(name, token=token),
            )
            tabs.addTab(self.tokens, "Agent tokens")
            self.finished.connect(self.tokens.close_section)
        tabs.addTab(self._appearance_tab(), "Appearance")
        tabs.addTab(self._notifications_tab(), "Notifications")
        tabs.addTab(self._data_tab(), "Data")
        self.sync: SyncSettings | None = None
        if core is not None:
            self.sync = SyncSettings(core)
            tabs.addTab(self.sync, "Sync")
            unsubscribe = core.bus.subscribe(SyncStatus, self.sync.show_status)
            self.finished.connect(lambda _r: unsubscribe())
        self.tabs = tabs
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    # --- tabs -------------------------------------------------------------------------------------

    def _gateway_tab(self, gateway_url: str, agent_command: str) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        current = QLabel(gateway_url)
        current.setAccessibleName("Current gateway address")
        form.addRow("Listening on", current)
        self.host = QLineEdit(self.settings.gateway_host or "")
        self.host.setPlaceholderText("127.0.0.1 (this machine only)")
        self.host.setAccessibleName("Gateway host")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("any free port")
        self.port.setValue(
            self.settings.gateway_port if self.settings.gateway_port is not None else 8765
        )
        self.port.setAccessibleName("Gateway port")
        form.addRow("&Host", self.host)
        self.host_error = QLabel("")
        self.host_error.setWordWrap(True)
        self.host_error.setAccessibleName("Gateway host problem")
        self.host_error.setStyleSheet(f"color: {status_color('FAILED').name()};")
        self.host_error.hide()
        form.addRow("", self.host_error)
        form.addRow("&Port", self.port)
        self.security = QComboBox()
        self.security.setAccessibleName("Gateway security")
        self.security.addItem("TLS: wss://, agents pin the certificate's fingerprint", "tls")
        self.security.addItem("No TLS (insecure): tokens and output in clear text", "insecure")
        self.security.setCurrentIndex(1 if self.settings.gateway_insecure else 0)
        form.addRow("&Security", self.security)
        self.security_note = QLabel("")
        self.security_note.setWordWrap(True)
        form.addRow(self.security_note)
        self.host.textChanged.connect(self._host_changed)
        self.security.currentIndexChanged.connect(self._host_changed)
        self._host_changed()
        note = QLabel(
            "Host, port and security apply the next time Onsembl starts (command-line options "
            "win). Listening on an address other than 127.0.0.1 lets other machines' agents "
            "connect with a token."
        )
        note.setWordWrap(True)
        form.addRow(note)
        token = _token_of(agent_command)
        self.token = QLineEdit(token)
        self.token.setReadOnly(True)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Agent token")
        self.token.setFont(monospace_font())
        show = QPushButton("Show")
        show.setCheckable(True)
        show.setAccessibleName("Show the agent token")
        show.toggled.connect(
            lambda on: self.token.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        copy_token = QPushButton("Copy")
        copy_token.setAccessibleName("Copy the agent token")
        copy_token.clicked.connect(lambda: QGuiApplication.clipboard().setText(token))
        row = QHBoxLayout()
        row.addWidget(self.token, 1)
        row.addWidget(show)
        row.addWidget(copy_token)
        form.addRow(labelled("Agent &token", self.token), row)  # (a layout gets no buddy)
        command = QLabel(agent_command.replace(token, "•" * 8) if token else agent_command)
        command.setWordWrap(True)
        command.setFont(monospace_font())
        self.copy_command = QPushButton("Copy the agent command line")
        self.copy_command.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(agent_command)
        )
        form.addRow("Agent command", command)
        form.addRow("", self.copy_command)
        self._fingerprint_row(form)
        return page

    def _fingerprint_row(self, form: QFormLayout) -> None:
        """The certificate's SHA-256, which agents on other machines pin (``--fingerprint``)."""
        app = self.onsembl
        serving = app.fingerprint if app is not None else None
        # A certificate made earlier (quick: one small file) is what agents pin once TLS is on.
        known = serving or (tls.fingerprint(app.config.data_dir) if app is not None else None)
        self.fingerprint: CopyField | None = None
        if known:
            self.fingerprint = CopyField(known, "TLS certificate fingerprint")
            form.addRow("TLS &fingerprint", self.fingerprint)
        if serving:
            text = "Agents pin it with --fingerprint (in the command line above)."
        elif known:
            text = "Not in use now (plain ws://); agents pin it once the gateway serves TLS."
        else:
            text = "None yet: the certificate is made on the first start with TLS."
        if not known:
            form.addRow("TLS fingerprint", QLabel(text))
        else:
            hint = QLabel(text)
            hint.setWordWrap(True)
            form.addRow("", hint)

    def _host_changed(self, *_args: object) -> None:
        """Security is a choice only off this machine: on loopback nothing leaves it."""
        host = self.host.text().strip() or "127.0.0.1"
        self.host_error.hide()  # said again on OK if still wrong
        remote = not tls.is_loopback(host)
        self.security.setEnabled(remote)
        if not remote:
            self.security_note.setText(
                "On this machine only: plain ws:// (unless started with --tls); nothing leaves it."
            )
            self.security_note.setStyleSheet("")
        elif self.security.currentData() == "insecure":
            self.security_note.setText(
                "Anyone on the network can read the agents' tokens and output, and connect as "
                "one of your agents. Use this only on a network you trust completely."
            )
            self.security_note.setStyleSheet(f"color: {status_color('FAILED').name()};")
        else:
            self.security_note.setText(
                "A self-signed certificate is made on first use; agents check its fingerprint "
                "before they send their token."
            )
            self.security_note.setStyleSheet("")

    def _appearance_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.theme = QComboBox()
        self.theme.setAccessibleName("Theme")
        for label, value in (("Follow the system", "system"), ("Dark", "dark"), ("Light", "light")):
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.settings.theme)))
        form.addRow("&Theme", self.theme)
        self.font_family = QFontComboBox()
        self.font_family.setFontFilters(QFontComboBox.FontFilter.MonospacedFonts)
        self.font_family.setAccessibleName("Terminal font")
        self.font_family.setCurrentFont(
            monospace_font(self.settings.font_size, self.settings.font_family or None)
        )
        self.font_size = QSpinBox()
        self.font_size.setRange(6, 40)
        self.font_size.setSuffix(" pt")
        self.font_size.setValue(self.settings.font_size)
        self.font_size.setAccessibleName("Terminal font size")
        form.addRow("Terminal &font", self.font_family)
        form.addRow("Font &size", self.font_size)
        self.scrollback = QSpinBox()
        self.scrollback.setRange(100, 1_000_000)
        self.scrollback.setSingleStep(1000)
        self.scrollback.setSuffix(" lines")
        self.scrollback.setValue(self.settings.scrollback)
        self.scrollback.setAccessibleName("Scrollback size")
        form.addRow("Scroll&back", self.scrollback)
        note = QLabel("The scrollback size applies to terminals after the next start.")
        note.setWordWrap(True)
        form.addRow(note)
        self.app_keys = QLineEdit(", ".join(self.settings.terminal_app_keys))
        self.app_keys.setAccessibleName("Shortcuts that stay with the app in a terminal")
        self.app_keys.setToolTip(
            "While a program in a terminal takes the keys, every key goes to it (Ctrl+L, F1, "
            "Ctrl+F ...) except these shortcuts, which stay with the app. Comma-separated."
        )
        form.addRow("&App keys in terminals", self.app_keys)
        return page

    def _notifications_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.notify = QCheckBox(
            "Show a desktop notification when a command completes or fails while the window is "
            "not active"
        )
        self.notify.setChecked(self.settings.notifications)
        layout.addWidget(self.notify)
        layout.addStretch(1)
        return page

    def _data_tab(self) -> QWidget:
        from ...store.retention import AUDIT_RETENTION, OUTPUT_ARCHIVE_AFTER, OUTPUT_DELETE_AFTER

        page = QWidget()
        layout = QVBoxLayout(page)
        text = QLabel(
            f"<b>Retention</b> (the app's clean-up, every hour): the audit log keeps "
            f"{AUDIT_RETENTION.days} days; terminal output older than {OUTPUT_ARCHIVE_AFTER.days} "
            f"days is archived to compressed files in the data folder and leaves the database "
            f"after {OUTPUT_DELETE_AFTER.days} days. Archived output can be put back from "
            "File → Archived output."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addStretch(1)
        return page

    # --- apply ------------------------------------------------------------------------------------

    def accept(self) -> None:
        problem = host_problem(self.host.text())
        if problem is not None:
            self.tabs.setCurrentIndex(0)
            self.host_error.setText(problem)
            self.host_error.show()
            self.host.setFocus()
            return
        s = self.settings
        s.set("gateway/host", self.host.text().strip())
        s.set("gateway/port", self.port.value())
        s.set("gateway/security", self.security.currentData())
        s.set("appearance/theme", self.theme.currentData())
        s.set("terminal/font_family", self.font_family.currentFont().family())
        s.set("terminal/font_size", self.font_size.value())
        s.set("terminal/scrollback", self.scrollback.value())
        s.set("terminal/app_keys", self.app_keys.text())
        s.set("notifications/enabled", self.notify.isChecked())
        s.sync()
        s.changed.emit()
        super().accept()
