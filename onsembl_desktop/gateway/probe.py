"""A hidden latency probe for benchmarks (``onsembl --headless --probe FILE``).

Output whose text starts with ``@t<ns>;`` (a ``time.time_ns()`` stamp the load generator puts
there when it sends it) is timed when its ``OutputReceived`` event reaches this subscriber — the
same point the UI's terminal engine sees it ("output to screen"). Once a second the samples
``<receive_ns> <latency_us>`` are appended to FILE, off the loop. Costs nothing when not enabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from ..core.events import EventBus, OutputReceived

MARK = "@t"


class LatencyProbe:
    def __init__(self, bus: EventBus, path: Path) -> None:
        self.path = path
        self._samples: list[str] = []
        self._unsubscribe = bus.subscribe(OutputReceived, self._on_output)
        self._task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self._flusher())

    def _on_output(self, ev: OutputReceived) -> None:
        data = ev.data
        if not data.startswith(MARK):
            return
        end = data.find(";", 2, 24)
        if end < 0:
            return
        now = time.time_ns()
        with contextlib.suppress(ValueError):
            self._samples.append(f"{now} {(now - int(data[2:end])) // 1000}\n")

    async def _flusher(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(1.0)
            samples, self._samples = self._samples, []
            await loop.run_in_executor(None, self._write, samples)

    def _write(self, samples: list[str]) -> None:
        if samples:
            with self.path.open("a") as f:
                f.writelines(samples)

    async def close(self) -> None:
        self._unsubscribe()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        samples, self._samples = self._samples, []
        await asyncio.get_running_loop().run_in_executor(None, self._write, samples)
