"""Colours and fonts in one place: every view shows an agent type, a status or an ANSI colour alike.

Two themes, dark and light, each with its own status colours: the bright amber and green that read
well on a dark background fail contrast on white, so the light theme uses darker shades of the same
hues (every text colour below is at least 4.5:1 against its theme's base colour, WCAG AA).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ..protocol.enums import ActivityState, AgentStatus, AgentType, CommandStatus
from ..terminal import PALETTE_256

AGENT_TYPE_COLORS: dict[AgentType, str] = {
    AgentType.CLAUDE: "#D97757",
    AgentType.GEMINI: "#4C8BF5",
    AgentType.CODEX: "#10A37F",
    AgentType.SHELL: "#9AA0A6",
}
# Shades of the same hues for text: lighter on the dark theme, darker on the light one.
AGENT_TYPE_COLORS_DARK: dict[AgentType, str] = {
    AgentType.CLAUDE: "#E8917A",
    AgentType.GEMINI: "#7EABF7",
    AgentType.CODEX: "#33C29C",
    AgentType.SHELL: "#A8ABB0",
}
AGENT_TYPE_COLORS_LIGHT: dict[AgentType, str] = {
    AgentType.CLAUDE: "#B0502F",
    AgentType.GEMINI: "#1A5FD0",
    AgentType.CODEX: "#0B7A5F",
    AgentType.SHELL: "#5F6368",
}

_OK, _OFF, _WAIT, _BUSY, _BAD = "OK", "OFF", "WAIT", "BUSY", "BAD"
_SHADES = {
    "dark": {_OK: "#4CC26B", _OFF: "#9AA0A6", _WAIT: "#F9AB00", _BUSY: "#6EA2F7", _BAD: "#F26B5E"},
    "light": {_OK: "#19732F", _OFF: "#5F6368", _WAIT: "#A05A00", _BUSY: "#1A5FD0", _BAD: "#C5221F"},
}
_STATUS_KIND: dict[str, str] = {
    AgentStatus.ONLINE: _OK,
    AgentStatus.OFFLINE: _OFF,
    AgentStatus.CONNECTING: _WAIT,
    AgentStatus.ERROR: _BAD,
    ActivityState.IDLE: _OFF,
    ActivityState.PROCESSING: _BUSY,
    ActivityState.QUEUED: _WAIT,
    CommandStatus.PENDING: _OFF,
    CommandStatus.QUEUED: _WAIT,
    CommandStatus.EXECUTING: _BUSY,
    CommandStatus.COMPLETED: _OK,
    CommandStatus.FAILED: _BAD,
    CommandStatus.CANCELLED: _OFF,
    "DRAFT": _OFF,
    "IN_PROGRESS": _BUSY,
    "COMPLETE": _OK,
}

EMERGENCY_RED = "#C5221F"  # white text on it: 5.6:1
WARNING_AMBER = "#A05A00"  # white text on it: 5.3:1


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


class _Current:
    dark = True


def is_dark() -> bool:
    return _Current.dark


def terminal_scheme() -> TerminalScheme:
    return DARK_TERMINAL if _Current.dark else LIGHT_TERMINAL


def type_color(agent_type: AgentType | str) -> QColor:
    """The agent type's colour as a fill (stripes, tags, graph lines): the same in both themes."""
    return QColor(AGENT_TYPE_COLORS.get(AgentType(agent_type), "#9AA0A6"))


def type_text_color(agent_type: AgentType | str) -> QColor:
    """The agent type's colour for text on the current theme's background (readable contrast)."""
    table = AGENT_TYPE_COLORS_DARK if _Current.dark else AGENT_TYPE_COLORS_LIGHT
    return QColor(table.get(AgentType(agent_type), "#9AA0A6"))


def status_color(status: str) -> QColor:
    shades = _SHADES["dark" if _Current.dark else "light"]
    return QColor(shades[_STATUS_KIND.get(status, _OFF)])


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
    _Current.dark = dark
    if dark:
        apply_dark_palette(app)
    else:
        apply_light_palette(app)
    return dark


def apply_dark_palette(app: QApplication) -> None:
    """A dark Fusion palette with readable contrast (checked against WCAG AA for body text)."""
    _Current.dark = True
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
    _Current.dark = False
    app.setStyle("Fusion")
    p = app.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor("#1A5FD0"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#62666D"))
    p.setColor(QPalette.ColorRole.Link, QColor("#1A5FD0"))
    app.setPalette(p)


def muted_text() -> QColor:
    """Secondary text (captions, timestamps) with AA contrast on the theme's window colour."""
    return QColor("#A8ABB0") if _Current.dark else QColor("#5F6368")
