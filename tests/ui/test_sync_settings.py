"""Settings → Sync against a real PostgreSQL: connect, see the state in the status bar, disable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from onsembl_desktop.sync.status import SyncState
from onsembl_desktop.ui.dialogs.settings_dialog import SettingsDialog
from tests.store.conftest import PgServer, pg  # noqa: F401  (the session's server)
from tests.ui.conftest import Ui, UiRun, until

pytestmark = pytest.mark.postgres


def test_connect_sync_from_settings(ui_run: UiRun, pg: PgServer) -> None:  # noqa: F811
    url = pg.create_database()

    async def body(ui: Ui) -> None:
        w = ui.window
        assert not w.sync_label.isVisible()  # nothing configured: nothing shown
        w.dialogs.open_settings()
        dialog = w.dialog
        assert isinstance(dialog, SettingsDialog) and dialog.sync is not None
        sync = dialog.sync
        assert not sync.now_button.isEnabled()
        QTest.keyClicks(sync.url, url)
        sync.allow_file.setChecked(True)  # no keyring on a test machine
        assert await sync.configure()
        await until(lambda: w.core.sync.status.state is SyncState.ONLINE, within=30)
        await until(lambda: w.sync_label.isVisible() and "synced" in w.sync_label.text())
        assert "Sync: synced" in sync.state.text()
        assert sync.now_button.isEnabled()
        QTest.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
        await until(lambda: sync.message.text().startswith("Done"), within=30)
        await sync.disable()
        await until(lambda: w.core.sync.status.state is SyncState.DISABLED, within=15)
        await until(lambda: not w.sync_label.isVisible())
        dialog.reject()

    ui_run(body)
