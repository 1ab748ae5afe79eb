"""Running the app with its window: the Qt event loop drives asyncio through qasync."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__
from ..app import AppConfig, OnsemblApp
from ..errors import KnownError
from .main_window import MainWindow
from .settings import UiSettings
from .theme import apply_theme

if TYPE_CHECKING:
    from ..demo.agents import DemoAgents

log = logging.getLogger("onsembl.ui")


def ui_settings(data_dir: Path) -> QSettings:
    return QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)


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
    app.setApplicationName("Onsembl Desktop")
    app.setOrganizationName("Onsembl")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("onsembl-desktop")
    app.setQuitOnLastWindowClosed(False)  # we stop the app ourselves, then quit
    config.data_dir.mkdir(parents=True, exist_ok=True)
    settings = UiSettings(ui_settings(config.data_dir))
    apply_theme(app, settings.theme)
    # The Settings dialog's gateway address applies when the command line does not give one.
    if not host_given and settings.gateway_host:
        config = replace(config, host=settings.gateway_host)
    if not port_given and settings.gateway_port is not None and not demo:
        config = replace(config, port=settings.gateway_port)
    loop = qasync.QEventLoop(app)
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
        )
        for notice in onsembl.warnings:  # said before the window listened; they still hold
            window.show_warning(notice.message)
        await window.hub.rebuild_all()
        window.show()
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
