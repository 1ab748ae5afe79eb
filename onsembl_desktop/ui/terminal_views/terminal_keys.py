"""Qt's key events as the terminal's input (``terminal/input.py`` encodes them as xterm does)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

from ...terminal import Terminal
from ...terminal import input as keys

Key = Qt.Key
Mod = Qt.KeyboardModifier

_NAMES: dict[Key, str] = {
    Key.Key_Up: "Up",
    Key.Key_Down: "Down",
    Key.Key_Right: "Right",
    Key.Key_Left: "Left",
    Key.Key_Home: "Home",
    Key.Key_End: "End",
    Key.Key_Insert: "Insert",
    Key.Key_Delete: "Delete",
    Key.Key_PageUp: "PageUp",
    Key.Key_PageDown: "PageDown",
    Key.Key_Return: "Enter",
    Key.Key_Enter: "KPEnter",
    Key.Key_Tab: "Tab",
    Key.Key_Backtab: "Tab",
    Key.Key_Backspace: "Backspace",
    Key.Key_Escape: "Escape",
    **{Key(int(Key.Key_F1) + i): f"F{i + 1}" for i in range(24)},
}
_KEYPAD: dict[Key, str] = {
    **{Key(int(Key.Key_0) + d): f"KP{d}" for d in range(10)},
    Key.Key_Asterisk: "KPMult",
    Key.Key_Plus: "KPPlus",
    Key.Key_Comma: "KPComma",
    Key.Key_Minus: "KPMinus",
    Key.Key_Period: "KPPeriod",
    Key.Key_Slash: "KPDiv",
    Key.Key_Equal: "KPEqual",
}
# Keys that are not letters but have a control code with Ctrl (xterm's legacy mapping).
_CTRL_KEYS: dict[Key, str] = {
    Key.Key_Space: " ",
    Key.Key_At: "@",
    Key.Key_BracketLeft: "[",
    Key.Key_Backslash: "\\",
    Key.Key_BracketRight: "]",
    Key.Key_AsciiCircum: "^",
    Key.Key_Underscore: "_",
    Key.Key_Slash: "/",
    Key.Key_Question: "?",
    Key.Key_QuoteLeft: "`",
    Key.Key_AsciiTilde: "~",
    **{Key(int(Key.Key_0) + d): str(d) for d in range(2, 9)},
}


def modifiers(mods: Qt.KeyboardModifier) -> int:
    """Qt's modifiers as the input encoder's (the Super / Windows key counts for nothing)."""
    out = 0
    if mods & Mod.ShiftModifier:
        out |= keys.SHIFT
    if mods & Mod.AltModifier:
        out |= keys.ALT
    if mods & Mod.ControlModifier:
        out |= keys.CTRL
    return out


def key_to_text(event: QKeyEvent, terminal: Terminal) -> str | None:
    """What xterm would send for this key press, in the terminal's modes (None: nothing)."""
    key = Key(event.key())
    qt_mods = event.modifiers()
    mods = modifiers(qt_mods)
    if qt_mods & Mod.KeypadModifier and key in _KEYPAD:
        return keys.key(terminal, _KEYPAD[key], mods & ~keys.SHIFT)
    name = _NAMES.get(key)
    if name is not None:
        if key == Key.Key_Backtab:
            mods |= keys.SHIFT
        return keys.key(terminal, name, mods) or None
    if mods & keys.CTRL:
        if Key.Key_A <= key <= Key.Key_Z:
            return keys.char(terminal, chr(ord("a") + int(key) - int(Key.Key_A)), mods)
        if key in _CTRL_KEYS:
            return keys.char(terminal, _CTRL_KEYS[key], mods)
    text = event.text()
    if not text or not text.isprintable():
        return None
    return keys.char(terminal, text, mods & ~(keys.SHIFT | keys.CTRL))


def combination(sequence: str) -> int:
    """A shortcut like ``"Ctrl+Shift+C"`` as the int a key event's combination compares with
    (0 if it does not parse)."""
    parsed = QKeySequence(sequence)
    return parsed[0].toCombined() if parsed.count() else 0  # type: ignore[index]


def event_combination(event: QKeyEvent) -> int:
    """The key event's key and modifiers (the keypad flag aside) as one int."""
    mods = event.modifiers() & ~Mod.KeypadModifier
    return int(event.key()) | mods.value
