"""Colours and fonts in one place: every view shows an agent type, a status or an ANSI colour alike.

The colours themselves, and which theme is current, are Qt-free data in
:mod:`.presentation.colors`; here they become ``QColor``s, palettes and fonts.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ..protocol.enums import AgentType
from ..terminal import PALETTE_256
from .presentation import colors


@dataclass(frozen=True, slots=True)
class TerminalScheme:
    """The colours a terminal view paints with (palette indices resolve through ``palette``)."""

    foreground: int
    background: int
    cursor: int
    selection: int
    match: int
    palette: tuple[int, ...]


DARK_TERMINAL = TerminalScheme(
    foreground=0xD4D4D4,
    background=0x1E1E1E,
    cursor=0xAEAFAD,
    selection=0x264F78,
    match=0xB58900,
    palette=tuple(PALETTE_256),
)

LIGHT_TERMINAL = TerminalScheme(
    foreground=0x1F1F1F,
    background=0xFAFAFA,
    cursor=0x333333,
    selection=0xADD6FF,
    match=0xF6C94C,
    palette=(
        0x000000,
        0xC91B00,
        0x00A600,
        0xA68A00,
        0x0225C7,
        0xB200B2,
        0x00A6B2,
        0xBFBFBF,
        0x686868,
        0xFF6E67,
        0x3AC23A,
        0xC7B900,
        0x6871FF,
        0xFF77FF,
        0x29B3C4,
        0xFFFFFF,
        *PALETTE_256[16:],
    ),
)

THEMES = ("system", "dark", "light")


def terminal_scheme() -> TerminalScheme:
    return DARK_TERMINAL if colors.is_dark() else LIGHT_TERMINAL


def type_color(agent_type: AgentType | str) -> QColor:
    """The agent type's colour as a fill (stripes, tags, graph lines): the same in both themes."""
    return QColor(colors.type_fill(agent_type))


def type_text_color(agent_type: AgentType | str) -> QColor:
    """The agent type's colour for text on the current theme's background (readable contrast)."""
    return QColor(colors.type_text(agent_type))


def status_color(status: str) -> QColor:
    return QColor(colors.status(status))


def monospace_font(point_size: int = 10, family: str | None = None) -> QFont:
    font = QFont(family) if family else QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    font.setPointSize(point_size)
    return font


def system_prefers_dark() -> bool:
    # Dark, or unknown (a headless session): the app's own default is dark.
    return QGuiApplication.styleHints().colorScheme() != Qt.ColorScheme.Light


def apply_theme(app: QApplication, theme: str) -> bool:
    """Apply "dark", "light" or "system"; returns whether the result is dark."""
    dark = system_prefers_dark() if theme == "system" else theme != "light"
    colors.set_dark(dark)
    if dark:
        apply_dark_palette(app)
    else:
        apply_light_palette(app)
    return dark


def apply_dark_palette(app: QApplication) -> None:
    """A dark Fusion palette with readable contrast (checked against WCAG AA for body text)."""
    colors.set_dark(True)
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor("#1E1F22"), QColor("#2B2D30"), QColor("#DFE1E5")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#26282B"))
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#393B40"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2F65CA"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8C8F94"))
    p.setColor(QPalette.ColorRole.Link, QColor("#78A9FF"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#43454A"))
    p.setColor(QPalette.ColorRole.Midlight, QColor("#393B40"))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6F737A"))
    app.setPalette(p)


def apply_light_palette(app: QApplication) -> None:
    colors.set_dark(False)
    app.setStyle("Fusion")
    p = app.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor("#1A5FD0"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#62666D"))
    p.setColor(QPalette.ColorRole.Link, QColor("#1A5FD0"))
    app.setPalette(p)


def muted_text() -> QColor:
    """Secondary text (captions, timestamps) with AA contrast on the theme's window colour."""
    return QColor("#A8ABB0") if colors.is_dark() else QColor("#5F6368")
