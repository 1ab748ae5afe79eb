"""Settings → Sync: connect this data dir to a PostgreSQL / Supabase database (``sync.engine``).

The URL is kept without its password; the password goes to the OS keyring (``sync.credentials``),
or, only where no keyring exists and the user ticks the box, to ``DATA_DIR/secrets.json`` (0600).
Keyring calls may block, so they run on a worker thread; the configuration is written through the
store's writer and the engine is told to start a new session.
"""

from __future__ import annotations

import asyncio
import time
from functools import partial

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ...core.service import Core
from ...errors import KnownError
from ...secrets import NoKeyringError, split_url_password, with_password
from ...sync import local
from ...sync.credentials import forget_password, keep_password
from ...sync.status import SyncState, SyncStatus
from ..presentation.tasks import spawn
from ..theme import status_color
from .common import ask

STATE_COLORS = {
    SyncState.ONLINE: "COMPLETED",
    SyncState.CONNECTING: "QUEUED",
    SyncState.OFFLINE: "QUEUED",
    SyncState.ERROR: "FAILED",
    SyncState.DISABLED: "CANCELLED",
}


def sync_text(status: SyncStatus) -> str:
    return f"Sync: {status.summary()}"


def sync_color(status: SyncStatus) -> str:
    return status_color(STATE_COLORS.get(status.state, "CANCELLED")).name()


def _ago(when: float | None) -> str:
    if not when:
        return "never"
    seconds = int(time.time() - when)
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def _within(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def state_text(status: SyncStatus) -> str:
    """The Sync tab's one account of sync: the state, what went wrong, and what to do."""
    where = status.url or "the database"
    retry = f" Trying again in {_within(status.retry_in_s)}." if status.retry_in_s else ""
    problem = (status.error or "").rstrip(".")
    if status.state is SyncState.DISABLED:
        return "Sync: off — enter the database URL and its password, then press Connect."
    if status.state is SyncState.CONNECTING:
        return f"Sync: connecting to {where}…"
    times = f" · last push {_ago(status.last_push)} · last pull {_ago(status.last_pull)}"
    if status.state is SyncState.OFFLINE:
        return (
            f"{sync_text(status)}{times}\n{where} cannot be reached"
            + (f": {problem}." if problem else ".")
            + f"{retry} Changes are kept here and sent when it is back."
        )
    if status.state is SyncState.ERROR:
        return (
            f"{sync_text(status)}{times}\n{problem or 'The database refused the connection'}."
            f"{retry} Check the URL and the password, then press Connect."
        )
    return f"{sync_text(status)}{times}" + (f"\n{problem}." if problem else "")


class SyncSettings(QWidget):
    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.data_dir = core.store.path.parent
        status = core.sync.status
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Sync state")
        self.url = QLineEdit(status.url or "")
        self.url.setPlaceholderText("postgresql://user@db.example.supabase.co:5432/postgres")
        self.url.setAccessibleName("Database URL")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the system keyring" if status.url else "")
        self.password.setAccessibleName("Database password")
        self.allow_file = QCheckBox(
            "Where no keyring exists, keep the password in a private file in the data folder"
        )
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(lambda: spawn(self.configure()))
        self.now_button = QPushButton("Sync now")
        self.now_button.clicked.connect(lambda: spawn(self.sync_now()))
        self.disable_button = QPushButton("Disable sync")
        self.disable_button.clicked.connect(lambda: spawn(self.disable()))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Sync message")
        buttons = QHBoxLayout()
        for b in (self.connect_button, self.now_button, self.disable_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        form = QFormLayout(self)
        form.addRow("State", self.state)
        form.addRow("&Database URL", self.url)
        form.addRow("&Password", self.password)
        form.addRow("", self.allow_file)
        form.addRow(buttons)
        form.addRow(self.message)
        note = QLabel(
            "Every record (agents, commands, output, traces, reports, audit) is copied to the "
            "database and kept in step with your other devices; the app works the same while "
            "the database is away and catches up when it is back."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.show_status(status)

    def show_status(self, status: SyncStatus) -> None:
        self.state.setText(state_text(status))
        self.state.setStyleSheet(f"color: {sync_color(status)};")
        enabled = status.state is not SyncState.DISABLED
        self.now_button.setEnabled(enabled)
        self.disable_button.setEnabled(enabled)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {status_color('FAILED').name()};" if error else "")
        self.message.setText(text)

    async def configure(self) -> bool:
        url = self.url.text().strip()
        if not url.startswith(("postgresql://", "postgres://")):
            self._say("The URL starts with postgresql://", error=True)
            return False
        password = self.password.text()
        if password and split_url_password(url)[1] is None:
            url = with_password(url, password)  # percent-encoded: '@', ':' or '/' are fine
        loop = asyncio.get_running_loop()
        keep = partial(keep_password, self.data_dir, url)  # a SecretStore(data_dir, allow_file=…)
        try:
            bare, where = await loop.run_in_executor(
                None, partial(keep, allow_file=self.allow_file.isChecked())
            )
        except NoKeyringError as exc:
            # The file is a weaker place than a keyring: only with the user's say-so, asked here.
            self._say(str(exc), error=True)
            question = f"{exc}\n\nKeep the password in that file, readable only by you?"
            if not await ask(self, "No keyring", question, "Keep it in a file"):
                return False
            self.allow_file.setChecked(True)
            bare, where = await loop.run_in_executor(None, partial(keep, allow_file=True))
        await self.core.store.write_wait(partial(local.enable, url=bare))
        self.core.sync.reconfigure()
        self.password.clear()
        self.url.setText(bare)
        # The state line says how connecting goes (a "Connecting to …" here outlived it).
        self._say(f"Saved (password: {where}).")
        return True

    async def sync_now(self) -> None:
        self._say("Syncing…")
        try:
            status = await self.core.sync.sync_now(within=60)
        except KnownError as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"Done: {status.summary()}.")

    async def disable(self) -> None:
        await self.core.store.write_wait(local.disable)
        await asyncio.get_running_loop().run_in_executor(None, forget_password, self.data_dir)
        self.core.sync.reconfigure()
        self._say("Sync disabled; the password is forgotten.")
