"""Long operations off the loop, with a progress dialog and a Cancel button that really stops them.

The work runs on a worker thread and checks ``progress.check()`` between steps; Cancel sets a flag
the next check raises on. Progress values cross back to the loop with ``call_soon_threadsafe``
(the one crossing from a worker thread into the UI, kept here).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

T = TypeVar("T")


class Cancelled(Exception):
    """The user cancelled the operation."""


class Progress:
    def __init__(self, loop: asyncio.AbstractEventLoop, report: Callable[[int, int, str], None]):
        self._loop = loop
        self._report = report
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled

    def set(self, done: int, total: int, text: str = "") -> None:
        """Report progress (from the worker thread); raises Cancelled once cancelled."""
        self.check()
        self._loop.call_soon_threadsafe(self._report, done, total, text)


async def run_with_progress(
    parent: QWidget | None, title: str, work: Callable[[Progress], T], delay_ms: int = 300
) -> T | None:
    """Run ``work(progress)`` on a thread; None if the user cancelled. Errors propagate."""
    loop = asyncio.get_running_loop()
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    # Not modal: a modal progress dialog runs processEvents in setValue, re-entering the loop.
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumDuration(10**9)  # shown by our timer, not by setValue
    dialog.setAccessibleName(title)

    def report(done: int, total: int, text: str) -> None:
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total else 0)
        if text:
            dialog.setLabelText(text)

    progress = Progress(loop, report)
    dialog.canceled.connect(progress.cancel)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(dialog.show)
    timer.start(delay_ms)
    running = loop.run_in_executor(None, work, progress)
    try:
        return await running
    except Cancelled:
        return None
    finally:
        timer.stop()
        dialog.canceled.disconnect(progress.cancel)
        dialog.close()
        dialog.deleteLater()
