"""What the presets and profiles managers share: a list on the left, a form on the right, New /
Save / Delete, a status line, and core calls run in the background with their errors shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QItemSelection
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.commands import CommandError
from ...core.service import Core
from ...errors import KnownError
from ..models.rows_model import Column, RowsModel
from ..presentation.tasks import spawn
from ..theme import status_color
from ..widgets.common import make_table

R = TypeVar("R")


class ManagerDialog(QDialog, Generic[R]):
    """Subclasses provide ``items()``, ``load(item)``, ``clear_form()``, ``save()``, ``delete()``
    and the form widget; items are known by ``name``."""

    noun = "item"

    def __init__(
        self,
        core: Core,
        title: str,
        columns: list[Column[R]],
        widths: tuple[int, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.core = core
        self.setWindowTitle(title)
        self.current: str | None = None  # the item being edited (None: a new one)
        self.model = RowsModel[R](columns, self)
        self.table = make_table(self.model, title, widths)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(f"{title} status")
        self.new_button = QPushButton("New")
        self.save_button = QPushButton("Save")
        self.delete_button = QPushButton("Delete")
        self.new_button.clicked.connect(self.new)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete)
        self.buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.delete_button):
            self.buttons.addWidget(b)

    def build(self, form: QWidget, sizes: tuple[int, int]) -> None:
        """Lay out the list, the form, the buttons and the status line."""
        self.buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(form)
        split.setSizes(list(sizes))
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(self.buttons)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.refresh()
        self.new()

    def watch(self, event_type: type) -> None:
        unsubscribe = self.core.bus.subscribe(event_type, lambda _e: self.refresh())
        self.finished.connect(lambda _r: unsubscribe())

    # --- subclass API -----------------------------------------------------------------------------

    def items(self) -> list[R]:
        raise NotImplementedError

    def name_of(self, item: R) -> str:
        return str(getattr(item, "name"))  # noqa: B009 - every managed record has a name

    def load(self, item: R) -> None:
        self.current = self.name_of(item)
        self.delete_button.setEnabled(True)

    def clear_form(self) -> None:
        raise NotImplementedError

    def save(self) -> None:
        raise NotImplementedError

    def delete_call(self, name: str) -> Awaitable[Any]:
        raise NotImplementedError

    # --- shared behaviour -------------------------------------------------------------------------

    def refresh(self) -> None:
        self.model.set_rows(self.items())
        for row, item in enumerate(self.model.rows):
            if self.name_of(item) == self.current:
                self.table.selectRow(row)

    def _selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        indexes = selected.indexes()
        item = self.model.row(indexes[0]) if indexes else None
        if item is not None and self.name_of(item) != self.current:
            self.load(item)

    def new(self) -> None:
        self.current = None
        self.table.clearSelection()
        self.clear_form()
        self.delete_button.setEnabled(False)

    def saved(self, item: R) -> None:
        self.load(item)
        self.refresh()
        self.say(f"Saved {self.name_of(item)}.")

    def delete(self) -> None:
        if self.current is None:
            return
        name = self.current

        def deleted(_r: object) -> None:
            self.say(f"Deleted {name}.")
            self.new()

        self.run(self.delete_call(name), deleted)

    def run(self, work: Awaitable[Any], done: Callable[[Any], None]) -> None:
        """Await a core call in the background; its refusal is shown in the status line."""

        async def go() -> None:
            try:
                result = await work
            except (CommandError, KnownError, ValueError) as exc:
                self.say(str(exc), error=True)
                return
            done(result)

        spawn(go())

    def say(self, text: str, error: bool = False) -> None:
        color = status_color("FAILED").name() if error else ""
        self.status.setStyleSheet(f"color: {color};" if color else "")
        self.status.setText(text)
