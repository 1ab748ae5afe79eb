"""Accessibility basics: every control has a name a screen reader can say; tab order reaches the
command bar; the theme's text colours are readable on their backgrounds (WCAG AA)."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from onsembl_desktop.protocol.enums import ActivityState, AgentStatus, AgentType, CommandStatus
from onsembl_desktop.ui.pages.trace_widgets import row_colors
from onsembl_desktop.ui.theme import apply_theme, status_color, type_text_color
from tests.ui.conftest import Ui, UiRun

CONTROLS = (
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QPlainTextEdit,
    QAbstractItemView,
    QAbstractButton,
)


def _named(w: QWidget, buddies: set[int]) -> bool:
    if w.accessibleName().strip() or id(w) in buddies:
        return True
    return bool(isinstance(w, QAbstractButton) and w.text().replace("&", "").strip())


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def f(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * f(c.redF()) + 0.7152 * f(c.greenF()) + 0.0722 * f(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_control_is_named_on_every_page(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        await ui.online("sh1")
        missing: set[str] = set()
        for _title, page in w.page_list:
            w.show_page(page)
            buddies = {id(label.buddy()) for label in w.findChildren(QLabel) if label.buddy()}
            for control in w.findChildren(QWidget):
                if not isinstance(control, CONTROLS) or not control.isVisibleTo(w):
                    continue
                if isinstance(control.parent(), QComboBox | QAbstractSpinBox) or isinstance(
                    control, QHeaderView
                ):
                    continue  # a combo's or spin box's own editor; a table's header
                if not _named(control, buddies):
                    missing.add(f"{type(control).__name__} {control.objectName()!r} in {_title}")
        assert not missing, sorted(missing)

    ui_run(body)


def test_text_colours_are_readable_in_both_themes(qapp: QApplication) -> None:
    # (qapp: the test makes its QApplication itself; run alone it found none)
    app = qapp
    kinds = [*AgentStatus, *ActivityState, *CommandStatus]
    try:
        for theme in ("dark", "light"):
            apply_theme(app, theme)
            palette = app.palette()
            for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
                bg = palette.color(role)
                text = palette.color(QPalette.ColorRole.Text)
                assert _contrast(text, bg) >= 4.5, (theme, role)
                for kind in kinds:
                    assert _contrast(status_color(kind), bg) >= 4.5, (theme, kind, role)
                for agent_type in AgentType:
                    assert _contrast(type_text_color(agent_type), bg) >= 4.5, (theme, agent_type)
    finally:
        apply_theme(app, "dark")


def test_selected_timeline_row_is_readable_in_both_themes(qapp: QApplication) -> None:
    """The selected bar's label on its highlight (it was the plain text colour: dark on dark
    navy in the light theme)."""
    app = qapp
    try:
        for theme in ("dark", "light"):
            apply_theme(app, theme)
            palette = app.palette()
            background, text = row_colors(palette, True)
            assert background is not None
            assert _contrast(text, background) >= 4.5, theme
            plain, text = row_colors(palette, False)
            assert plain is None
            assert _contrast(text, palette.color(QPalette.ColorRole.Base)) >= 4.5, theme
    finally:
        apply_theme(app, "dark")


def test_tab_moves_through_the_controls_in_reading_order(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        await ui.activate()
        panel = w.agents_panel
        bar = w.command_bar

        def tab_from(widget: QWidget) -> QWidget | None:
            widget.setFocus()
            QTest.keyClick(widget, Qt.Key.Key_Tab)
            return QApplication.focusWidget()

        # Agents: search → type filter → status filter → the cards.
        chain = [panel.search, panel.type_button, panel.status_button, panel.list]
        for a, b in itertools.pairwise(chain):
            assert tab_from(a) is b, (a.accessibleName(), b.accessibleName())
        # Command bar: the text → Send → the targets; Tab in the text does not insert a tab.
        assert tab_from(bar.edit) is bar.button
        assert bar.edit.toPlainText() == ""
        nxt = tab_from(bar.button)
        assert nxt is bar.target, (nxt.accessibleName(), nxt.text(), type(nxt.parent()).__name__)

    ui_run(body)
