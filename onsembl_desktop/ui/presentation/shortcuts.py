"""The keyboard shortcuts the Shortcuts dialog lists: the window's actions (registered with
their keys in ``window/actions.py``) and the keys handled inside widgets, listed here."""

from __future__ import annotations

from dataclasses import dataclass


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
