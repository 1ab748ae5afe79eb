"""What every page of the main window shares: lazy loading, background reads, persisted headers.

A page loads its data the first time it is shown and again when the core tells it something
changed while it is visible (coalesced, at most a few times a second). Reads go through
``Store.read`` on the store's threads; a newer load supersedes an older one still running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHeaderView, QSplitter, QWidget
from sqlalchemy import Connection

from ...core.service import Core
from ..presentation.tasks import spawn
from ..settings import UiSettings

log = logging.getLogger("onsembl.ui.pages")
T = TypeVar("T")


class Page(QWidget):
    title = ""

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.settings = settings
        self.loaded = False
        self._stale = False
        self._unsubscribe: list[Callable[[], None]] = []
        self._task: asyncio.Task[Any] | None = None
        self._headers: dict[str, QHeaderView] = {}
        self._splitters: dict[str, QSplitter] = {}
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(250)
        self._reload.timeout.connect(self._reload_now)
        self.setAccessibleName(self.title)

    # --- lifecycle --------------------------------------------------------------------------------

    def activate(self) -> None:
        """The page was shown."""
        if not self.loaded or self._stale:
            self._stale = False
            self.loaded = True
            self.reload()

    def reload(self) -> None:
        """Read the page's data again (override)."""

    def changed(self) -> None:
        """Something the page shows changed: reload soon if visible, else when next shown."""
        if self.isVisible() and self.loaded:
            if not self._reload.isActive():
                self._reload.start()
        else:
            self._stale = True

    def _reload_now(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def subscribe(self, event_type: type[T], callback: Callable[[T], None]) -> None:
        self._unsubscribe.append(self.core.bus.subscribe(event_type, callback))

    def close_page(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._task is not None:
            self._task.cancel()

    def refresh_theme(self) -> None:
        """Colours changed (override where a page paints its own)."""
        self.update()

    # --- reads ------------------------------------------------------------------------------------

    def read(self, fn: Callable[[Connection], T], done: Callable[[T], None]) -> asyncio.Task[Any]:
        """Run ``fn`` on a read thread, then ``done(result)`` here — unless a newer read started."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

        async def run() -> None:
            try:
                result = await self.core.store.read(fn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("%s: read failed", self.title)
                self.read_failed(exc)
                return
            done(result)

        self._task = spawn(run())
        return self._task

    def run(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return spawn(coro)

    def read_failed(self, exc: Exception) -> None:
        """Override to show the error in the page."""

    # --- persistence ------------------------------------------------------------------------------

    def keep_header(self, key: str, header: QHeaderView) -> None:
        """Persist this header's column widths and order between runs."""
        self._headers[key] = header

    def keep_splitter(self, key: str, splitter: QSplitter) -> None:
        """Persist this splitter's sizes between runs."""
        self._splitters[key] = splitter

    def _kept(self) -> list[tuple[str, QHeaderView | QSplitter]]:
        return [*self._headers.items(), *self._splitters.items()]

    def save_state(self) -> None:
        for key, item in self._kept():
            self.settings.save_state(f"{self.title.lower()}/{key}", item.saveState())

    def restore_state(self) -> None:
        for key, item in self._kept():
            state = self.settings.state(f"{self.title.lower()}/{key}")
            if state is not None:
                item.restoreState(state)
