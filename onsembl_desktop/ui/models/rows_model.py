"""A table model over a list of plain rows, described by columns (for the read-only lists)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class Column(Generic[R]):
    title: str
    text: Callable[[R], str]
    color: Callable[[R], QColor | None] | None = None
    tooltip: Callable[[R], str] | None = None
    right: bool = False  # numbers align right


class RowsModel(QAbstractTableModel, Generic[R]):
    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[R] = []

    def set_rows(self, rows: list[R], key: Callable[[R], Hashable] | None = None) -> None:
        """Show ``rows``. With ``key`` (a row's identity), rows that stay keep their selection
        and current index: new rows at the top are inserted, any other change moves rows as a
        layout change (the view keeps what was selected), instead of a reset that drops it."""
        if key is None or not self.rows:
            self.beginResetModel()
            self.rows = list(rows)
            self.endResetModel()
            return
        old = [key(r) for r in self.rows]
        new = [key(r) for r in rows]
        added = len(new) - len(old)
        if added >= 0 and new[added:] == old:
            if added:
                self.beginInsertRows(QModelIndex(), 0, added - 1)
                self.rows = list(rows)
                self.endInsertRows()
            else:
                self.rows = list(rows)
            self.refresh()
            return
        self.layoutAboutToBeChanged.emit()
        where = {k: i for i, k in enumerate(new)}
        before = self.persistentIndexList()
        after = []
        for index in before:
            row = where.get(old[index.row()]) if index.row() < len(old) else None
            after.append(QModelIndex() if row is None else self.index(row, index.column()))
        self.rows = list(rows)
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def row_of(self, key: Callable[[R], Hashable], value: Hashable) -> int:
        """The row whose ``key`` is ``value``, or -1."""
        return next((i for i, r in enumerate(self.rows) if key(r) == value), -1)

    def append_rows(self, rows: list[R]) -> None:
        if not rows:
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def update_row(self, row: int, value: R) -> None:
        self.rows[row] = value
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def refresh(self) -> None:
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.rows) - 1, len(self.columns) - 1)
            )

    def row(self, index: Index) -> R | None:
        return self.rows[index.row()] if index.isValid() and index.row() < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = self.columns[index.column()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.tooltip(row) if col.tooltip else col.text(row)
        if role == Qt.ItemDataRole.ForegroundRole and col.color is not None:
            color = col.color(row)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def first_line(text: str, limit: int = 200) -> str:
    stripped = text.strip()
    line = stripped.splitlines()[0] if stripped else ""
    more = " …" if len(stripped) > len(line) else ""
    return (line[:limit] + more) if line else ""
