"""Scrollback: each line packed into one ``bytes`` object.

A line is ``<nruns:u16><wrapped:u8><lengths:u16*n><styles:u64*n>`` followed by
its UTF-8 text, so a 100-column line with a handful of colour runs costs about
two bytes per cell (one bytes object, no per-cell or per-run Python objects).
"""

from __future__ import annotations

import struct
from collections import deque

_HEAD = struct.Struct("<HB")
_formats: dict[int, struct.Struct] = {}


def _fmt(n: int) -> struct.Struct:
    fmt = _formats.get(n)
    if fmt is None:
        fmt = _formats[n] = struct.Struct(f"<HB{n}H{n}Q")
    return fmt


def pack_line(text: str, runs: list[int], wrapped: bool) -> bytes:
    n = len(runs) >> 1
    head = _fmt(n).pack(n, wrapped, *runs[0::2], *runs[1::2])
    if text.isascii():
        return head + text.encode("ascii")
    return head + text.encode("utf-8", "surrogatepass")


def unpack_line(blob: bytes) -> tuple[str, list[int], bool]:
    n, wrapped = _HEAD.unpack_from(blob)
    fmt = _fmt(n)
    values = fmt.unpack_from(blob)
    runs: list[int] = [0] * (2 * n)
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

    def pop(self) -> tuple[str, list[int], bool]:
        """Remove and return the newest line (a taller screen takes it back)."""
        return unpack_line(self.lines.pop())

    def get(self, i: int) -> tuple[str, list[int], bool]:
        return unpack_line(self.lines[i])

    def clear(self) -> None:
        self.lines.clear()
