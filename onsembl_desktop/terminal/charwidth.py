"""How many cells a character takes: 0 (combining), 1 or 2 (East Asian wide, emoji).

Built on the standard library's Unicode tables rather than the wcwidth package,
so the engine needs no dependency; the rules follow glibc's wcwidth, which is
what tmux uses on Linux.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def char_width(ch: str) -> int:
    """Cells taken by the printable character ``ch`` (controls are never passed)."""
    cp = ord(ch)
    if cp < 0x300:
        return 1
    if 0x1160 <= cp <= 0x11FF or cp == 0x200B:
        return 0  # Hangul medial vowels / final consonants, zero width space
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def text_widths(text: str) -> list[int]:
    """Widths of each character of ``text``."""
    return [char_width(ch) for ch in text]


# Blocks whose characters programs print in plain output (Latin letters, punctuation, arrows,
# mathematical and technical symbols, box drawing, block elements, shapes, dingbats) and the
# private use area of powerline and icon fonts.
_COMMON_BLOCKS = ((0xA0, 0x24F), (0x2010, 0x205F), (0x2190, 0x23FF), (0x2500, 0x27BF))


def narrow_class() -> str:
    """A regular expression character class (without brackets) of printable characters that
    take exactly one cell: printable ASCII and the one-cell characters of common blocks."""
    width = char_width.__wrapped__  # (not through the cache: this runs once, over ~1,900)
    ranges: list[tuple[int, int]] = [(0x20, 0x7E)]
    for first, last in _COMMON_BLOCKS:
        for cp in range(first, last + 1):
            ch = chr(cp)
            if width(ch) != 1 or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cn"):
                continue
            if ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    ranges.append((0xE000, 0xF8FF))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
