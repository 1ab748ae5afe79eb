"""Long operations show progress and stop when the user presses Cancel."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

from onsembl_desktop.ui.widgets.progress import Progress, run_with_progress
from tests.ui.conftest import Ui, UiRun, until


def test_cancel_stops_a_long_operation(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        steps: list[int] = []

        def work(progress: Progress) -> str:
            for i in range(10_000):  # about 100 s unless cancelled
                progress.set(i, 10_000, f"step {i}")
                steps.append(i)
                time.sleep(0.01)
            return "finished"

        started = time.monotonic()
        task = asyncio.ensure_future(run_with_progress(ui.window, "Exporting", work, delay_ms=100))

        def dialog() -> QProgressDialog | None:
            found = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QProgressDialog) and w.isVisible()
            ]
            return found[0] if found else None

        shown = await until(dialog)
        await until(lambda: shown.value() > 5)
        assert shown.maximum() == 10_000
        assert shown.labelText().startswith("step ")
        cancel = next(b for b in shown.findChildren(QPushButton) if b.text() == "Cancel")
        QTest.mouseClick(cancel, Qt.MouseButton.LeftButton)
        assert await task is None  # cancelled, not finished
        assert time.monotonic() - started < 20
        count = len(steps)
        await asyncio.sleep(0.1)
        assert len(steps) == count  # the worker stopped

    ui_run(body)
