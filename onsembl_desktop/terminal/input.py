"""What keys, the mouse, pastes and focus send to the program, as xterm encodes them.

Sans-I/O and Qt-free: a view describes an event (a key's name or character, modifiers, a cell)
and gets the bytes to write to the program, according to the modes the program set on the
:class:`~onsembl_desktop.terminal.Terminal` (application cursor keys and keypad, newline mode,
mouse reporting and its encoding, bracketed paste, focus events).

Keys follow xterm's defaults (``modifyOtherKeys`` off, Alt sending ESC first), checked against a
real xterm 379 with xdotool: cursor and editing keys as ``CSI`` (``SS3`` in application mode) with
``;m`` for modifiers, F1-F4 as ``SS3 P..S``, F5-F20 as ``CSI n ~``; Ctrl with a character its
control code. The mouse: X10 (9), normal
(1000), button-motion (1002) and any-motion (1003) tracking, in the default, UTF-8 (1005), SGR
(1006) or urxvt (1015) encoding, modifiers in the button value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .terminal import Terminal

SHIFT, ALT, CTRL, META = 1, 2, 4, 8

_CURSOR = {"Up": "A", "Down": "B", "Right": "C", "Left": "D", "Home": "H", "End": "F"}
_TILDE = {
    "Insert": 2, "Delete": 3, "PageUp": 5, "PageDown": 6,
    "F5": 15, "F6": 17, "F7": 18, "F8": 19, "F9": 20, "F10": 21, "F11": 23, "F12": 24,
    "F13": 25, "F14": 26, "F15": 28, "F16": 29, "F17": 31, "F18": 32, "F19": 33, "F20": 34,
}  # fmt: skip
_SS3_F = {"F1": "P", "F2": "Q", "F3": "R", "F4": "S"}
# The keypad in application mode (DECKPAM): SS3 and these finals.
_KEYPAD = {
    **{f"KP{d}": "pqrstuvwxy"[d] for d in range(10)},
    "KPMult": "j", "KPPlus": "k", "KPComma": "l", "KPMinus": "m", "KPPeriod": "n",
    "KPDiv": "o", "KPEnter": "M", "KPEqual": "X",
}  # fmt: skip
_KEYPAD_TEXT = {
    **{f"KP{d}": str(d) for d in range(10)},
    "KPMult": "*", "KPPlus": "+", "KPComma": ",", "KPMinus": "-", "KPPeriod": ".",
    "KPDiv": "/", "KPEqual": "=",
}  # fmt: skip


def _param(mods: int) -> int:
    """xterm's modifier parameter: 1 + shift 1 + alt 2 + ctrl 4 + meta 8."""
    return 1 + (mods & (SHIFT | ALT | CTRL | META))


def key(t: Terminal, name: str, mods: int = 0) -> str:
    """The bytes for a key that is not a character (``"Up"``, ``"F5"``, ``"KP0"``, ...)."""
    if name in _CURSOR:
        final = _CURSOR[name]
        if mods:
            return f"\x1b[1;{_param(mods)}{final}"
        return ("\x1bO" if t.app_cursor_keys else "\x1b[") + final
    if name in _SS3_F:
        return f"\x1b[1;{_param(mods)}{_SS3_F[name]}" if mods else "\x1bO" + _SS3_F[name]
    if name in _TILDE:
        code = _TILDE[name]
        return f"\x1b[{code};{_param(mods)}~" if mods else f"\x1b[{code}~"
    meta = "\x1b" if mods & ALT else ""
    if name == "Enter":
        return meta + ("\r\n" if t.newline_mode else "\r")
    if name == "Tab":
        return "\x1b[Z" if mods & SHIFT else meta + "\t"
    if name == "Backspace":
        return meta + ("\x08" if mods & CTRL else "\x7f")
    if name == "Escape":
        return meta + "\x1b"
    if name in _KEYPAD:
        if name == "KPEnter":
            return "\x1bOM" if t.app_keypad else meta + ("\r\n" if t.newline_mode else "\r")
        if t.app_keypad:
            return "\x1bO" + _KEYPAD[name]
        return meta + _KEYPAD_TEXT[name]
    return ""


def char(t: Terminal, ch: str, mods: int = 0) -> str:
    """The bytes for a typed character (Shift already applied to it)."""
    del t
    meta = "\x1b" if mods & (ALT | META) else ""
    if mods & CTRL:
        control = _control(ch)
        if control is not None:
            return meta + control
    return meta + ch


