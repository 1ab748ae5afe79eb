"""Splitting terminal output into text and control sequences.

Two layers. :data:`TOKEN` is one regular expression that cuts a whole chunk
into printable runs and complete, well-formed sequences at C speed; that is
all real output ever needs. Whatever it cannot match (a sequence cut by the end
of a chunk, controls embedded in a sequence, garbage) falls to
:class:`SequenceParser`, a resumable state machine after the DEC/ECMA-48 model
that xterm and tmux follow, which consumes until it is back in the ground
state. It keeps its state between chunks, so nothing is ever re-scanned, and
every string it collects is capped, so work and memory per byte are bounded.
"""

from __future__ import annotations

import re
from typing import Protocol

#: Group numbers of :data:`TOKEN` (as reported by ``match.lastindex``).
TEXT, SGR, CRLF, CSI_FINAL, C0, OSC, ESC_FINAL, ESC_PLAIN, DCS, IGNORED = (
    1, 2, 3, 6, 7, 8, 10, 11, 12, 13
)  # fmt: skip

TOKEN = re.compile(
    r"([^\x00-\x1f\x7f-\x9f]+)"  # 1 printable text
    r"|\x1b\[([0-9;:]*)m"  # 2 SGR, by far the most common sequence
    r"|(\r\n)"  # 3
    r"|\x1b\[([\x30-\x3f]*)([\x20-\x2f]*)([\x40-\x7e])"  # 4 params 5 intermediates 6 final
    r"|([\x00-\x1a\x1c-\x1f\x7f])"  # 7 C0 control (not ESC) or DEL
    r"|\x1b\]([^\x07\x18\x1a\x1b]{0,4096})(?:\x07|\x1b\\)"  # 8 OSC, BEL or ST terminated
    r"|\x1b([\x20-\x2f]+)([\x30-\x7e])"  # 9 intermediates 10 final
    r"|\x1b([\x30-\x4f\x51-\x57\x59\x5a\x5c\x60-\x7e])"  # 11 ESC final
    r"|\x1bP([^\x18\x1a\x1b]{0,1024})\x1b\\"  # 12 DCS (queries)
    r"|([\x80-\x9f]+"  # 13 C1 controls: dropped in UTF-8, as xterm does
    r"|\x1b[PX^_][^\x18\x1a\x1b]*\x1b\\)"  # longer DCS, SOS, PM, APC: ignored
)

_MAX_PARAMS = 256
_MAX_OSC = 4096

GROUND, ESCAPE, ESC_INTER, CSI_PARAM, CSI_INTER, CSI_IGNORE, OSC_STRING, STRING = range(8)
_STRING_END = re.compile(r"[\x07\x18\x1a\x1b]")
_PARAMS = re.compile(r"[\x30-\x3f]*")
_IGNORE_END = re.compile(r"[\x00-\x1f\x40-\x7e]")


class Handler(Protocol):
    def execute(self, ch: str) -> None: ...
    def csi(self, params: str, inter: str, final: str) -> None: ...
    def esc(self, inter: str, final: str) -> None: ...
    def osc(self, text: str) -> None: ...
    def dcs(self, text: str) -> None: ...


