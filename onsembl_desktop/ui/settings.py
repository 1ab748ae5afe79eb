"""The window's preferences, typed, over QSettings (``DATA_DIR/ui.ini``).

One class reads and writes every key so their names and defaults live in one place; widgets
persist their layout (geometry, splitters, header state) through :meth:`UiSettings.save_state`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from .presentation.shortcuts import TERMINAL_APP_KEYS
from .theme import THEMES

DEFAULT_SCROLLBACK = 10_000
DEFAULT_FONT_SIZE = 10


class UiSettings(QObject):
    """Typed preferences; ``changed`` fires after the Settings dialog applies new values."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.qsettings = settings

    # --- generic ----------------------------------------------------------------------------------

    def _str(self, key: str, default: str) -> str:
        value = self.qsettings.value(key, default)
        return str(value) if value is not None else default

    def _int(self, key: str, default: int, low: int, high: int) -> int:
        try:
            value = int(str(self.qsettings.value(key, default)))
        except ValueError:
            return default
        return max(low, min(high, value))

    def _bool(self, key: str, default: bool) -> bool:
        value = self.qsettings.value(key, default)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def set(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)

    def sync(self) -> None:
        self.qsettings.sync()

    # --- appearance -------------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        theme = self._str("appearance/theme", "system")
        return theme if theme in THEMES else "system"

    @property
    def font_family(self) -> str:
        return self._str("terminal/font_family", "")

    @property
    def font_size(self) -> int:
        return self._int("terminal/font_size", DEFAULT_FONT_SIZE, 6, 40)

    @property
    def scrollback(self) -> int:
        return self._int("terminal/scrollback", DEFAULT_SCROLLBACK, 100, 1_000_000)

    @property
    def terminal_app_keys(self) -> tuple[str, ...]:
        """The shortcuts that stay with the app while a program in a terminal takes the keys."""
        value = self._str("terminal/app_keys", ", ".join(TERMINAL_APP_KEYS))
        return tuple(k.strip() for k in value.split(",") if k.strip())

    @property
    def notifications(self) -> bool:
        return self._bool("notifications/enabled", True)

    # --- gateway (takes effect on the next start) -------------------------------------------------

    @property
    def gateway_host(self) -> str | None:
        value = self._str("gateway/host", "")
        return value or None

    @property
    def gateway_port(self) -> int | None:
        if self.qsettings.value("gateway/port") in (None, ""):
            return None
        return self._int("gateway/port", 8765, 0, 65535)

    @property
    def gateway_insecure(self) -> bool:
        """Plain ws:// on a non-loopback host (``--insecure``), chosen in Settings → Gateway."""
        return self._str("gateway/security", "tls") == "insecure"

    # --- layout -----------------------------------------------------------------------------------

    def state(self, key: str) -> QByteArray | None:
        value = self.qsettings.value(f"layout/{key}")
        return value if isinstance(value, QByteArray) else None

    def save_state(self, key: str, value: QByteArray) -> None:
        self.qsettings.setValue(f"layout/{key}", value)

    def value(self, key: str, default: Any = None) -> Any:
        return self.qsettings.value(key, default)

    def str_list(self, key: str) -> list[str]:
        value = self.qsettings.value(key, [])
        if isinstance(value, str):
            return [value] if value else []
        if isinstance(value, list):
            return [str(v) for v in value]
        return []