_LEGACY = {
    " ": "\x00", "2": "\x00", "3": "\x1b", "4": "\x1c", "5": "\x1d", "6": "\x1e", "7": "\x1f",
    "8": "\x7f", "/": "\x1f", "?": "\x7f", "~": "\x1e", "`": "\x00",
}  # fmt: skip


def _control(ch: str) -> str | None:
    """Ctrl with a character: its control code, as xterm sends it (None: just the character)."""
    if len(ch) != 1:
        return None
    code = ord(ch)
    if 0x40 <= code <= 0x5F:  # @ A-Z [ \\ ] ^ _
        return chr(code - 0x40)
    if 0x61 <= code <= 0x7A:  # a-z
        return chr(code - 0x60)
    return _LEGACY.get(ch)


def paste(t: Terminal, text: str) -> str:
    """A paste: line ends as Enter sends them, inside bracketed-paste markers when the program
    asked for them (mode 2004). A pasted end marker (or any ESC) could end the bracket early and
    run the rest as typed keys: ESC is dropped from the pasted text."""
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    if t.bracketed_paste:
        return "\x1b[200~" + text.replace("\x1b", "") + "\x1b[201~"
    return text


def focus(t: Terminal, focused: bool) -> str:
    """Focus in / out (mode 1004)."""
    if not t.focus_events:
        return ""
    return "\x1b[I" if focused else "\x1b[O"


class Mouse:
    """Encodes mouse events for a program that asked for them; remembers the buttons held and
    the last cell reported (motion within a cell is not reported twice).

    Buttons are 1 left, 2 middle, 3 right, 4 / 5 wheel up / down, 6 / 7 wheel left / right; cells
    are 0-based ``(col, row)``.
    """

    def __init__(self) -> None:
        self.held: list[int] = []
        self.cell: tuple[int, int] | None = None

    def wants(self, t: Terminal) -> bool:
        return bool(t.mouse_mode)

    def press(self, t: Terminal, button: int, col: int, row: int, mods: int = 0) -> str:
        mode = t.mouse_mode
        if not mode:
            return ""
        self.cell = (col, row)
        if button < 4 and button not in self.held:
            self.held.append(button)
        value = _button_value(button)
        if mode == 9:  # X10: presses only, no modifiers
            return _encode(t, value, col, row, release=False)
        return _encode(t, value | _mods(mods), col, row, release=False)

    def release(self, t: Terminal, button: int, col: int, row: int, mods: int = 0) -> str:
        if button in self.held:
            self.held.remove(button)
        mode = t.mouse_mode
        if mode in (0, 9) or button >= 4:
            return ""
        self.cell = (col, row)
        value = _button_value(button) if t.mouse_encoding == 1006 else 3
        return _encode(t, value | _mods(mods), col, row, release=True)

    def move(self, t: Terminal, col: int, row: int, mods: int = 0) -> str:
        mode = t.mouse_mode
        if (col, row) == self.cell:
            return ""
        self.cell = (col, row)
        if mode == 1003 or (mode == 1002 and self.held):
            value = _button_value(self.held[0]) if self.held else 3
            return _encode(t, value | 32 | _mods(mods), col, row, release=False)
        return ""


def _button_value(button: int) -> int:
    return button - 1 if button < 4 else 64 + button - 4


def _mods(mods: int) -> int:
    """Modifiers in a mouse report: Shift 4, Alt (Meta) 8, Ctrl 16."""
    shift = 4 if mods & SHIFT else 0
    return shift | (8 if mods & (ALT | META) else 0) | (16 if mods & CTRL else 0)


def _encode(t: Terminal, value: int, col: int, row: int, release: bool) -> str:
    x, y = col + 1, row + 1
    encoding = t.mouse_encoding
    if encoding == 1006:
        return f"\x1b[<{value};{x};{y}{'m' if release else 'M'}"
    if encoding == 1015:
        return f"\x1b[{value + 32};{x};{y}M"
    if encoding == 1005:
        if x > 2015 or y > 2015:
            return ""
        return "\x1b[M" + chr(value + 32) + chr(x + 32) + chr(y + 32)
    if x > 223 or y > 223:
        return ""  # beyond what the default encoding can say: not reported (as xterm)
    return "\x1b[M" + chr(value + 32) + chr(x + 32) + chr(y + 32)
