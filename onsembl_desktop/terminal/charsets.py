"""Character sets G0-G3 and how xterm maps printable ASCII through them.

A program designates a set into G0-G3 (``ESC ( F`` ... ``ESC + F`` for 94-character sets,
``ESC - F`` ... ``ESC / F`` for 96-character ones), invokes one into GL with SI, SO, LS2 or LS3,
or a single character with SS2 / SS3. Only text in the printable ASCII range is mapped; other
characters (UTF-8 input) pass through, as in xterm's UTF-8 mode.
"""

from __future__ import annotations

from collections.abc import Mapping

Table = Mapping[int, int | str]
ASCII = "B"
#: DEC Special Graphics: the VT100 line-drawing set (``_`` is a blank).
GRAPHICS = str.maketrans(
    "_`abcdefghijklmnopqrstuvwxyz{|}~",
    " ◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·",
)
# xterm, at its default VT level and without national replacement mode, takes the 94-character
# "UK" set as the upper half of Latin-1 (so '#' is still '£', and space is a no-break space);
# a 96-character set 'A' is Latin-1's upper half too.
_LATIN1 = str.maketrans({c: c | 0x80 for c in range(0x20, 0x7F)})

#: What each designation maps; an unknown final keeps ASCII (as xterm shows unknown sets).
TABLES: dict[str, Table | None] = {
    "B": None,
    "1": None,  # DEC alternate character ROM, standard characters
    "0": GRAPHICS,
    "2": GRAPHICS,  # DEC alternate character ROM, special graphics
    "A": _LATIN1,
    "<": _LATIN1,  # DEC supplemental: Latin-1 for the characters that matter
    "-A": _LATIN1,  # (96-character sets are keyed with a leading '-')
}


def table(designation: str) -> Table | None:
    return TABLES.get(designation)


def designation_slot(inter: str) -> tuple[int, bool] | None:
    """The G-set an ``ESC inter F`` designates and whether it is a 96-character set."""
    if len(inter) != 1:
        return None  # multi-byte designators (ESC ( % 5 ...) are not supported
    slot = "()*+".find(inter)
    if slot >= 0:
        return slot, False
    slot = "-./".find(inter)
    if slot >= 0:
        return slot + 1, True
    return None
