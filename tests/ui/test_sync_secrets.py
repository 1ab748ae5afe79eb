"""Settings → Sync with no keyring: the message says what to install, and the password goes to
the private file only after the user agreed to it (no database needed: the URL's server is
never reached)."""

from __future__ import annotations

import json
import stat

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QWidget

from onsembl_desktop.secrets import FILE_NAME, SecretStore
from onsembl_desktop.sync.status import SyncState
from onsembl_desktop.ui.dialogs.settings_dialog import SettingsDialog
from onsembl_desktop.ui.dialogs.sync_settings import SyncSettings
from onsembl_desktop.ui.presentation.tasks import spawn
from tests.ui.conftest import Ui, UiRun, until

URL = "postgresql://me:s3cret@127.0.0.1:9/db"  # port 9 (discard): refused, sync stays offline


def sync_tab(ui: Ui) -> tuple[SettingsDialog, SyncSettings]:
    """Settings opened on its Sync tab."""
    ui.window.dialogs.open_settings()
    dialog = ui.window.dialog
    assert isinstance(dialog, SettingsDialog) and dialog.sync is not None
    dialog.tabs.setCurrentWidget(dialog.sync)
    return dialog, dialog.sync


async def press(parent: QWidget, text: str) -> str:
    """Press ``text`` on the question shown on ``parent``; returns the question."""
    box = await until(lambda: next(iter(parent.findChildren(QMessageBox)), None))
    question = box.text()
    QTest.mouseClick(next(b for b in box.buttons() if b.text() == text), Qt.MouseButton.LeftButton)
    return question


def test_no_keyring_asks_before_keeping_the_password_in_a_file(
    ui_run: UiRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SecretStore, "keyring_available", staticmethod(lambda: False))

    async def body(ui: Ui) -> None:
        dialog, sync = sync_tab(ui)
        secrets = ui.data_dir / FILE_NAME
        QTest.keyClicks(sync.url, URL)
        assert not sync.allow_file.isChecked()

        # Declined: nothing written, and the reason stays on screen.
        declined = spawn(sync.configure())
        question = await press(sync, "Cancel")
        assert "No system keyring" in question and "readable only by you" in question
        assert await declined is False
        assert "No system keyring" in sync.message.text() and "keyrings.alt" in sync.message.text()
        assert not secrets.exists()
        assert ui.core.sync.status.url is None  # not configured

        # Agreed: the password goes to the 0600 file, the URL is kept without it.
        agreed = spawn(sync.configure())
        await press(sync, "Keep it in a file")
        assert await agreed is True
        assert json.loads(secrets.read_text()) == {"sync-url-password": "s3cret"}
        assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
        assert sync.allow_file.isChecked()
        assert sync.url.text() == "postgresql://me@127.0.0.1:9/db"
        assert "s3cret" not in sync.message.text() and "secrets.json" in sync.message.text()

        await sync.disable()  # forgets it
        assert json.loads(secrets.read_text()) == {}
        dialog.reject()

    ui_run(body)


def test_sync_tab_says_the_state_its_failure_and_what_to_do_in_one_place(
    ui_run: UiRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that cannot be reached: the state line says offline, why, when it tries
    again and that changes are kept; the line below no longer says "Connecting to …"."""
    monkeypatch.setattr(SecretStore, "keyring_available", staticmethod(lambda: False))

    async def body(ui: Ui) -> None:
        dialog, sync = sync_tab(ui)
        assert sync.state.text().startswith("Sync: off — enter the database URL")
        QTest.keyClicks(sync.url, URL)
        sync.allow_file.setChecked(True)
        assert await sync.configure()
        await until(lambda: ui.core.sync.status.state is SyncState.OFFLINE, within=20)
        await until(lambda: "cannot be reached" in sync.state.text())
        state = sync.state.text()
        assert state.startswith("Sync: offline")
        assert "postgresql://me@127.0.0.1:9/db cannot be reached: " in state
        assert "Trying again in " in state and "Changes are kept here" in state
        assert "Connecting" not in sync.message.text()
        assert sync.message.text().startswith("Saved (password: ")
        dialog.grab().save("/tmp/onsembl-shots/sync-offline.png")
        await sync.disable()
        await until(lambda: sync.state.text().startswith("Sync: off"))
        dialog.reject()

    ui_run(body)
