"""The app's colours as data, without Qt: agent types and statuses in the dark and the light
theme, and which theme is current. ``ui/theme.py`` turns them into ``QColor``s for the widgets;
the All view's document (``all_output``) writes them into its text as SGR colours.

Two themes, each with its own status colours: the bright amber and green that read well on a dark
background fail contrast on white, so the light theme uses darker shades of the same hues (every
text colour below is at least 4.5:1 against its theme's base colour, WCAG AA).
"""

from __future__ import annotations

from ...protocol.enums import ActivityState, AgentStatus, AgentType, CommandStatus

AGENT_TYPE_COLORS: dict[AgentType, str] = {
    AgentType.CLAUDE: "#D97757",
    AgentType.GEMINI: "#4C8BF5",
    AgentType.CODEX: "#10A37F",
    AgentType.SHELL: "#9AA0A6",
    AgentType.ACP: "#9B72CB",  # any agent of the Agent Client Protocol
}
# Shades of the same hues for text: lighter on the dark theme, darker on the light one.
AGENT_TYPE_COLORS_DARK: dict[AgentType, str] = {
    AgentType.CLAUDE: "#E8917A",
    AgentType.GEMINI: "#7EABF7",
    AgentType.CODEX: "#33C29C",
    AgentType.SHELL: "#A8ABB0",
    AgentType.ACP: "#B79CE0",
}
AGENT_TYPE_COLORS_LIGHT: dict[AgentType, str] = {
    AgentType.CLAUDE: "#B0502F",
    AgentType.GEMINI: "#1A5FD0",
    AgentType.CODEX: "#0B7A5F",
    AgentType.SHELL: "#5F6368",
    AgentType.ACP: "#6B3FA0",
}

_UNKNOWN = "#9AA0A6"
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


class _Current:
    dark = True


def is_dark() -> bool:
    return _Current.dark


def set_dark(dark: bool) -> None:
    """Which theme the colours below are for (``theme.apply_theme`` sets it)."""
    _Current.dark = dark


def type_fill(agent_type: AgentType | str) -> str:
    """The agent type's colour as a fill (stripes, tags, graph lines): the same in both themes."""
    return AGENT_TYPE_COLORS.get(AgentType(agent_type), _UNKNOWN)


def type_text(agent_type: AgentType | str) -> str:
    """The agent type's colour for text on the current theme's background (readable contrast)."""
    table = AGENT_TYPE_COLORS_DARK if _Current.dark else AGENT_TYPE_COLORS_LIGHT
    return table.get(AgentType(agent_type), _UNKNOWN)


def status(status: str) -> str:
    """The colour of an agent, activity, command or report status on the current theme."""
    return _SHADES["dark" if _Current.dark else "light"][_STATUS_KIND.get(status, _OFF)]


def rgb(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` as its three components."""
    value = int(color.removeprefix("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF
