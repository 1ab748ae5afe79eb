"""Values the terminal hands to painters: colours, attributes and runs of cells.

Nothing here knows about parsing; a painter needs only this module.
"""

from __future__ import annotations

from enum import IntFlag
from typing import NamedTuple, TypeAlias

#: A colour: ``-1`` is the default colour, ``0..255`` a palette index and
#: ``0x1000000 | 0xRRGGBB`` a true colour.
Color: TypeAlias = int

DEFAULT_COLOR: Color = -1
RGB_FLAG = 0x1000000


class Attr(IntFlag):
    """Text attributes of a cell (SGR)."""

    NONE = 0
    BOLD = 1
    DIM = 2
    ITALIC = 4
    UNDERLINE = 8
    BLINK = 16
    INVERSE = 32
    HIDDEN = 64
    STRIKE = 128
    #: Not erased by selective erase (DECSCA), nor by any erase in ISO protection (SPA/EPA).
    PROTECTED = 256
    # The shape of an underline (SGR 4:2 ... 4:5, 21); UNDERLINE is set with any of them.
    DOUBLE_UNDERLINE = 512
    CURLY_UNDERLINE = 1024
    DOTTED_UNDERLINE = 2048
    DASHED_UNDERLINE = 4096
    OVERLINE = 8192


class Run(NamedTuple):
    """Consecutive cells of one row sharing colours and attributes.

    ``text`` holds each character once; a wide character occupies two cells,
    so ``cells`` (the width the run covers) may exceed ``len(text)``.
    """

    text: str
    cells: int
    fg: Color
    bg: Color
    attrs: Attr
    #: The underline's colour (SGR 58); the default colour draws it in the text's colour.
    ul_color: Color = -1


def rgb(r: int, g: int, b: int) -> Color:
    """The true colour ``(r, g, b)``."""
    return RGB_FLAG | (r & 0xFF) << 16 | (g & 0xFF) << 8 | (b & 0xFF)


def is_rgb(color: Color) -> bool:
    """Whether ``color`` is a true colour (not default, not a palette index)."""
    return color >= RGB_FLAG


def rgb_of(color: Color, palette: list[int] | None = None) -> int | None:
    """``0xRRGGBB`` of ``color``; palette indices resolve through ``palette``.

    Returns ``None`` for the default colour, whose value is the painter's choice.
    """
    if color < 0:
        return None
    if color >= RGB_FLAG:
        return color & 0xFFFFFF
    return (palette or PALETTE_256)[color & 0xFF]


def _xterm_palette() -> list[int]:
    # The 16 system colours are xterm's defaults; 16..231 a 6x6x6 cube with
    # xterm's channel levels; 232..255 a grey ramp from 8 in steps of 10.
    base = [
        0x000000, 0xCD0000, 0x00CD00, 0xCDCD00, 0x0000EE, 0xCD00CD, 0x00CDCD, 0xE5E5E5,
        0x7F7F7F, 0xFF0000, 0x00FF00, 0xFFFF00, 0x5C5CFF, 0xFF00FF, 0x00FFFF, 0xFFFFFF,
    ]  # fmt: skip
    levels = [0, 95, 135, 175, 215, 255]
    cube = [levels[r] << 16 | levels[g] << 8 | levels[b]
            for r in range(6) for g in range(6) for b in range(6)]  # fmt: skip
    grey = [v << 16 | v << 8 | v for v in range(8, 248, 10)]
    return base + cube + grey


#: The standard xterm 256-colour palette as ``0xRRGGBB`` values.
PALETTE_256: list[int] = _xterm_palette()
