"""The PySide6 desktop UI: widgets and Qt item models adapting the core's events."""
