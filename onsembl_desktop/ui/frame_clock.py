"""The frame clock: at most once a frame, every changed terminal engine is painted by its views.

Output only marks an engine changed. On the next tick the clock reads the engine's changes (rows
that changed, lines scrolled) once, clears them, and hands the same changes to every view showing
that engine — a tab and a split pane may show one agent's terminal at the same time. The timer runs
only while something is waiting to be painted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

from ..terminal import Terminal

FRAME_MS = 16


class FrameView(Protocol):
    terminal: Terminal

    def apply_frame(self, scrolled: int, dirty: set[int]) -> None: ...


class FrameClock(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._views: dict[int, list[FrameView]] = {}
        self._stale: dict[int, Terminal] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.tick)
        self.after_tick: list[Callable[[], None]] = []

    def attach(self, view: FrameView) -> None:
        views = self._views.setdefault(id(view.terminal), [])
        if view not in views:
            views.append(view)
        self.mark(view.terminal)

    def detach(self, view: FrameView) -> None:
        views = self._views.get(id(view.terminal), [])
        if view in views:
            views.remove(view)
        if not views:
            self._views.pop(id(view.terminal), None)

    def mark(self, terminal: Terminal) -> None:
        """The engine changed: paint it on the next frame."""
        self._stale[id(terminal)] = terminal
        if not self._timer.isActive():
            self._timer.start()

    def tick(self) -> None:
        stale, self._stale = self._stale, {}
        for key, terminal in stale.items():
            scrolled, dirty = terminal.scrolled, set(terminal.dirty)
            terminal.clear_dirty()
            for view in tuple(self._views.get(key, ())):
                view.apply_frame(scrolled, dirty)
        for hook in self.after_tick:
            hook()
        if not self._stale:
            self._timer.stop()