class SequenceParser:
    """Resumable state machine for the sequences :data:`TOKEN` does not match."""

    __slots__ = ("_buf", "_dcs", "_inter", "_osc_esc", "_size", "state")

    def __init__(self) -> None:
        self.state = GROUND
        self._buf: list[str] = []
        self._size = 0  # characters in _buf (kept, not summed: pieces may be single bytes)
        self._inter = ""
        self._osc_esc = False  # an ESC seen inside a string: ST if "\" follows
        self._dcs = False  # the string is a DCS (kept, for queries), not SOS/PM/APC

    def reset(self) -> None:
        self.state = GROUND
        self._buf = []
        self._size = 0
        self._inter = ""
        self._osc_esc = False
        self._dcs = False

    def feed(self, data: str, pos: int, handler: Handler) -> int:
        """Consume from ``data[pos]`` until back in the ground state; return where."""
        n = len(data)
        while pos < n:
            state = self.state
            if state == GROUND:
                return pos
            if state in (OSC_STRING, STRING):
                pos = self._string(data, pos, handler)
                continue
            if state == CSI_IGNORE:  # skip to what can end or interrupt it
                m = _IGNORE_END.search(data, pos)
                if m is None:
                    return n
                pos = m.start()
            ch = data[pos]
            pos += 1
            code = ord(ch)
            if ch == "\x1b":
                self._start_escape()
            elif code in (0x18, 0x1A):  # CAN, SUB: abort
                self.reset()
            elif code < 0x20:
                handler.execute(ch)
            elif code == 0x7F or code > 0x7E:
                pass  # DEL and non-ASCII inside a sequence are ignored
            elif state == ESCAPE:
                self._escape(ch, handler)
            elif state == ESC_INTER:
                if code < 0x30:
                    self._inter += ch
                else:
                    self.state = GROUND
                    handler.esc(self._inter, ch)
            else:
                pos = self._csi(ch, data, pos, handler)
        return pos

    def begin_escape(self) -> None:
        """Enter the escape state (the caller consumed an ESC)."""
        self._start_escape()

    def _start_escape(self) -> None:
        self.state = ESCAPE
        self._buf = []
        self._size = 0
        self._inter = ""

    def _escape(self, ch: str, handler: Handler) -> None:
        if ch == "[":
            self.state = CSI_PARAM
        elif ch == "]":
            self.state = OSC_STRING
            self._osc_esc = False
        elif ch in "PX^_":
            self.state = STRING
            self._osc_esc = False
            self._dcs = ch == "P"
        elif ch < "0":
            self.state = ESC_INTER
            self._inter = ch
        else:
            self.state = GROUND
            handler.esc("", ch)

    def _csi(self, ch: str, data: str, pos: int, handler: Handler) -> int:
        state = self.state
        if "@" <= ch <= "~":  # final byte
            self.state = GROUND
            if state != CSI_IGNORE:
                handler.csi("".join(self._buf), self._inter, ch)
            return pos
        if state == CSI_IGNORE:
            return pos
        if ch < "0":  # intermediate
            self.state = CSI_INTER
            self._inter += ch
            return pos
        if state == CSI_INTER:  # a parameter after an intermediate
            self.state = CSI_IGNORE
            return pos
        # Parameter bytes: take the whole run at once.
        m = _PARAMS.match(data, pos)
        end = m.end() if m else pos
        self._buf.append(data[pos - 1 : end])
        self._size += end - pos + 1
        if self._size > _MAX_PARAMS:
            self.state = CSI_IGNORE
        return end

    def _string(self, data: str, pos: int, handler: Handler) -> int:
        """Inside OSC/DCS/SOS/PM/APC: jump to the next possible terminator."""
        if self._osc_esc:
            self._osc_esc = False
            if data[pos] == "\\":
                self._end_string(handler)
                return pos + 1
            self._end_string(None)
            self._start_escape()
            return pos
        m = _STRING_END.search(data, pos)
        end = m.start() if m else len(data)
        if (self.state == OSC_STRING or self._dcs) and self._size < _MAX_OSC:
            self._buf.append(data[pos:end])
            self._size += end - pos
        if m is None:
            return end
        ch = data[end]
        if ch == "\x1b":
            self._osc_esc = True
        elif ch == "\x07" and self.state == OSC_STRING:
            self._end_string(handler)
        elif ch == "\x07":
            pass  # BEL inside DCS and friends is just a character
        else:  # CAN / SUB abort the string
            self.reset()
        return end + 1

    def _end_string(self, handler: Handler | None) -> None:
        if handler is not None and self.state == OSC_STRING:
            handler.osc("".join(self._buf)[:_MAX_OSC])
        elif handler is not None and self._dcs:
            handler.dcs("".join(self._buf)[:_MAX_OSC])
        self.reset()
