"""Every main action with its shortcut, registered in one place: Help → Shortcuts lists them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


@dataclass(frozen=True, slots=True)
class ShortcutInfo:
    section: str
    text: str
    keys: str


# Keys handled inside widgets rather than by window actions (listed for the Shortcuts dialog).
WIDGET_KEYS: tuple[ShortcutInfo, ...] = (
    ShortcutInfo("Command bar", "Send the command", "Enter, Ctrl+Enter"),
    ShortcutInfo("Command bar", "New line in the command", "Shift+Enter"),
    ShortcutInfo("Command bar", "Previous / next command from history", "Up / Down"),
    ShortcutInfo("Terminal", "Find in output", "Ctrl+F"),
    ShortcutInfo("Terminal", "Next / previous match", "Enter / Shift+Enter (in the find bar)"),
    ShortcutInfo("Terminal", "Copy the selection", "Ctrl+Shift+C (Ctrl+C with a selection)"),
    ShortcutInfo("Terminal", "Select all output", "Ctrl+Shift+A"),
    ShortcutInfo("Terminal", "Clear the view", "Ctrl+Shift+K"),
    ShortcutInfo("Terminal", "Redraw from stored output", "Ctrl+Shift+R"),
    ShortcutInfo("Terminal", "Follow output (jump to the end)", "Ctrl+Shift+End"),
    ShortcutInfo("Terminal", "Scroll back / forward a page", "Shift+PgUp / Shift+PgDown"),
    ShortcutInfo("Terminal", "Scroll a line", "Shift+Up / Shift+Down"),
    ShortcutInfo("Terminal", "Top / bottom of the output", "Shift+Home / Shift+End"),
    ShortcutInfo("Terminal", "Paste into an interactive agent", "Ctrl+Shift+V"),
    ShortcutInfo("Queue", "Cancel the selected entry", "Delete"),
    ShortcutInfo("Queue", "Move the selected entry up / down", "Alt+Up / Alt+Down"),
)


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
