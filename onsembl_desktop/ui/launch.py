"""Running the app with its window: the Qt event loop drives asyncio through qasync
(``event_loop.EventLoop``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__, about, tls
from ..app import AppConfig, OnsemblApp, settle_heap
from ..errors import KnownError
from .event_loop import EventLoop
from .main_window import MainWindow
from .settings import UiSettings
from .theme import apply_theme

if TYPE_CHECKING:
    from ..demo.agents import DemoAgents

log = logging.getLogger("onsembl.ui")

UI_FILE = "ui.ini"
SETTLE_HEAP_AFTER_S = 1.0
DESKTOP_FILE = "dev.onsembl.Desktop"  # resources/linux/dev.onsembl.Desktop.desktop


def ui_settings(data_dir: Path) -> QSettings:
    """``DATA_DIR/ui.ini``, private like every file there. Qt would create it 0644 but keeps the
    mode of a file that exists, so it is created 0600 first (and one left by an older version
    tightened)."""
    path = data_dir / UI_FILE
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with contextlib.suppress(OSError):
        path.chmod(0o600)
    return QSettings(str(path), QSettings.Format.IniFormat)


def setup_application(app: QApplication) -> None:
    """Names, icon and desktop entry: the window manager matches the window to the installed
    ``.desktop`` file by its id (Wayland's app id), so the taskbar shows our icon and name."""
    app.setApplicationName(about.APP_NAME)
    app.setOrganizationName("Onsembl")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(QIcon(str(about.app_icon_path())))


def gateway_config(
    config: AppConfig, settings: UiSettings, *, host_given: bool, port_given: bool, demo: bool
) -> AppConfig:
    """The Settings dialog's gateway (host, port, security) where the command line says nothing."""
    if not host_given and settings.gateway_host:
        config = replace(config, host=settings.gateway_host)
    if not port_given and settings.gateway_port is not None and not demo:
        config = replace(config, port=settings.gateway_port)
    chosen = config.tls or config.insecure  # --tls / --insecure on the command line
    if not chosen and settings.gateway_insecure and not tls.is_loopback(config.host):
        config = replace(config, insecure=True)  # still warned about on every start
    return config


def run_gui(
    config: AppConfig,
    screenshot: Path | None = None,
    *,
    demo: bool = False,
    host_given: bool = True,
    port_given: bool = True,
    screenshot_delay: float = 0.0,
) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    setup_application(app)
    app.setQuitOnLastWindowClosed(False)  # we stop the app ourselves, then quit
    config.data_dir.mkdir(parents=True, exist_ok=True)
    settings = UiSettings(ui_settings(config.data_dir))
    apply_theme(app, settings.theme)
    config = gateway_config(
        config, settings, host_given=host_given, port_given=port_given, demo=demo
    )
    loop = EventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            code: int = loop.run_until_complete(
                _main(app, config, settings, screenshot, demo, screenshot_delay)
            )
            return code
    finally:
        asyncio.set_event_loop(None)


async def _main(
    app: QApplication,
    config: AppConfig,
    settings: UiSettings,
    screenshot: Path | None,
    demo: bool,
    screenshot_delay: float,
) -> int:
    onsembl = OnsemblApp(config)
    try:
        await onsembl.start()
    except KnownError as exc:
        print(f"onsembl: {exc}", file=sys.stderr)
        if screenshot is None:
            QMessageBox.critical(None, "Onsembl Desktop cannot start", str(exc))
        return 1
    demo_agents: DemoAgents | None = None
    try:
        assert onsembl.core is not None
        window = MainWindow(
            onsembl.core,
            onsembl.url,
            onsembl.agent_command_line(),
            settings,
            demo=demo,
            onsembl=onsembl,  # tokens, fingerprint, standing warnings
        )
        await window.hub.rebuild_all()
        window.show()
        # Once the first paint is done (a full collection would only delay it).
        asyncio.get_running_loop().call_later(SETTLE_HEAP_AFTER_S, settle_heap)
        if demo:
            demo_agents = await _start_demo(onsembl, config.data_dir)
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, window.close)
        # Let Python see signals while Qt sleeps in its event loop.
        keepalive = QTimer()
        keepalive.start(200)
        keepalive.timeout.connect(lambda: None)
        if screenshot is not None:
            await _screenshot(app, window, screenshot, screenshot_delay or (9.0 if demo else 0.5))
            window.close()
        await closed.wait()
    finally:
        if demo_agents is not None:
            await demo_agents.stop()
        await onsembl.stop()
        app.quit()
    return 0


async def _start_demo(onsembl: OnsemblApp, data_dir: Path) -> DemoAgents:
    from ..demo.agents import DemoAgents
    from ..gateway.auth import agent_token

    assert onsembl.core is not None
    demo = DemoAgents(
        onsembl.core, onsembl.url, agent_token(data_dir), data_dir, fingerprint=onsembl.fingerprint
    )
    await demo.start()
    return demo


async def _screenshot(app: QApplication, window: MainWindow, path: Path, delay: float) -> None:
    """Wait until the window has painted (and its terminals caught up), then save it.

    Waiting is an ``asyncio.sleep``: Qt keeps processing events meanwhile. Calling
    ``processEvents`` from inside a task would run other tasks re-entrantly (qasync refuses).
    """
    await asyncio.sleep(delay)
    window.clock.tick()  # paint any pending terminal frames now
    await asyncio.sleep(0.1)
    image = window.grab()
    if not image.save(str(path), "PNG", 0):  # quality 0: the strongest PNG compression
        raise KnownError(f"cannot save the screenshot to {path}")
    print(f"saved {path} ({image.width()}x{image.height()})", flush=True)
