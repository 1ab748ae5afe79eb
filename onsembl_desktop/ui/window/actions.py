"""Every main action with its shortcut, registered in one place: Help → Shortcuts lists them all."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from ..presentation.shortcuts import WIDGET_KEYS, ShortcutInfo


class ActionRegistry:
    def __init__(self, owner: QObject) -> None:
        self.owner = owner
        self.actions: list[tuple[str, QAction]] = []

    def add(
        self,
        section: str,
        text: str,
        shortcut: str | QKeySequence.StandardKey | None,
        slot: Callable[[], object] | None = None,
        *,
        checkable: bool = False,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self.owner)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        label = text.replace("&", "").rstrip("…")
        action.setToolTip(f"{tip or label} ({keys})" if keys else tip or label)
        action.setStatusTip(tip or label)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.actions.append((section, action))
        return action

    def shortcuts(self) -> list[ShortcutInfo]:
        out = []
        for section, action in self.actions:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                out.append(ShortcutInfo(section, action.text().replace("&", ""), keys))
        return out + list(WIDGET_KEYS)
