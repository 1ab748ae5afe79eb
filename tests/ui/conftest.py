from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from onsembl_desktop.app import AppConfig, OnsemblApp
from onsembl_desktop.core.service import Core
from onsembl_desktop.core.state import AgentInfo
from onsembl_desktop.protocol.enums import AgentStatus
from onsembl_desktop.ui.event_loop import EventLoop
from onsembl_desktop.ui.launch import ui_settings
from onsembl_desktop.ui.main_window import MainWindow
from onsembl_desktop.ui.settings import UiSettings
from onsembl_desktop.ui.theme import apply_theme
from tests.support import STANDINS, AgentProcess


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop driven by Qt's (qasync, ``EventLoop``), as the app runs it."""
    qapp.setQuitOnLastWindowClosed(False)  # as the app does: closing a window must not stop it
    apply_theme(qapp, "dark")
    loop = EventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        _retire(loop)


_closed_loops: list[asyncio.AbstractEventLoop] = []


def _retire(loop: asyncio.AbstractEventLoop) -> None:
    """Kill a closed qasync loop's Qt timers and keep it referenced.

    qasync's close() only marks its timer object stopped: timers still registered fire later, into
    whatever the next test's loop is doing, and once the old loop is garbage-collected they fire on
    a deleted object (a segfault in QTimerInfoList::activateTimers).
    """
    timer = getattr(loop, "_timer", None)
    callbacks = getattr(timer, "_SimpleTimer__callbacks", None)
    if timer is not None and callbacks:
        for timer_id in list(callbacks):
            timer.killTimer(timer_id)
        callbacks.clear()
    _closed_loops.append(loop)


async def until(predicate: Callable[[], Any], within: float = 15.0) -> Any:
    """Await until ``predicate()`` is truthy (the Qt and asyncio loops keep running)."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {within} s")
        await asyncio.sleep(0.05)


@dataclass
class Ui:
    """A real in-process app on port 0, its window, and real agent processes."""

    app: OnsemblApp
    window: MainWindow
    data_dir: Path
    tmp: Path
    qtbot: QtBot
    agents: list[AgentProcess] = field(default_factory=list)

    @property
    def core(self) -> Core:
        assert self.app.core is not None
        return self.app.core

    @property
    def token(self) -> str:
        return (self.data_dir / "agent_token").read_text().strip()

    def start_agent(
        self, name: str, agent_type: str = "shell", *extra: str, **env: str
    ) -> AgentProcess:
        if agent_type in ("claude", "codex", "gemini") and "--cli" not in extra:
            extra = ("--cli", str(STANDINS / agent_type), *extra)
        agent = AgentProcess(
            self.app.url,
            self.token,
            name,
            agent_type,
            cwd=self.tmp,
            extra_args=list(extra),
            env=dict(env),
            log_path=self.tmp / f"agent-{name}.log",
        )
        agent.start()
        self.agents.append(agent)
        return agent

    async def online(self, *names: str, within: float = 15.0) -> list[AgentInfo]:
        def check() -> list[AgentInfo] | None:
            found = [self.core.agents.by_name(n) for n in names]
            if all(a is not None and a.status is AgentStatus.ONLINE for a in found):
                return [a for a in found if a is not None]
            return None

        result: list[AgentInfo] = await until(check, within)
        return result

    async def stop_agent(self, agent: AgentProcess) -> None:
        # Off the loop: the agent waits for the app (on this loop) to acknowledge its output.
        await asyncio.get_running_loop().run_in_executor(None, agent.stop)

    def settings(self) -> UiSettings:
        return self.window.settings

    async def activate(self) -> None:
        """Make the window the active one, so its keyboard shortcuts work (awaited, not
        ``qWaitForWindowActive``: processing events inside a task re-enters qasync)."""
        self.window.activateWindow()
        await until(lambda: QApplication.activeWindow() is self.window, 3)


def new_window(app: OnsemblApp, data_dir: Path, **kw: Any) -> MainWindow:
    assert app.core is not None
    qs = ui_settings(data_dir)
    command = "onsembl-agent --server URL --token=T"
    return MainWindow(app.core, app.url, command, qs, onsembl=app, **kw)


@asynccontextmanager
async def running_ui(
    qtbot: QtBot, tmp: Path, *, show: bool = True, supervise: bool = False, **config: Any
) -> AsyncIterator[Ui]:
    """``config``: more AppConfig fields (``host``, ``tls``, ``insecure``)."""
    data_dir = tmp / "data"
    app = OnsemblApp(
        AppConfig(
            data_dir=data_dir,
            port=0,
            heartbeat_interval_s=1,
            grace_s=5,
            supervise_local_agents=supervise,
            **config,
        )
    )
    await app.start()
    window = new_window(app, data_dir)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    if show:
        window.show()
    ui = Ui(app, window, data_dir, tmp, qtbot)
    try:
        yield ui
    finally:
        for agent in ui.agents:
            await ui.stop_agent(agent)
        window.close()
        await app.stop()


def run(qloop: asyncio.AbstractEventLoop, coro: Any) -> None:
    qloop.run_until_complete(coro)


UiRun = Callable[..., None]


@pytest.fixture
def ui_run(qloop: asyncio.AbstractEventLoop, qtbot: QtBot, tmp_path: Path) -> UiRun:
    """``ui_run(body, **options)``: run ``await body(ui)`` against a fresh app and window."""

    def go(body: Callable[[Ui], Awaitable[None]], **options: Any) -> None:
        async def main() -> None:
            async with running_ui(qtbot, tmp_path, **options) as ui:
                await body(ui)

        qloop.run_until_complete(main())

    return go
