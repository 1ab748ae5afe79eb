"""The app's asyncio loop on Qt's: qasync's, with ready callbacks run together.

qasync turns every ``call_soon`` into a Qt timer of its own, so each ready callback (a task's
next step, a future's done callback, a socket's reader) is a separate call from Qt into Python,
and each such call must take the GIL back. While the store writer's thread runs Python, taking
the GIL back waits up to the interpreter's switch interval, every time: under heavy output the
waits of one loop iteration added up to a lag of hundreds of milliseconds. Here the callbacks
that become ready are queued and run by one Qt timer, in order, as asyncio's own loop runs its
ready queue; callbacks made ready while they run wait for the next turn, so Qt's own events
(sockets, painting, input) still come between turns. Delayed callbacks stay qasync's timers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from typing import Any

import qasync

log = logging.getLogger("onsembl.ui.loop")

# A turn asked for this long ago and not run is taken as lost (its Qt timer never fired) and asked
# for again: a lost turn would otherwise stop every callback of the loop for good.
LOST_TURN_S = 2.0


class EventLoop(qasync.QEventLoop):  # type: ignore[misc]  # (qasync is untyped)
    def __init__(self, app: Any = None) -> None:
        super().__init__(app)
        self._ready: deque[asyncio.Handle] = deque()
        self._turn_pending = False
        self._turn_asked = 0.0  # (time.monotonic) when the pending turn was asked for
        self._thread = threading.get_ident()  # Qt timers start only on their object's thread
        self.turns = 0  # Qt timer events that ran ready callbacks (tests and benchmarks)

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        if threading.get_ident() != self._thread:
            # (call_soon from another thread is a caller's bug; asyncio's own loop tolerates it)
            self.call_soon_threadsafe(self._add_callback, handle, delay)
            return handle
        if delay > 0:
            return super()._add_callback(handle, delay)  # type: ignore[no-any-return]
        self._ready.append(handle)
        self._schedule_turn()
        return handle

    def _schedule_turn(self) -> None:
        if self._turn_pending:
            if time.monotonic() - self._turn_asked < LOST_TURN_S:
                return
            log.warning("a turn of the event loop was lost; asking for another")
        self._turn_pending = True
        self._turn_asked = time.monotonic()
        super()._add_callback(asyncio.Handle(self._turn, (), self), 0)

    def _turn(self) -> None:
        """Run the callbacks ready when the turn began (later ones wait for the next)."""
        self._turn_pending = False
        self.turns += 1
        ready = self._ready
        try:
            for _ in range(len(ready)):
                if not ready:  # (a nested Qt loop ran a turn inside this one)
                    break
                handle = ready.popleft()
                if not handle._cancelled:
                    handle._run()  # (reports its own exceptions to the loop's handler)
        finally:
            if ready:  # new ones, or the rest after SystemExit/KeyboardInterrupt
                self._schedule_turn()

    def close(self) -> None:
        self._ready.clear()
        super().close()
