"""Colours and fonts: one place, so every view shows an agent type, a status or an ANSI colour alike."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from ..protocol.enums import ActivityState, AgentStatus, AgentType, CommandStatus
from ..terminal import PALETTE_256

AGENT_TYPE_COLORS: dict[AgentType, str] = {
    AgentType.CLAUDE: "#D97757",
    AgentType.GEMINI: "#4C8BF5",
    AgentType.CODEX: "#10A37F",
    AgentType.SHELL: "#9AA0A6",
}

STATUS_COLORS: dict[str, str] = {
    AgentStatus.ONLINE: "#34A853",
    AgentStatus.OFFLINE: "#8A8F98",
    AgentStatus.CONNECTING: "#F9AB00",
    AgentStatus.ERROR: "#EA4335",
    ActivityState.IDLE: "#8A8F98",
    ActivityState.PROCESSING: "#4C8BF5",
    ActivityState.QUEUED: "#F9AB00",
    CommandStatus.PENDING: "#8A8F98",
    CommandStatus.QUEUED: "#F9AB00",
    CommandStatus.EXECUTING: "#4C8BF5",
    CommandStatus.COMPLETED: "#34A853",
    CommandStatus.FAILED: "#EA4335",
    CommandStatus.CANCELLED: "#8A8F98",
}

EMERGENCY_RED = "#D93025"


@dataclass(frozen=True, slots=True)
class TerminalScheme:
    """The colours a terminal view paints with (palette indices resolve through ``palette``)."""

    foreground: int
    background: int
    cursor: int
    selection: int
    palette: tuple[int, ...]


DARK_TERMINAL = TerminalScheme(
    foreground=0xD4D4D4,
    background=0x1E1E1E,
    cursor=0xAEAFAD,
    selection=0x264F78,
    palette=tuple(PALETTE_256),
)

LIGHT_TERMINAL = TerminalScheme(
    foreground=0x1F1F1F,
    background=0xFAFAFA,
    cursor=0x333333,
    selection=0xADD6FF,
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


def type_color(agent_type: AgentType | str) -> QColor:
    return QColor(AGENT_TYPE_COLORS.get(AgentType(agent_type), "#9AA0A6"))


def status_color(status: str) -> QColor:
    return QColor(STATUS_COLORS.get(status, "#8A8F98"))


def monospace_font(point_size: int = 10, family: str | None = None) -> QFont:
    font = QFont(family) if family else QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    font.setPointSize(point_size)
    return font


def apply_dark_palette(app: QApplication) -> None:
    """A dark Fusion palette with readable contrast (checked against WCAG AA for body text)."""
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
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6F737A"))
    app.setPalette(p)


def apply_light_palette(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setPalette(app.style().standardPalette())
