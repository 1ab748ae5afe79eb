"""Running the app with its window: the Qt event loop drives asyncio through qasync."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__
from ..app import AppConfig, OnsemblApp
from ..errors import KnownError
from .main_window import MainWindow
from .theme import apply_dark_palette

log = logging.getLogger("onsembl.ui")


def agent_command_line(url: str, data_dir: Path) -> str:
    from ..gateway.auth import agent_token

    return f"onsembl-agent --server {url} --token {agent_token(data_dir)} --type shell --name sh1"


def run_gui(config: AppConfig, screenshot: Path | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Onsembl Desktop")
    app.setOrganizationName("Onsembl")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # we stop the app ourselves, then quit
    apply_dark_palette(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(_main(app, config, screenshot))
    finally:
        asyncio.set_event_loop(None)


async def _main(app: QApplication, config: AppConfig, screenshot: Path | None) -> int:
    onsembl = OnsemblApp(config)
    try:
        await onsembl.start()
    except KnownError as exc:
        print(f"onsembl: {exc}", file=sys.stderr)
        if screenshot is None:
            QMessageBox.critical(None, "Onsembl Desktop cannot start", str(exc))
        return 1
    assert onsembl.core is not None
    settings = QSettings(str(config.data_dir / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        onsembl.core, onsembl.url, agent_command_line(onsembl.url, config.data_dir), settings
    )
    await window.hub.rebuild_all()
    window.show()
    closed = asyncio.Event()
    window.destroyed.connect(closed.set)
    original_close = window.closeEvent

    def on_close(event: object) -> None:
        original_close(event)  # type: ignore[arg-type]
        closed.set()

    window.closeEvent = on_close  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, window.close)
    # Let Python see signals while Qt sleeps in its event loop.
    keepalive = QTimer()
    keepalive.start(200)
    keepalive.timeout.connect(lambda: None)
    try:
        if screenshot is not None:
            await _screenshot(app, window, screenshot)
            window.close()
        await closed.wait()
    finally:
        await onsembl.stop()
        app.quit()
    return 0


async def _screenshot(app: QApplication, window: MainWindow, path: Path) -> None:
    """Wait until the window has painted (and its terminals caught up), then save it."""
    for _ in range(10):
        app.processEvents()
        await asyncio.sleep(0.05)
    window._tick()  # paint any pending terminal frames now
    app.processEvents()
    image = window.grab()
    if not image.save(str(path)):
        raise KnownError(f"cannot save the screenshot to {path}")
    print(f"saved {path} ({image.width()}x{image.height()})", flush=True)
