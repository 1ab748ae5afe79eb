"""What ``ui.launch`` sets up before the window: ``ui.ini`` private (0600) before Qt writes it,
and the application's icon and desktop entry id."""

from __future__ import annotations

import stat
from pathlib import Path

from PySide6.QtWidgets import QApplication

from onsembl_desktop.about import APP_NAME
from onsembl_desktop.ui.launch import DESKTOP_FILE, setup_application, ui_settings
from tests.ui.conftest import Ui, UiRun

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ui_ini_is_created_private_and_stays_so(tmp_path: Path, qapp: QApplication) -> None:
    fresh = ui_settings(tmp_path)
    fresh.setValue("appearance/theme", "light")
    fresh.sync()
    path = tmp_path / "ui.ini"
    assert "light" in path.read_text()
    assert mode(path) == 0o600

    # One an older version left readable by others is tightened, and Qt keeps that mode.
    older = tmp_path / "older"
    older.mkdir()
    (older / "ui.ini").write_text("[appearance]\ntheme=dark\n")
    (older / "ui.ini").chmod(0o644)
    settings = ui_settings(older)
    assert mode(older / "ui.ini") == 0o600
    assert settings.value("appearance/theme") == "dark"
    settings.setValue("appearance/theme", "system")
    settings.sync()
    assert mode(older / "ui.ini") == 0o600 and "system" in (older / "ui.ini").read_text()


def test_window_layout_is_saved_to_a_private_file(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        ui.window.save_layout()  # what closing the window does
        path = ui.data_dir / "ui.ini"
        assert "geometry" in path.read_text() and mode(path) == 0o600

    ui_run(body)


def test_application_icon_and_desktop_entry(qapp: QApplication) -> None:
    before = (qapp.applicationName(), qapp.desktopFileName())
    try:
        setup_application(qapp)
        assert qapp.applicationName() == APP_NAME
        # The id the installed entry has (resources/linux/ID.desktop): Wayland matches by it.
        assert qapp.desktopFileName() == DESKTOP_FILE
        assert (RESOURCES / "linux" / f"{DESKTOP_FILE}.desktop").is_file()
        icon = qapp.windowIcon()
        assert not icon.isNull()
        assert not icon.pixmap(64, 64).isNull()  # the SVG renders
    finally:
        qapp.setApplicationName(before[0])
        qapp.setDesktopFileName(before[1])
