"""What a key press sends to a program in a terminal (xterm's encoding), for interactive agents."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

Key = Qt.Key
Mod = Qt.KeyboardModifier

_CSI_KEYS: dict[Key, str] = {
    Key.Key_Up: "A",
    Key.Key_Down: "B",
    Key.Key_Right: "C",
    Key.Key_Left: "D",
    Key.Key_Home: "H",
    Key.Key_End: "F",
}
_TILDE_KEYS: dict[Key, int] = {
    Key.Key_Insert: 2,
    Key.Key_Delete: 3,
    Key.Key_PageUp: 5,
    Key.Key_PageDown: 6,
    Key.Key_F5: 15,
    Key.Key_F6: 17,
    Key.Key_F7: 18,
    Key.Key_F8: 19,
    Key.Key_F9: 20,
    Key.Key_F10: 21,
    Key.Key_F11: 23,
    Key.Key_F12: 24,
}
_SS3_KEYS: dict[Key, str] = {Key.Key_F1: "P", Key.Key_F2: "Q", Key.Key_F3: "R", Key.Key_F4: "S"}


def _modifier_param(mods: Qt.KeyboardModifier) -> int:
    value = 1
    if mods & Mod.ShiftModifier:
        value += 1
    if mods & Mod.AltModifier:
        value += 2
    if mods & Mod.ControlModifier:
        value += 4
    return value


def key_to_text(event: QKeyEvent) -> str | None:
    """The characters xterm would send for this key, or None if it sends nothing."""
    key = Key(event.key())
    mods = event.modifiers()
    ctrl = bool(mods & Mod.ControlModifier)
    alt = bool(mods & Mod.AltModifier)
    if key in (Key.Key_Return, Key.Key_Enter):
        return "\r"
    if key == Key.Key_Backspace:
        return "\x08" if ctrl else "\x7f"
    if key == Key.Key_Tab:
        return "\t"
    if key == Key.Key_Backtab:
        return "\x1b[Z"
    if key == Key.Key_Escape:
        return "\x1b"
    param = _modifier_param(mods)
    if key in _CSI_KEYS:
        final = _CSI_KEYS[key]
        return f"\x1b[1;{param}{final}" if param > 1 else f"\x1b[{final}"
    if key in _TILDE_KEYS:
        code = _TILDE_KEYS[key]
        return f"\x1b[{code};{param}~" if param > 1 else f"\x1b[{code}~"
    if key in _SS3_KEYS:
        return f"\x1b[1;{param}{_SS3_KEYS[key]}" if param > 1 else f"\x1bO{_SS3_KEYS[key]}"
    if ctrl and Key.Key_A <= key <= Key.Key_Z:
        text = chr(int(key) - int(Key.Key_A) + 1)
        return "\x1b" + text if alt else text
    if ctrl and key in (Key.Key_BracketLeft, Key.Key_Space, Key.Key_Backslash):
        return {Key.Key_BracketLeft: "\x1b", Key.Key_Space: "\x00", Key.Key_Backslash: "\x1c"}[key]
    text = event.text()
    if not text or not text.isprintable():
        return None
    return "\x1b" + text if alt else text
