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
