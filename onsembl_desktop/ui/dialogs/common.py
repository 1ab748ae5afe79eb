"""Help → Keyboard shortcuts and Help → About; :func:`ask`, a question awaited without a nested
event loop."""

from __future__ import annotations

import asyncio
import contextlib
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ... import __version__
from ..presentation.shortcuts import ShortcutInfo


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: list[ShortcutInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(620, 640)
        self.table = QTableWidget(len(shortcuts), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Action", "Keys"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, s in enumerate(sorted(shortcuts, key=lambda s: s.section)):
            for col, text in enumerate((s.section, s.text, s.keys)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Onsembl Desktop")
        text = QLabel(
            f"<h2>Onsembl Desktop {__version__}</h2>"
            "<p>Run and supervise many AI coding agents from one window.</p>"
            f"<p>Python {platform.python_version()} · Qt {qVersion()} · "
            f"PySide6 {pyside_version}<br>{platform.system()} {platform.machine()}</p>"
        )
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        self.version = text
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        licences = _licences_table()
        if licences is not None:
            layout.addWidget(QLabel("Open-source components:"))
            layout.addWidget(licences)
            self.resize(560, 520)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _licences_table() -> QTableWidget | None:
    """The licences of what we ship, where packaging provides them (``about.py``)."""
    try:
        from ... import about
    except ImportError:
        return None
    try:
        items = about.bundled_licences() or about.installed_licences()
    except Exception:  # metadata can be missing in odd installs; the dialog still opens
        return None
    if not items:
        return None
    table = QTableWidget(len(items), 3)
    table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
    table.setAccessibleName("Open-source licences")
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for row, lic in enumerate(items):
        for col, value in enumerate((lic.name, lic.version, lic.licence or "—")):
            table.setItem(row, col, QTableWidgetItem(value))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


async def ask(parent: QWidget, title: str, text: str, yes: str) -> bool:
    """Ask a yes-or-cancel question and wait for the answer with ``open()``: ``exec()`` would
    run a nested loop inside the running asyncio task. The box is a child of ``parent`` (tests
    find it there). True only when the ``yes`` button was chosen."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent
    )
    accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def answered(value: bool) -> None:
        if not answer.done():
            answer.set_result(value)

    box.finished.connect(lambda _r: answered(box.clickedButton() is accept))
    # A parent closed meanwhile takes the box with it, unanswered: that is a no. (Nothing of the
    # box may be touched here: its destructor is running.)
    box.destroyed.connect(lambda: answered(False))
    box.open()
    try:
        return await answer
    finally:
        with contextlib.suppress(RuntimeError):  # already gone with its parent
            box.deleteLater()
