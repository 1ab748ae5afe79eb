"""What each control character, escape and CSI sequence does to the screen, as xterm does it.

Unknown or malformed sequences are ignored, as xterm ignores them. Queries (DA, DSR, CPR,
DECRQM) are answered through ``on_reply`` only when one is set. Modes that change what the
keyboard and mouse send (application cursor keys and keypad, mouse reporting, bracketed paste,
focus events, newline mode) are only recorded here, for the view to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import __version__
from .charsets import GRAPHICS, designation_slot
from .model import PALETTE_256
from .screen import Screen
from .style import PROTECTED, SgrCache, style_to_sgr

__all__ = ["GRAPHICS", "Controls"]

DA1_REPLY = "\x1b[?62;22c"  # a VT220 with ANSI colour: what we implement
DA2_REPLY = "\x1b[>41;379;0c"  # xterm, patch 379: programs pick xterm's features by it
XTVERSION_REPLY = f"\x1bP>|Onsembl({__version__})\x1b\\"  # (who we are, when asked by name)

MOUSE_MODES = (9, 1000, 1002, 1003)
MOUSE_ENCODINGS = (1005, 1006, 1015)

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
        self.on_reply = on_reply
        self.sgr = SgrCache()
        self.bells = 0  # BEL characters received (a view may flash on a change)
        #: The colours a view paints with, ``(foreground, background, palette)`` as 0xRRGGBB,
        #: to answer OSC 10 / 11 / 4 queries (programs pick a dark or light scheme by them).
        self.colors: tuple[int, int, list[int]] | None = None
        super().__init__(cols, rows, scrollback)

    def _init_state(self) -> None:
        super()._init_state()
        self._init_input_modes()
        self.reverse_video = False  # DECSCNM: default colours swapped
        self.reverse_wrap = False  # mode 45
        self.newline_mode = False  # LNM: LF also returns; Enter sends CR LF
        self.cursor_shape = 0  # DECSCUSR: 0/1 blinking block, 2 block, 3/4 underline, 5/6 bar
        self.cursor_blink = False  # mode 12
        self.synchronized = False  # mode 2026: the program is between frames
        self.allow_deccolm = False  # mode 40: DECCOLM may act

    def _init_input_modes(self) -> None:
        self.app_cursor_keys = False  # DECCKM
        self.app_keypad = False  # DECKPAM / DECNKM
        self.mouse_mode = 0  # 0, or 9 / 1000 / 1002 / 1003
        self.mouse_encoding = 0  # 0 (X10 bytes), or 1005 / 1006 / 1015
        self.focus_events = False  # 1004
        self.bracketed_paste = False  # 2004
        self.alternate_scroll = False  # 1007: the wheel sends arrows on the alternate screen

    def reply(self, text: str) -> None:
        if self.on_reply is not None:
            self.on_reply(text)

    # -- C0 -------------------------------------------------------------

    def execute(self, ch: str) -> None:
        self.last_char = ""
        if ch == "\n" or ch == "\x0b" or ch == "\x0c":
            self.index()
            if self.newline_mode:
                self.carriage_return()
        elif ch == "\r":
            self.carriage_return()
        elif ch == "\x08":
            self.backspace(self.reverse_wrap)
        elif ch == "\t":
            self.tab()
        elif ch == "\x0e":
            self.shift(1)
        elif ch == "\x0f":
            self.shift(0)
        elif ch == "\x07":
            self.bells += 1

    # -- ESC ------------------------------------------------------------

    def esc(self, inter: str, final: str) -> None:
        self.last_char = ""
        if inter == "":
            self._esc_plain(final)
        elif inter == "#":
            if final == "8":
                self.alignment_test()
        else:
            slot = designation_slot(inter)
            if slot is not None:
                index, is96 = slot
                self.designate(index, "-" + final if is96 else final)

    def _esc_plain(self, final: str) -> None:
        if final == "7":
            self.save_cursor()
        elif final == "8":
            self.restore_cursor()
        elif final == "D":
            self.index()
        elif final == "E":
            self.index()
            self.carriage_return()
        elif final == "M":
            self.reverse_index()
        elif final == "H":
            self.set_tab()
        elif final == "c":
            self.full_reset()
        elif final in "NO":  # SS2, SS3
            self.single_shift = 2 if final == "N" else 3
        elif final in "no":  # LS2, LS3
            self.shift(2 if final == "n" else 3)
        elif final in "=>":  # DECKPAM, DECKPNM
            self.app_keypad = final == "="
        elif final == "V":  # SPA: ISO protection
            self.protection = 2
            self.style |= PROTECTED
        elif final == "W":  # EPA
            self.style &= ~PROTECTED
        elif final == "Z":  # DECID
            self.reply(DA1_REPLY)

    def full_reset(self) -> None:
        """RIS: everything back to power-on, the scrollback and title too.

        As in xterm, the alternate screen's contents survive, for its next visit (47, 1047).
        """
        kept = self.lines if self._main_lines is not None else self._alt_lines
        self.history.clear()
        self._init_state()  # (hscrolled back to 0 with it)
        self._alt_lines = kept
        self.title = ""

    def soft_reset(self) -> None:
        """DECSTR: modes, margins, character sets, style and saved cursors to their defaults."""
        self._init_modes()
        self.app_cursor_keys = False
        self.app_keypad = False
        self.style = 0
        self.top, self.bottom = 0, self.rows - 1
        self.saved_slots = [None, None]
        self.last_char = ""

    # -- OSC ------------------------------------------------------------

    def osc(self, text: str) -> None:
        code, _, value = text.partition(";")
        if code in ("0", "2"):
            self.title = value
        elif code in ("10", "11", "4") and self.colors is not None:
            self._color_query(code, value)
        # Everything else (setting colours, the clipboard, hyperlinks, notifications) is
        # ignored: a program's output must not reach the user's clipboard or desktop.

    def _color_query(self, code: str, value: str) -> None:
        assert self.colors is not None
        fg, bg, palette = self.colors
        if code == "4":  # 4;index;? (pairs may repeat)
            parts = value.split(";")
            for index, query in zip(parts[0::2], parts[1::2], strict=False):
                if query == "?" and index.isdigit() and int(index) < 256:
                    colour = (palette + PALETTE_256[len(palette) :])[int(index)]
                    self.reply(f"\x1b]4;{index};{_rgb(colour)}\x07")
        elif value == "?":
            self.reply(f"\x1b]{code};{_rgb(fg if code == '10' else bg)}\x07")

    # -- DCS ------------------------------------------------------------

    def dcs(self, text: str) -> None:
        if text.startswith("$q"):  # DECRQSS: report a setting
            value = self._setting(text[2:])
            self.reply(f"\x1bP1$r{value}\x1b\\" if value else "\x1bP0$r\x1b\\")

    def _setting(self, name: str) -> str:
        if name == "m":
            return style_to_sgr(self.style, colon=True) + "m"
        if name == "r":
            return f"{self.top + 1};{self.bottom + 1}r"
        if name == " q":
            return f"{self.cursor_shape or 2} q"
        if name == '"q':
            return f'{1 if self.style & PROTECTED else 0}"q'
        return ""

    # -- CSI ------------------------------------------------------------

    def csi(self, params: str, inter: str, final: str) -> None:
        prefix = ""
        if params and params[0] in "<=>?":
            prefix, params = params[0], params[1:]
        if _MARKER.search(params):
            return  # a private marker not in first place: malformed, ignored
        if inter:
            self.last_char = ""
            self._csi_intermediate(prefix, params, inter, final)
        elif prefix == "?":
            self.last_char = ""
            self._csi_private(params, final)
        elif prefix == ">":
            self.last_char = ""
            if final == "c" and _ints(params)[0] == 0:
                self.reply(DA2_REPLY)
            elif final == "q" and _ints(params)[0] == 0:
                self.reply(XTVERSION_REPLY)
        elif not prefix:
            if final == "m":
                self.style = self.sgr.apply(self.style, params)
                self.last_char = ""
            elif final == "b":
                self.repeat(_ints(params)[0] or 1)
            else:
                self.last_char = ""
                self._csi_plain(params, final)

    def _csi_intermediate(self, prefix: str, params: str, inter: str, final: str) -> None:
        if inter == "!" and final == "p" and not prefix:
            self.soft_reset()
        elif inter == '"' and final == "q" and not prefix:  # DECSCA
            if _ints(params)[0] == 1:
                self.protection = 1
                self.style |= PROTECTED
            else:
                self.style &= ~PROTECTED
        elif inter == " " and final == "q" and not prefix:  # DECSCUSR
            self.cursor_shape = min(_ints(params)[0], 6)
        elif inter == "$" and final == "p":  # DECRQM
            mode = _ints(params)[0]
            state = self._mode_state(mode, prefix == "?")
            self.reply(f"\x1b[{prefix}{mode};{state}$y")

    def _csi_plain(self, params: str, final: str) -> None:
        args = _ints(params)
        a = args[0]
        n = a or 1  # a count whose 0 or absence means 1
        if final in "HfABCDEFGd`Zaei":
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
            if len(args) < 2:  # (five parameters: xterm's mouse highlight tracking)
                self.scroll_down(n)
        elif final == "I":
            self.tab(n)
        elif final == "r":
            bottom = args[1] if len(args) > 1 and args[1] else self.rows
            self.set_region(n - 1, bottom - 1)
        elif final == "s":
            self.save_cursor()
        elif final == "u":
            self.restore_cursor()
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
                elif mode == 20:
                    self.newline_mode = final == "h"

    def _move(self, final: str, args: list[int], n: int) -> None:
        if final in "Hf":
            col = args[1] if len(args) > 1 and args[1] else 1
            self.move_to(col - 1, n - 1)
        elif final == "A":
            self.cursor_up(n)
        elif final == "B":
            self.cursor_down(n)
        elif final == "e":  # VPR: as VPA relative to the row, so margins count in origin mode
            self.move_y((self.cy - self.top if self.origin else self.cy) + n)
        elif final in "Ca":  # CUF, HPR
            self.move_x(self.cx + n)
        elif final == "D":
            self.move_x(self.cx - n)
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
            page = ";1" if prefix else ""  # DECXCPR adds the page, as xterm does
            self.reply(f"\x1b[{prefix}{y + 1};{self.cx + 1}{page}R")

    def _csi_private(self, params: str, final: str) -> None:
        if final == "n":
            self._report(_ints(params)[0], "?")
        elif final in "hl":
            for mode in _ints(params):
                self.set_private_mode(mode, final == "h")
        elif final == "J":  # DECSED
            self.erase_display(_ints(params)[0], selective=True)
        elif final == "K":  # DECSEL
            self.erase_line(_ints(params)[0], selective=True)

    # -- modes ------------------------------------------------------------

    def set_private_mode(self, mode: int, on: bool) -> None:
        if mode == 25:
            self.cursor_on = on
        elif mode == 7:
            self.autowrap = on  # (a pending wrap stays pending, for when it is on again)
        elif mode == 6:
            self.origin = on
            self.move_to(0, 0)
        elif mode in (47, 1047, 1049):
            (self.enter_alternate if on else self.leave_alternate)(mode)
        elif mode == 1048:
            (self.save_cursor if on else self.restore_cursor)()
        elif mode in MOUSE_MODES:
            self.mouse_mode = mode if on else 0
        elif mode in MOUSE_ENCODINGS:
            self.mouse_encoding = mode if on else 0
        elif mode in self._FLAGS:
            setattr(self, self._FLAGS[mode], on)
        elif mode == 3 and self.allow_deccolm:
            # xterm (allowed by mode 40) would also change its width to 80 or 132 columns;
            # the width here is the view's, so only the rest happens: margins reset, the
            # screen cleared, the cursor home.
            self.top, self.bottom = 0, self.rows - 1
            self.erase_display(2)
            self.move_to(0, 0)
        self.mark(self.cy)

    _FLAGS = {
        1: "app_cursor_keys",
        5: "reverse_video",
        12: "cursor_blink",
        40: "allow_deccolm",
        45: "reverse_wrap",
        66: "app_keypad",
        1004: "focus_events",
        1007: "alternate_scroll",
        2004: "bracketed_paste",
        2026: "synchronized",
    }

    def _mode_state(self, mode: int, private: bool) -> int:
        """DECRQM's answer: 1 set, 2 reset, 0 not recognised."""
        if not private:
            if mode in (4, 20):
                return 1 if (self.insert_mode if mode == 4 else self.newline_mode) else 2
            return 0
        values = {
            6: self.origin,
            7: self.autowrap,
            25: self.cursor_on,
            1047: self.in_alternate_screen,
            1049: self.in_alternate_screen,
            47: self.in_alternate_screen,
            1006: self.mouse_encoding == 1006,
            1005: self.mouse_encoding == 1005,
            1015: self.mouse_encoding == 1015,
        }
        values.update({m: self.mouse_mode == m for m in MOUSE_MODES})
        values.update({m: getattr(self, name) for m, name in self._FLAGS.items()})
        if mode not in values:
            return 0
        return 1 if values[mode] else 2


def _rgb(colour: int) -> str:
    """``rgb:rrrr/gggg/bbbb``, as xterm answers colour queries."""
    r, g, b = colour >> 16 & 0xFF, colour >> 8 & 0xFF, colour & 0xFF
    return f"rgb:{r:02x}{r:02x}/{g:02x}{g:02x}/{b:02x}{b:02x}"
