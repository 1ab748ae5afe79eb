"""What each control character, escape and CSI sequence does to the screen.

Unknown or malformed sequences are ignored, as xterm and tmux ignore them.
Queries (DA, DSR, CPR) are answered through ``on_reply`` only when one is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .screen import Screen
from .style import SgrCache

# DEC Special Graphics (ESC ( 0): the VT100 line-drawing set, as tmux draws it.
GRAPHICS = str.maketrans(
    "`abcdefghijklmnopqrstuvwxyz{|}~",
    "◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·",
)

DA1_REPLY = "\x1b[?1;2c"  # what tmux answers
DA2_REPLY = "\x1b[>84;0;0c"


_INTS: dict[str, list[int]] = {}
_MARKER = re.compile(r"[<=>?]")


def _ints(params: str) -> list[int]:
    """Numeric parameters; empty ones are 0, sub-parameters after ':' dropped.

    Memoised (callers never mutate the list): the same few parameter strings
    repeat, cursor positions above all.
    """
    out = _INTS.get(params)
    if out is None:
        out = []
        for part in params.split(";"):
            head = part.split(":", 1)[0]
            out.append(min(int(head), 65535) if head.isdigit() else 0)
        if len(_INTS) > 4096:
            _INTS.clear()
        _INTS[params] = out
    return out


class Controls(Screen):
    """A :class:`Screen` driven by control functions (the parser's handler)."""

    def __init__(
        self, cols: int, rows: int, scrollback: int, on_reply: Callable[[str], None] | None
    ) -> None:
        super().__init__(cols, rows, scrollback)
        self.on_reply = on_reply
        self.sgr = SgrCache()

    def reply(self, text: str) -> None:
        if self.on_reply is not None:
            self.on_reply(text)

    # -- C0 -------------------------------------------------------------

    def execute(self, ch: str) -> None:
        self.last_char = ""
        if ch == "\n" or ch == "\x0b" or ch == "\x0c":
            self.index()
        elif ch == "\r":
            self.carriage_return()
        elif ch == "\x08":
            self.backspace()
        elif ch == "\t":
            self.tab()
        elif ch == "\x0e":
            self.shift_out = True
        elif ch == "\x0f":
            self.shift_out = False

    # -- ESC ------------------------------------------------------------

    def esc(self, inter: str, final: str) -> None:
        self.last_char = ""
        if inter == "":
            if final == "7":
                self.saved = self.save_cursor()
            elif final == "8":
                self.restore_cursor(self.saved)
            elif final == "D":
                self.index()
            elif final == "E":
                self.carriage_return()
                self.index()
            elif final == "M":
                self.reverse_index()
            elif final == "H":
                self.set_tab()
            elif final == "c":
                self.full_reset()
        elif inter == "(":
            self.g0_graphics = final == "0"
        elif inter == ")":
            self.g1_graphics = final == "0"
        elif inter == "#" and final == "8":
            self.alignment_test()

    def full_reset(self) -> None:
        """RIS: everything back to power-on; scrollback stays (tmux keeps it)."""
        self.clear_into_history()
        self._init_state()
        self.title = ""

    # -- OSC ------------------------------------------------------------

    def osc(self, text: str) -> None:
        code, _, value = text.partition(";")
        if code in ("0", "2"):
            self.title = value

    # -- CSI ------------------------------------------------------------

    def csi(self, params: str, inter: str, final: str) -> None:
        prefix = ""
        if params and params[0] in "<=>?":
            prefix, params = params[0], params[1:]
        if _MARKER.search(params):
            return  # a private marker not in first place: malformed, ignored
        if inter:
            return  # DECSTR, DECSCUSR, DECRQM...: tmux ignores them too
        if prefix:
            self.last_char = ""
        if prefix == "?":
            self._csi_private(params, final)
        elif prefix == ">":
            if final == "c" and _ints(params)[0] == 0:
                self.reply(DA2_REPLY)
        elif not prefix:
            if final == "m":
                self.style = self.sgr.apply(self.style, params)
                self.last_char = ""
            else:
                self._csi_plain(params, final)

    def _csi_plain(self, params: str, final: str) -> None:
        if final != "b":
            self.last_char = ""
        args = _ints(params)
        a = args[0]
        n = a or 1  # a count whose 0 or absence means 1
        if final in "HfABCDEFGd`Z":
            self._move(final, args, n)
        elif final == "J":
            self.erase_display(a)
        elif final == "K":
            self.erase_line(a)
        elif final == "X":
            self.erase_chars(n)
        elif final == "@":
            self.insert_chars(n)
        elif final == "P":
            self.delete_chars(n)
        elif final == "L":
            self.insert_lines(n)
        elif final == "M":
            self.delete_lines(n)
        elif final == "S":
            self.scroll_up(n)
        elif final == "T":
            self.scroll_down(n)
        elif final == "b":
            # As tmux: only straight after an ASCII character, never past the line end.
            room = 0 if self.wrap_pending else self.cols - self.cx
            if self.last_char and room:
                self.put_cells(self.last_char * min(n, room))
        elif final == "r":
            # tmux: a missing bottom is the last row, an explicit 0 is row 1.
            given = len(args) > 1 and params.split(";")[1] != ""
            bottom = max(args[1], 1) if given else self.rows
            self.set_region(n - 1, bottom - 1)
        elif final == "s":
            self.saved = self.save_cursor()
        elif final == "u":
            self.restore_cursor(self.saved)
        elif final == "g":
            self.clear_tabs(a)
        elif final == "c":
            if a == 0:
                self.reply(DA1_REPLY)
        elif final == "n":
            self._report(a, "")
        elif final in "hl":
            for mode in args:
                if mode == 4:
                    self.insert_mode = final == "h"

    def _move(self, final: str, args: list[int], n: int) -> None:
        if final in "Hf":
            col = args[1] if len(args) > 1 and args[1] else 1
            self.move_to(col - 1, n - 1)
        elif final == "A":
            self.cursor_up(n)
        elif final == "B":
            self.cursor_down(n)
        elif final == "C":
            self.move_x(min(self.cx, self.cols - 1) + n)
        elif final == "D":
            self.move_x(min(self.cx, self.cols - 1) - n)
        elif final == "E":
            self.cursor_down(n)
            self.cx = 0
        elif final == "F":
            self.cursor_up(n)
            self.cx = 0
        elif final in "G`":
            self.move_x(n - 1)
        elif final == "d":
            self.move_y(n - 1)
        elif final == "Z":
            self.back_tab(n)

    def _report(self, what: int, prefix: str) -> None:
        if what == 5 and not prefix:
            self.reply("\x1b[0n")
        elif what == 6:
            y = self.cy - self.top if self.origin else self.cy
            self.reply(f"\x1b[{prefix}{y + 1};{self.cx + 1}R")

    def _csi_private(self, params: str, final: str) -> None:
        if final == "n":
            self._report(_ints(params)[0], "?")
        elif final in "hl":
            for mode in _ints(params):
                self.set_private_mode(mode, final == "h")

    def set_private_mode(self, mode: int, on: bool) -> None:
        if mode == 25:
            self.cursor_on = on
        elif mode == 7:
            self.autowrap = on
            if not on:
                self.wrap_pending = False
        elif mode == 6:
            self.origin = on
            self.move_to(0, 0)
        elif mode in (47, 1047):
            (self.enter_alternate if on else self.leave_alternate)(False)
        elif mode == 1049:
            (self.enter_alternate if on else self.leave_alternate)(True)
        elif mode == 1048:
            if on:
                self.saved = self.save_cursor()
            else:
                self.restore_cursor(self.saved)
        elif mode == 3:  # DECCOLM: tmux keeps the width but clears and homes
            self.top, self.bottom = 0, self.rows - 1
            self.clear_into_history()
            self.move_to(0, 0)
        self.mark(self.cy)
