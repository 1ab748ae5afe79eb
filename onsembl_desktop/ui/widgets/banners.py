"""Standing warnings: a banner above the window's content for as long as the condition holds.

For notices that must not scroll away with the status bar: the app listening on the network
without TLS (``--insecure``, Notice key ``insecure``) stays true until the app is restarted
differently, so it stays on screen, not as a toast.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..presentation.colors import WARNING_AMBER

# Notice keys shown as banners; each may offer a button (its text) that leads to the remedy.
STANDING: dict[str, str] = {"insecure": "Gateway settings…"}


class WarningBanner(QFrame):
    """One banner per key (a newer notice with the same key replaces the text)."""

    actionRequested = Signal(str)  # the key whose button was pressed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warningBanner")
        self.setStyleSheet(
            f"#warningBanner {{ background: {WARNING_AMBER}; }} "
            "#warningBanner QLabel { color: white; font-weight: bold; }"
        )
        self.rows: dict[str | None, QLabel] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(10, 4, 10, 4)
        self._layout.setSpacing(2)
        self.hide()

    def show_warning(self, text: str, key: str | None = None) -> QLabel:
        label = self.rows.get(key) if key is not None else None
        if label is None:
            label = QLabel()
            label.setWordWrap(True)
            label.setAccessibleName("Warning")
            row = QHBoxLayout()
            row.addWidget(label, 1)
            if key in STANDING:
                button = QPushButton(STANDING[key])
                button.setAccessibleName(STANDING[key].rstrip("…"))
                button.clicked.connect(lambda: self.actionRequested.emit(key))
                row.addWidget(button)
            self._layout.addLayout(row)
            self.rows[key] = label
        label.setText(f"⚠  {text}")
        self.show()
        return label
