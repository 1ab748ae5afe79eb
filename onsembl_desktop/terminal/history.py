"""Scrollback: each line kept as one ``bytes`` object, in one of two forms.

*Packed*: ``<wrapped:u8><nruns:u16><lengths:u16*n><styles:u64*n>`` followed by
the UTF-8 text, so a 100-column line with a handful of colour runs costs about
two bytes per cell (no per-cell or per-run Python objects).

*Raw*: ``0xFF`` followed by the line exactly as the program sent it, printable
ASCII and plain SGR sequences only (prefixed by one SGR for the style it
started in). The fast path for scrolling output stores lines this way without
ever building their cells; they are decoded when someone looks at them. It is
also the smaller form for typical coloured output.
"""

from __future__ import annotations

import struct
from collections import deque

from .line import PAD, SGR_SPLIT, decode_sgr_line
from .style import style_to_sgr

_HEAD = struct.Struct("<BH")
RAW = 0xFF
_formats: dict[int, struct.Struct] = {}


def _fmt(n: int) -> struct.Struct:
    fmt = _formats.get(n)
    if fmt is None:
        fmt = _formats[n] = struct.Struct(f"<BH{n}H{n}Q")
    return fmt


def pack_line(text: str, runs: list[int], wrapped: bool) -> bytes:
    n = len(runs) >> 1
    head = _fmt(n).pack(wrapped, n, *runs[0::2], *runs[1::2])
    if text.isascii():
        return head + text.encode("ascii")
    return head + text.encode("utf-8", "surrogatepass")


def unpack_line(blob: bytes) -> tuple[str, list[int], bool]:
    if blob[0] == RAW:
        return (*decode_sgr_line(blob[1:].decode("ascii")), False)
    wrapped, n = _HEAD.unpack_from(blob)
    fmt = _fmt(n)
    values = fmt.unpack_from(blob)
    runs = [0] * (2 * n)
    runs[0::2] = values[2 : 2 + n]
    runs[1::2] = values[2 + n :]
    text = blob[fmt.size :].decode("utf-8", "surrogatepass")
    return text, runs, bool(wrapped)


class History:
    """The newest ``limit`` lines pushed off the top of the main screen."""

    __slots__ = ("limit", "lines")

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.lines: deque[bytes] = deque(maxlen=self.limit)

    def __len__(self) -> int:
        return len(self.lines)

    def push(self, text: str, runs: list[int], wrapped: bool) -> None:
        if self.limit:
            self.lines.append(pack_line(text, runs, wrapped))

    def push_raw(self, raw: str, style: int) -> None:
        """Keep a line of printable ASCII and plain SGRs that started in ``style``."""
        if self.limit:
            if style:
                raw = f"\x1b[{style_to_sgr(style)}m{raw}"
            self.lines.append(b"\xff" + raw.encode("ascii"))

    def text(self, i: int) -> str:
        """Line ``i`` as text, trailing blanks stripped."""
        blob = self.lines[i]
        if blob[0] == RAW:
            return SGR_SPLIT.sub("", blob[1:].decode("ascii")).rstrip(" ")
        return unpack_line(blob)[0].replace(PAD, "").rstrip(" ")

    def pop(self) -> tuple[str, list[int], bool]:
        """Remove and return the newest line (a taller screen takes it back)."""
        return unpack_line(self.lines.pop())

    def get(self, i: int) -> tuple[str, list[int], bool]:
        return unpack_line(self.lines[i])

    def clear(self) -> None:
        self.lines.clear()
