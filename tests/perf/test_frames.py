"""Output is painted at most once a frame, and only the rows that changed (counters, no clocks)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import cast

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from onsembl_desktop.core.events import EventBus
from onsembl_desktop.core.service import Core
from onsembl_desktop.terminal import Terminal
from onsembl_desktop.ui.presentation.terminals import TerminalHub
from onsembl_desktop.ui.terminal_views import frame_clock
from onsembl_desktop.ui.terminal_views.frame_clock import FrameClock
from onsembl_desktop.ui.terminal_views.terminal_view import TerminalView


@pytest.fixture
def hub() -> Iterator[TerminalHub]:
    # Only the bus of a core is used by what these tests drive (write, pump, catch up).
    hub = TerminalHub(cast("Core", SimpleNamespace(bus=EventBus())), scrollback=1000)
    yield hub
    hub.close()


def _clock_for(hub: TerminalHub) -> FrameClock:
    """Wired as the window wires them (MainWindow, TerminalsPage)."""
    clock = FrameClock()
    hub.watchers.append(clock.mark)
    hub.feed_lazily(clock.wake)
    clock.feeders.append(hub)
    return clock


def _shown_view(qtbot: QtBot, clock: FrameClock, terminal: Terminal) -> TerminalView:
    view = TerminalView(terminal)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    clock.attach(view)
    clock.tick()
    QApplication.processEvents()
    view.paint_stats.reset()
    return view


def _frame(clock: FrameClock) -> None:
    """One frame, then let Qt deliver the paints it asked for."""
    clock.tick()
    QApplication.processEvents()


def test_many_chunks_between_frames_paint_once(qtbot: QtBot, hub: TerminalHub) -> None:
    clock = _clock_for(hub)
    term = hub.get(uuid.uuid4())
    view = _shown_view(qtbot, clock, term.terminal)
    for frame in range(5):
        for i in range(200):  # many chunks, one frame
            term.write(f"\x1b[32mframe {frame} chunk {i}\x1b[0m\r\n")
        assert view.paint_stats.paints == frame  # nothing painted until the frame
        _frame(clock)
        assert view.paint_stats.paints == frame + 1
    assert view.paint_stats.extra == 0
    assert view.paint_stats.frames == 5
    assert term.terminal.display()[-2] == "frame 4 chunk 199"


def test_only_changed_rows_are_painted(qtbot: QtBot) -> None:
    clock = FrameClock()
    terminal = Terminal(cols=80, rows=20, scrollback=100)
    terminal.feed("".join(f"line {i}\r\n" for i in range(19)) + "prompt$ ")
    view = _shown_view(qtbot, clock, terminal)
    assert view.visible_rows() >= 20

    # One character changes on row 5: that row, and the cursor's row, are repainted.
    terminal.feed("\x1b7\x1b[6;3HX\x1b8")
    clock.mark(terminal)
    _frame(clock)
    assert view.paint_stats.paints == 1
    assert view.paint_stats.rows <= 2

    # Two rows far apart: just those two (and the cursor's), not everything between them.
    terminal.feed("\x1b7\x1b[2;1HA\x1b[17;1HB\x1b8")
    clock.mark(terminal)
    _frame(clock)
    assert view.paint_stats.paints == 2
    assert view.paint_stats.max_rows <= 3

    # One line scrolls in: the view shifts its pixels and paints the rows that were exposed.
    terminal.feed("\r\nnew line\r\nprompt$ ")
    clock.mark(terminal)
    _frame(clock)
    assert view.paint_stats.paints == 3
    assert view.paint_stats.max_rows <= 3
    assert view.paint_stats.extra == 0


def test_frames_with_no_change_paint_nothing(qtbot: QtBot) -> None:
    clock = FrameClock()
    terminal = Terminal(cols=80, rows=20)
    view = _shown_view(qtbot, clock, terminal)
    for _ in range(3):
        _frame(clock)
    assert view.paint_stats.paints == 0


def test_views_of_one_engine_each_paint_once_a_frame(qtbot: QtBot, hub: TerminalHub) -> None:
    """A tab and a split pane showing the same agent: both get every change, once a frame."""
    clock = _clock_for(hub)
    term = hub.get(uuid.uuid4())
    tab = _shown_view(qtbot, clock, term.terminal)
    pane = _shown_view(qtbot, clock, term.terminal)
    tab.paint_stats.reset()
    for frame in range(3):
        for i in range(50):
            term.write(f"{frame}-{i}\r\n")
        _frame(clock)
    for view in (tab, pane):
        assert view.paint_stats.paints == 3
        assert view.paint_stats.extra == 0


def test_incremental_frames_leave_the_same_pixels_as_a_full_paint(qtbot: QtBot) -> None:
    """Blitting scrolled rows and painting only changed ones ends where painting it all would:
    the window's backing store (what the screen shows) against a fresh render of the view."""
    clock = FrameClock()
    terminal = Terminal(cols=80, rows=20, scrollback=100)
    view = _shown_view(qtbot, clock, terminal)
    area = view.viewport().geometry()
    screen = QApplication.primaryScreen()
    steps = [
        *(f"\x1b[3{i % 7}mline {i} {'x' * (i % 50)}\x1b[0m\r\n" for i in range(30)),
        "\x1b7\x1b[3;5HCHANGED\x1b8",  # a row far above the cursor
        "".join(f"burst {i}\r\n" for i in range(7)),  # several lines in one frame
        "\x1b[2J\x1b[Hcleared\r\n",  # everything at once
        "partial line, no newline",  # the cursor moves along a row
        "\x1b[5;10H",  # the cursor alone moves: its old row must lose it
        "\x1b[20;1H",
        "".join(f"flood {i}\r\n" for i in range(60)),  # more than a screen in one frame
    ]
    for text in steps:
        terminal.feed(text)
        clock.mark(terminal)
        _frame(clock)
        shown = screen.grabWindow(view.winId()).toImage().copy(area)
        painted = view.grab().toImage().copy(area)  # (a full paint: counted as extra)
        assert shown == painted, f"the screen differs after {text!r}"


class _DeadlineFeeder:
    """Records how long each tick gives the engines on screen (a feeder of the clock)."""

    def __init__(self) -> None:
        self.budgets: list[float] = []

    def pump(self, deadline: float, shown: object, *, hidden: bool) -> bool:
        if not hidden:
            self.budgets.append(deadline - time.perf_counter())
        return True  # always more queued: the clock keeps ticking


def test_late_ticks_give_the_terminals_less_of_the_loop(qtbot: QtBot) -> None:
    clock = FrameClock()
    feeder = _DeadlineFeeder()
    clock.feeders.append(feeder)
    clock.wake()
    clock._last_tick = time.perf_counter() - 0.010  # on time: the last tick 10 ms ago
    clock._timeout()
    assert frame_clock.FEED_MAX_BUSY_S < feeder.budgets[-1] <= frame_clock.FEED_MAX_S
    assert clock.late_ticks == 0
    clock._last_tick = time.perf_counter() - 0.200  # late: the loop was busy for 200 ms
    clock._timeout()
    assert 0 < feeder.budgets[-1] <= frame_clock.FEED_MAX_BUSY_S
    assert clock.late_ticks == 1
    clock._timer.stop()
