"""The frame clock: at most once a frame, every changed terminal engine is painted by its views.

Output only marks an engine changed. On the next tick the clock reads the engine's changes (rows
that changed, lines scrolled) once, clears them, and hands the same changes to every view showing
that engine — a tab and a split pane may show one agent's terminal at the same time. The timer runs
only while something is waiting to be fed or painted.

Each tick also feeds the engines the output queued for them (``feeders``: the terminal hub and the
All view), within a budget: the loop keeps most of its time for the gateway, the core and the
store however fast agents print. Engines on screen are fed first; the others only while frames
come on time (an idle loop), so under load they wait, bounded, until they are shown. Painting is
budgeted too: a frame hands its changes to views until their expected paint time (each view's
last paint) fills :data:`PAINT_BUDGET_S`; the views left over keep their changes, merged with
later ones, and go first next frame. Qt paints all the views it was asked to in one go, so this
is what bounds how long one frame holds the loop. Both budgets shrink while ticks come late (the
loop has more work than time): the terminals then update less often rather than slow the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

from ...terminal import Terminal

FRAME_MS = 16
# Feeding engines may take this share of the loop's time, and at most FEED_MAX_S in one tick (the
# lag it can add to everything else on the loop).
FEED_SHARE = 0.25
FEED_MAX_S = 0.004
HIDDEN_MAX_S = 0.002  # engines off screen: this much per tick, and only while ticks are on time
PAINT_BUDGET_S = 0.005  # expected paint time handed out per frame (at least one view's)
# Painting may take this share of the loop's time: after a frame whose paints took P seconds the
# next one comes no sooner than P / PAINT_SHARE later.
PAINT_SHARE = 0.2
# While ticks come late the loop has more to do than time (agents printing megabytes a second):
# the terminals then take less of it, so the gateway, the store's acks and input stay prompt and
# the views update less often (bench_app_stream, six split views at 1 MB/s each: lag p50 30 ->
# 10 ms, p99 ~130 -> ~50-70 ms). A tick is late when it comes over LATE_TICKS frames after the
# one before.
FEED_SHARE_BUSY = 0.05
FEED_MAX_BUSY_S = 0.001
PAINT_SHARE_BUSY = 0.04
LATE_TICKS = 1.5


class PaintCounter(Protocol):
    @property
    def last(self) -> float: ...  # seconds the last paint took

    @property
    def seconds(self) -> float: ...  # seconds all paints took


class FrameView(Protocol):
    terminal: Terminal

    @property
    def paint_stats(self) -> PaintCounter: ...

    def isVisible(self) -> bool: ...

    def apply_frame(self, scrolled: int, dirty: set[int]) -> None: ...


class Feeder(Protocol):
    def pump(self, deadline: float, shown: Callable[[Terminal], bool], *, hidden: bool) -> bool:
        """Feed queued output until ``deadline`` (``time.perf_counter``) to the engines that are
        ``shown`` (or, with ``hidden``, the others); return whether output is still queued."""
        ...


class FrameClock(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._views: dict[int, list[FrameView]] = {}
        self._stale: dict[int, Terminal] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._timeout)
        self.after_tick: list[Callable[[], None]] = []
        self.feeders: list[Feeder] = []
        self.ticks = 0  # ticks run
        self.late_ticks = 0  # of those, ticks that came late (the budgets were the busy ones)
        self.frames = 0  # ticks that handed changes to the views
        self._last_tick = time.perf_counter()
        # Changes not yet handed to a view (rows scrolled, dirty rows), in the order they waited.
        self._changes: dict[FrameView, tuple[int, set[int]]] = {}
        self._next_frame = 0.0  # (perf_counter) no frame before this: painting is behind
        self._painted = 0.0  # the views' paint time, summed, at the last frame

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
        self._changes.pop(view, None)

    def mark(self, terminal: Terminal) -> None:
        """The engine changed: paint it on the next frame."""
        self._stale[id(terminal)] = terminal
        self.wake()

    def wake(self) -> None:
        """Something waits to be fed or painted: tick until it is done."""
        if not self._timer.isActive():
            self._last_tick = time.perf_counter()
            self._timer.start()

    def shown(self, terminal: Terminal) -> bool:
        return any(view.isVisible() for view in self._views.get(id(terminal), ()))

    def tick(self) -> None:
        """Feed the engines on screen all they have queued and paint every view now
        (screenshots, tests); the timer's ticks are budgeted instead."""
        for feeder in self.feeders:
            feeder.pump(float("inf"), self.shown, hidden=False)
        self._frame(float("inf"))

    def _timeout(self) -> None:
        """Feed the engines within the budget, then a frame within the paint budget."""
        self.ticks += 1
        now = time.perf_counter()
        elapsed, self._last_tick = now - self._last_tick, now
        on_time = elapsed < LATE_TICKS * FRAME_MS / 1000
        if on_time:
            feed_s, paint_share = min(FEED_MAX_S, FEED_SHARE * elapsed), PAINT_SHARE
        else:
            feed_s, paint_share = min(FEED_MAX_BUSY_S, FEED_SHARE_BUSY * elapsed), PAINT_SHARE_BUSY
            self.late_ticks += 1
        deadline = now + feed_s
        more = False
        for feeder in self.feeders:
            more |= feeder.pump(deadline, self.shown, hidden=False)
        hidden_deadline = min(deadline, time.perf_counter() + HIDDEN_MAX_S) if on_time else 0.0
        for feeder in self.feeders:
            more |= feeder.pump(hidden_deadline, self.shown, hidden=True)
        if now >= self._next_frame:
            self._frame(PAINT_BUDGET_S)
            painted = sum(v.paint_stats.seconds for vs in self._views.values() for v in vs)
            cost, self._painted = max(0.0, painted - self._painted), painted
            # (what the last frame's paints cost; half a tick early: the timer is not exact)
            self._next_frame = now + cost / paint_share - FRAME_MS / 2000
        if not self._stale and not self._changes and not more:
            self._timer.stop()

    def _frame(self, budget: float) -> None:
        self.frames += 1
        stale, self._stale = self._stale, {}
        for key, terminal in stale.items():
            scrolled, dirty = terminal.scrolled, set(terminal.dirty)
            terminal.clear_dirty()
            for view in self._views.get(key, ()):
                waiting = self._changes.get(view)
                if waiting is None:
                    self._changes[view] = (scrolled, dirty)
                else:  # rows dirty before these scrolls moved up with them
                    before, old = waiting
                    moved = {y - scrolled for y in old if y >= scrolled}
                    self._changes[view] = (before + scrolled, dirty | moved)
        spent = 0.0
        for view in tuple(self._changes):
            cost = view.paint_stats.last if view.isVisible() else 0.0
            if spent and spent + cost > budget:
                break
            spent += cost
            view.apply_frame(*self._changes.pop(view))
        for hook in self.after_tick:
            hook()
