"""The keyboard shortcuts the Shortcuts dialog lists: the window's actions (registered with
their keys in ``window/actions.py``) and the keys handled inside widgets, listed here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShortcutInfo:
    section: str
    text: str
    keys: str


#: While a program in a terminal takes the keys, every key goes to it except these, which stay
#: with the app (as VS Code's terminal lets a few through): copy, paste, find, split view, the
#: emergency stop, clear, redraw, select all, follow, switching terminals and scrolling back.
#: Settings → Terminal changes the list.
TERMINAL_APP_KEYS: tuple[str, ...] = (
    "Ctrl+Shift+X",
    "Ctrl+Shift+C",
    "Ctrl+Shift+V",
    "Ctrl+Shift+F",
    "Ctrl+Shift+D",
    "Ctrl+Shift+K",
    "Ctrl+Shift+R",
    "Ctrl+Shift+A",
    "Ctrl+Shift+End",
    "Ctrl+PgUp",
    "Ctrl+PgDown",
    "Shift+PgUp",
    "Shift+PgDown",
    "Shift+Home",
    "Shift+End",
)

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
    ShortcutInfo(
        "Terminal",
        "While a program takes the keys, every other key goes to it (Ctrl+L, F1, Ctrl+F ...); "
        "these stay with the app (Settings → Terminal)",
        ", ".join(TERMINAL_APP_KEYS),
    ),
    ShortcutInfo("Terminal", "Select text while a program takes the mouse", "Shift+drag"),
    ShortcutInfo("Queue", "Cancel the selected entry", "Delete"),
    ShortcutInfo("Queue", "Move the selected entry up / down", "Alt+Up / Alt+Down"),
)
