"""Small widget helpers the pages share."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QDateTime,
    QModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QToolButton,
    QWidget,
)

from ...core.state import AgentInfo
from ..theme import monospace_font


def make_table(
    model: QAbstractItemModel,
    name: str,
    widths: Sequence[int] = (),
    stretch: int | None = None,
    view: QTableView | None = None,
) -> QTableView:
    """A read-only list view over ``model`` (``view``: a QTableView subclass to set up)."""
    table = view or QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    for col, width in enumerate(widths):
        header.resizeSection(col, width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return table


@contextmanager
def held_still(table: QTableView, key: Callable[[QModelIndex], Hashable]) -> Iterator[None]:
    """Rows inserted or moved by the update in the ``with`` block do not move what the user is
    looking at: while the pointer is over the list, a row is selected or the list is scrolled,
    the row at the top of the view stays there (new rows come in above it, out of sight, and
    the scroll bar says so). A list nobody is using, at the top, shows new rows as they come."""
    model = table.model()
    bar = table.verticalScrollBar()
    using = table.underMouse() or table.selectionModel().hasSelection() or bar.value() > 0
    top = table.rowAt(0)
    anchor = key(model.index(top, 0)) if using and top >= 0 else None
    offset = table.rowViewportPosition(top) if top >= 0 else 0
    yield
    if anchor is None:
        return
    row = next((r for r in range(model.rowCount()) if key(model.index(r, 0)) == anchor), -1)
    if row < 0:
        return
    table.doItemsLayout()  # (the scroll bar's range follows the new rows now, not later)
    if table.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerItem:
        bar.setValue(row)
    else:
        bar.setValue(bar.value() + table.rowViewportPosition(row) - offset)


def text_pane(name: str) -> QPlainTextEdit:
    """A read-only monospace text area (details, JSON)."""
    pane = QPlainTextEdit()
    pane.setReadOnly(True)
    pane.setFont(monospace_font())
    pane.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    pane.setAccessibleName(name)
    pane.setTabChangesFocus(True)
    return pane


class CopyField(QWidget):
    """A read-only, selectable value (a token, a fingerprint, a command) with a Copy button.

    ``wrap``: shown over several lines (a long command) rather than in a scrolling field.
    """

    def __init__(
        self, text: str, name: str, parent: QWidget | None = None, *, wrap: bool = False
    ) -> None:
        super().__init__(parent)
        self.view: QLineEdit | QLabel
        if wrap:
            self.view = QLabel(text)
            self.view.setWordWrap(True)
            self.view.setTextFormat(Qt.TextFormat.PlainText)
            self.view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        else:
            self.view = QLineEdit(text)
            self.view.setReadOnly(True)
            self.view.setCursorPosition(0)  # the start of a long value, not its end
        self.view.setFont(monospace_font())
        if not wrap and len(text) <= 100:  # a fingerprint is checked by eye: show all of it
            margin = 4 * self.view.fontMetrics().averageCharWidth()
            self.view.setMinimumWidth(self.view.fontMetrics().horizontalAdvance(text) + margin)
        self.view.setAccessibleName(name)
        self.copy = QPushButton("Copy")
        self.copy.setAccessibleName(f"Copy the {name[:1].lower()}{name[1:]}")
        self.copy.clicked.connect(self._copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.copy, 0, Qt.AlignmentFlag.AlignTop)

    def text(self) -> str:
        return self.view.text()

    def set_text(self, text: str) -> None:
        self.view.setText(text)
        if isinstance(self.view, QLineEdit):
            self.view.setCursorPosition(0)
        self.copy.setText("Copy")

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.view.text())
        self.copy.setText("Copied")


class ElidedLabel(QLabel):
    """One line that never widens its layout: cut with "…" to the width it is given, the whole
    text in its tooltip (a long plain QLabel pushed the window wider than the screen).
    ``text()`` is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, max(0, self.width())
        )
        super().setText(shown)


def labelled(text: str, widget: QWidget) -> QLabel:
    """A label with a mnemonic that moves focus to ``widget``."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def agent_combo(name: str, with_all: str = "All agents") -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.addItem(with_all, None)
    combo.setMinimumWidth(120)
    return combo


def tool_button(text: str, tip: str = "", name: str = "") -> QToolButton:
    button = QToolButton()
    button.setText(text)
    if tip:
        button.setToolTip(tip)
    button.setAccessibleName(name or tip or text)
    return button


class PeriodFilter(QWidget):
    """A date filter: a period ("Last 7 days", ...) or a custom range of days (local time)."""

    changed = Signal()
    PERIODS = ("Any time", "Last hour", "Today", "Last 7 days", "Last 30 days", "Between…")

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.period = QComboBox()
        self.period.setAccessibleName(name)
        self.period.addItems(list(self.PERIODS))
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_to = QDateEdit(today)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.period)
        for edit, label in ((self.date_from, "From date"), (self.date_to, "To date")):
            edit.setCalendarPopup(True)
            edit.setAccessibleName(label)
            edit.setVisible(False)
            edit.dateChanged.connect(lambda _d: self.changed.emit())
            layout.addWidget(edit)
        self.period.currentIndexChanged.connect(self._period_changed)

    def _period_changed(self) -> None:
        custom = self.period.currentText() == "Between…"
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)
        self.changed.emit()

    def range(self) -> tuple[datetime | None, datetime | None]:
        """``(since, until)`` in UTC; None where open."""
        now = datetime.now(UTC)
        period = self.period.currentText()
        if period == "Last hour":
            return now - timedelta(hours=1), None
        if period == "Today":
            midnight = (
                datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
            )
            return midnight.astimezone(UTC), None
        if period == "Last 7 days":
            return now - timedelta(days=7), None
        if period == "Last 30 days":
            return now - timedelta(days=30), None
        if period == "Between…":
            return _day(self.date_from.date()), _day(self.date_to.date().addDays(1))
        return None, None


def _day(date: QDate) -> datetime:
    """Local midnight starting ``date``, in UTC."""
    return datetime.fromtimestamp(QDateTime(date, QTime(0, 0)).toSecsSinceEpoch(), UTC)


def fill_agent_combo(combo: QComboBox, agents: Sequence[AgentInfo]) -> None:
    """Refresh an agent filter (first item "all") keeping the chosen agent."""
    if combo.count() == len(agents) + 1 and all(
        combo.itemData(i + 1) == a.id for i, a in enumerate(agents)
    ):
        return
    current = combo.currentData()
    combo.blockSignals(True)
    while combo.count() > 1:
        combo.removeItem(1)
    for a in agents:
        combo.addItem(a.name, a.id)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)
