"""The PySide6 desktop UI: widgets and Qt item models adapting the core's events."""

from ._pyside_fix import apply as _apply_pyside_fix

_apply_pyside_fix()
