"""Scrollback: each line kept as one ``bytes`` object, in one of two forms.

*Packed*: ``<flags:u8><nruns:u16><used:u16><lengths:u16*n><styles:u64*n>`` then the UTF-8 text
(``used``: the cells in use, written blanks after the text included, as re-flowing needs),
so a 100-column line with a handful of colour runs costs about two bytes per cell (no per-cell
or per-run Python objects). ``flags`` is 0-3: bit 0 the line wrapped, bit 1 its styles are wide
(each a u64 pair, low bits first: underline shapes and colours need more than 64 bits).

*Raw*: the line exactly as the program sent it (UTF-8): one-cell characters and plain SGR
sequences only, prefixed by one SGR for the style it started in (if any) and by 0x04 if it
wrapped. It never starts with a byte below 0x04, which tells the forms apart. The fast path for
scrolling output stores lines this way without ever building their cells (a whole block at
once); they are decoded when someone looks at them. It is also the smaller form for typical
coloured output.
"""

from __future__ import annotations

import struct
from collections import deque

from .line import PAD, SGR_SPLIT, decode_sgr_line
from .style import style_to_sgr

_HEAD = struct.Struct("<BHH")
_WRAPPED, _WIDE = 1, 2
_RAW_WRAPPED = 4
_LOW = (1 << 64) - 1
_formats: dict[tuple[int, bool], struct.Struct] = {}


def _fmt(n: int, wide: bool) -> struct.Struct:
    fmt = _formats.get((n, wide))
    if fmt is None:
        fmt = _formats[n, wide] = struct.Struct(f"<BHH{n}H{2 * n if wide else n}Q")
    return fmt


def is_raw(blob: bytes) -> bool:
    return not blob or blob[0] > 3  # (0x04: raw and wrapped)


def is_wrapped(blob: bytes) -> bool:
    return bool(blob) and (blob[0] == _RAW_WRAPPED or (blob[0] <= 3 and bool(blob[0] & _WRAPPED)))


def _raw_text(blob: bytes) -> str:
    return blob[1:].decode() if blob and blob[0] == _RAW_WRAPPED else blob.decode()


def pack_line(text: str, runs: list[int], wrapped: bool, used: int = 0) -> bytes:
    n = len(runs) >> 1
    styles = runs[1::2]
    used = min(used, 0xFFFF)
    if max(styles, default=0) > _LOW:
        wide = [v for style in styles for v in (style & _LOW, style >> 64)]
        head = _fmt(n, True).pack(wrapped | _WIDE, n, used, *runs[0::2], *wide)
    else:
        head = _fmt(n, False).pack(wrapped, n, used, *runs[0::2], *styles)
    if text.isascii():
        return head + text.encode("ascii")
    return head + text.encode("utf-8", "surrogatepass")


def unpack_line(blob: bytes) -> tuple[str, list[int], bool]:
    text, runs, wrapped, _ = unpack_record(blob)
    return text, runs, wrapped


def unpack_record(blob: bytes) -> tuple[str, list[int], bool, int]:
    """``(text, runs, wrapped, used)`` of a scrollback line."""
    if is_raw(blob):
        raw = _raw_text(blob)
        return (*decode_sgr_line(raw), blob[:1] == b"\x04", len(SGR_SPLIT.sub("", raw)))
    flags, n, used = _HEAD.unpack_from(blob)
    wide = bool(flags & _WIDE)
    fmt = _fmt(n, wide)
    values = fmt.unpack_from(blob)
    runs = [0] * (2 * n)
    runs[0::2] = values[3 : 3 + n]
    if wide:
        pairs = values[3 + n :]
        runs[1::2] = [pairs[k] | pairs[k + 1] << 64 for k in range(0, 2 * n, 2)]
    else:
        runs[1::2] = values[3 + n :]
    text = blob[fmt.size :].decode("utf-8", "surrogatepass")
    return text, runs, bool(flags & _WRAPPED), used


def blob_used(blob: bytes) -> int:
    """The cells in use of a scrollback line, without decoding it."""
    if is_raw(blob):
        return len(SGR_SPLIT.sub("", _raw_text(blob)))
    return int(_HEAD.unpack_from(blob)[2])


def unwrapped(blob: bytes) -> bytes:
    """The same scrollback line, no longer continuing on the next."""
    if not is_wrapped(blob):
        return blob
    if blob[0] == _RAW_WRAPPED:
        return blob[1:]
    return bytes([blob[0] & ~_WRAPPED]) + blob[1:]


class History:
    """The newest ``limit`` lines pushed off the top of the main screen."""

    __slots__ = ("limit", "lines")

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.lines: deque[bytes] = deque(maxlen=self.limit)

    def __len__(self) -> int:
        return len(self.lines)

    def push(self, text: str, runs: list[int], wrapped: bool, used: int = 0) -> None:
        if self.limit:
            self.lines.append(pack_line(text, runs, wrapped, used))

    def push_raw(self, raw: str, style: int, wrapped: bool = False) -> None:
        """Keep a line of one-cell characters and plain SGRs that started in ``style``."""
        if self.limit:
            if style:
                raw = f"\x1b[{style_to_sgr(style)}m{raw}"
            self.lines.append(b"\x04" + raw.encode() if wrapped else raw.encode())

    def extend_raw(self, raw: list[bytes]) -> None:
        """Keep raw lines already encoded (and prefixed with their start style)."""
        self.lines.extend(raw)

    def text(self, i: int) -> str:
        """Line ``i`` as text, trailing blanks stripped."""
        blob = self.lines[i]
        if is_raw(blob):
            return SGR_SPLIT.sub("", _raw_text(blob)).rstrip(" ")
        return unpack_line(blob)[0].replace(PAD, "").rstrip(" ")

    def pop(self) -> tuple[str, list[int], bool, int]:
        """Remove and return the newest line (a taller screen takes it back)."""
        return unpack_record(self.lines.pop())

    def get(self, i: int) -> tuple[str, list[int], bool]:
        return unpack_line(self.lines[i])

    def clear(self) -> None:
        self.lines.clear()

    def unwrap_last(self) -> None:
        """The newest line no longer continues (the row after it was erased, as tmux does)."""
        if self.lines:
            self.lines[-1] = unwrapped(self.lines[-1])
