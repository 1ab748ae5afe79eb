"""Keys, the mouse, pastes and focus as xterm encodes them, in the program's modes (the keys as
a real xterm 379 sent them, typed with xdotool)."""

from __future__ import annotations

import pytest

from onsembl_desktop.terminal import Terminal
from onsembl_desktop.terminal import input as keys
from onsembl_desktop.terminal.input import ALT, CTRL, SHIFT


def term(modes: str = "") -> Terminal:
    t = Terminal(80, 24)
    t.feed(modes)
    return t


@pytest.mark.parametrize(
    ("name", "mods", "modes", "sent"),
    [
        ("Up", 0, "", "\x1b[A"),
        ("Up", 0, "\x1b[?1h", "\x1bOA"),  # application cursor keys
        ("Up", CTRL, "\x1b[?1h", "\x1b[1;5A"),  # modified: CSI in either mode
        ("Home", 0, "", "\x1b[H"),
        ("End", SHIFT, "", "\x1b[1;2F"),
        ("F1", 0, "", "\x1bOP"),
        ("F1", ALT, "", "\x1b[1;3P"),
        ("F4", CTRL | SHIFT, "", "\x1b[1;6S"),
        ("F5", 0, "", "\x1b[15~"),
        ("F10", 0, "", "\x1b[21~"),
        ("F12", CTRL | ALT | SHIFT, "", "\x1b[24;8~"),
        ("F13", 0, "", "\x1b[25~"),
        ("F20", SHIFT, "", "\x1b[34;2~"),
        ("Delete", 0, "", "\x1b[3~"),
        ("PageUp", ALT, "", "\x1b[5;3~"),
        ("Insert", 0, "", "\x1b[2~"),
        ("Enter", 0, "", "\r"),
        ("Enter", 0, "\x1b[20h", "\r\n"),  # newline mode
        ("Enter", ALT, "", "\x1b\r"),
        ("Tab", SHIFT, "", "\x1b[Z"),
        ("Backspace", 0, "", "\x7f"),
        ("Backspace", CTRL, "", "\x08"),
        ("Backspace", ALT, "", "\x1b\x7f"),
        ("Escape", 0, "", "\x1b"),
        ("KP5", 0, "", "5"),
        ("KP5", 0, "\x1b=", "\x1bOu"),  # application keypad
        ("KPEnter", 0, "\x1b=", "\x1bOM"),
        ("KPPlus", 0, "\x1b=", "\x1bOk"),
    ],
)
def test_keys(name: str, mods: int, modes: str, sent: str) -> None:
    assert keys.key(term(modes), name, mods) == sent


@pytest.mark.parametrize(
    ("ch", "mods", "sent"),
    [
        ("a", 0, "a"),
        ("l", CTRL, "\x0c"),
        ("L", CTRL | SHIFT, "\x0c"),
        ("a", ALT, "\x1ba"),  # Alt as Meta: ESC first
        ("a", CTRL | ALT, "\x1b\x01"),
        (" ", CTRL, "\x00"),
        ("[", CTRL, "\x1b"),
        ("\\", CTRL, "\x1c"),
        ("]", CTRL, "\x1d"),
        ("_", CTRL, "\x1f"),
        ("?", CTRL, "\x7f"),
        ("é", ALT, "\x1bé"),
    ],
)
def test_characters(ch: str, mods: int, sent: str) -> None:
    assert keys.char(term(), ch, mods) == sent


def test_bracketed_paste_and_what_a_paste_cannot_smuggle() -> None:
    assert keys.paste(term(), "one\ntwo\r\n") == "one\rtwo\r"
    evil = "ls\x1b[201~rm -rf ~\n"
    pasted = keys.paste(term("\x1b[?2004h"), evil)
    assert pasted.startswith("\x1b[200~") and pasted.endswith("\x1b[201~")
    assert pasted.count("\x1b") == 2  # the pasted end marker lost its ESC: no early end


def test_focus_events_only_when_asked() -> None:
    assert keys.focus(term(), True) == ""
    t = term("\x1b[?1004h")
    assert (keys.focus(t, True), keys.focus(t, False)) == ("\x1b[I", "\x1b[O")


def test_mouse_sgr_press_drag_release_and_wheel() -> None:
    t = term("\x1b[?1002h\x1b[?1006h")
    mouse = keys.Mouse()
    assert mouse.move(t, 3, 4) == ""  # no button held: button-motion mode says nothing
    assert mouse.press(t, 1, 3, 4) == "\x1b[<0;4;5M"
    assert mouse.move(t, 3, 4) == ""  # same cell
    assert mouse.move(t, 5, 4, CTRL) == "\x1b[<48;6;5M"  # drag: +32, Ctrl +16
    assert mouse.release(t, 1, 5, 4) == "\x1b[<0;6;5m"  # SGR keeps the button, 'm'
    assert mouse.press(t, 4, 0, 0) == "\x1b[<64;1;1M"  # wheel up
    assert mouse.press(t, 3, 300, 300) == "\x1b[<2;301;301M"  # no limit in SGR


def test_mouse_default_encoding_and_modes() -> None:
    mouse = keys.Mouse()
    assert mouse.press(term(), 1, 0, 0) == ""  # not asked: nothing
    t = term("\x1b[?1000h")
    assert mouse.press(t, 1, 0, 0, SHIFT) == "\x1b[M$!!"  # 32 + Shift 4
    assert mouse.release(t, 1, 0, 0) == "\x1b[M#!!"  # release: button 3
    assert mouse.move(t, 1, 1) == ""  # 1000: no motion
    assert mouse.press(t, 1, 222, 222) == "\x1b[M \xff\xff"
    assert mouse.press(t, 1, 223, 0) == ""  # past what bytes can say: not reported
    x10 = term("\x1b[?9h")
    assert mouse.press(x10, 3, 1, 1, CTRL) == '\x1b[M"""'  # X10: no modifiers
    assert mouse.release(x10, 3, 1, 1) == ""  # nor releases
    any_motion = term("\x1b[?1003h\x1b[?1006h")
    assert keys.Mouse().move(any_motion, 2, 2) == "\x1b[<35;3;3M"
