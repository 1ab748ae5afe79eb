"""Cell styles packed into one int, and SGR applied to them.

A style is ``fg | bg << 26 | attrs << 52 | underline colour << 66`` where each colour field holds
the public :data:`Color` plus one (so 0 is the default colour and the all-default style is the
int 0). One int per style keeps rows as flat lists and history lines as packed bytes, with no
per-cell objects. Styles past 64 bits (underline shapes past single, underline colours) are rare;
history packs those lines in a wider form.
"""

from __future__ import annotations

from .model import RGB_FLAG, Attr, Color

FIELD = 0x3FFFFFF
BG_SHIFT = 26
ATTR_SHIFT = 52
ATTR_BITS = 0x3FFF
UL_SHIFT = 66
BG_MASK = FIELD << BG_SHIFT
FG_MASK = FIELD
PROTECTED = int(Attr.PROTECTED) << ATTR_SHIFT
_UNDERLINES = int(
    Attr.UNDERLINE
    | Attr.DOUBLE_UNDERLINE
    | Attr.CURLY_UNDERLINE
    | Attr.DOTTED_UNDERLINE
    | Attr.DASHED_UNDERLINE
)
#: SGR 4:n -> the underline bits it sets (0 clears them).
_UNDERLINE_SHAPES = {
    1: int(Attr.UNDERLINE),
    2: int(Attr.UNDERLINE | Attr.DOUBLE_UNDERLINE),
    3: int(Attr.UNDERLINE | Attr.CURLY_UNDERLINE),
    4: int(Attr.UNDERLINE | Attr.DOTTED_UNDERLINE),
    5: int(Attr.UNDERLINE | Attr.DASHED_UNDERLINE),
}
_attr_cache: dict[int, Attr] = {}

# SGR number -> (attribute bits to clear, attribute bits to set).
_FLAG_CODES: dict[int, tuple[int, int]] = {  # (made plain ints below)
    1: (0, Attr.BOLD),
    2: (0, Attr.DIM),
    3: (0, Attr.ITALIC),
    4: (_UNDERLINES, Attr.UNDERLINE),
    5: (0, Attr.BLINK),
    6: (0, Attr.BLINK),
    7: (0, Attr.INVERSE),
    8: (0, Attr.HIDDEN),
    9: (0, Attr.STRIKE),
    21: (_UNDERLINES, Attr.UNDERLINE | Attr.DOUBLE_UNDERLINE),  # as xterm: double underline
    22: (Attr.BOLD | Attr.DIM, 0),
    23: (Attr.ITALIC, 0),
    24: (_UNDERLINES, 0),
    25: (Attr.BLINK, 0),
    27: (Attr.INVERSE, 0),
    28: (Attr.HIDDEN, 0),
    29: (Attr.STRIKE, 0),
    53: (0, Attr.OVERLINE),
    55: (Attr.OVERLINE, 0),
}
_FLAG_CODES = {code: (int(clear), int(add)) for code, (clear, add) in _FLAG_CODES.items()}
_KEEP_ON_RESET = int(Attr.PROTECTED)


def pack(fg: Color = -1, bg: Color = -1, attrs: int = 0) -> int:
    return (fg + 1) | (bg + 1) << BG_SHIFT | attrs << ATTR_SHIFT


def fg_of(style: int) -> Color:
    return (style & FIELD) - 1


def bg_of(style: int) -> Color:
    return (style >> BG_SHIFT & FIELD) - 1


def attrs_of(style: int) -> Attr:
    bits = style >> ATTR_SHIFT & ATTR_BITS
    attr = _attr_cache.get(bits)
    if attr is None:
        attr = _attr_cache[bits] = Attr(bits)
    return attr


def ul_color_of(style: int) -> Color:
    return (style >> UL_SHIFT & FIELD) - 1


def fill_of(style: int) -> int:
    """The style erased cells take: the background only (xterm/tmux BCE)."""
    return style & BG_MASK


def _extended_colour(parts: list[str], i: int) -> tuple[Color | None, int]:
    """Parse ``5;n`` or ``2;r;g;b`` after a 38/48/58 at ``parts[i]``.

    Returns the colour (None when malformed or out of range) and the index of
    the last parameter consumed.
    """
    try:
        kind = int(parts[i + 1] or 0)
        if kind == 5:
            n = int(parts[i + 2] or 0)
            return (n if n < 256 else None), i + 2
        if kind == 2:
            r, g, b = (int(p or 0) for p in parts[i + 2 : i + 5])
            if max(r, g, b) > 255:
                return None, i + 4
            return RGB_FLAG | r << 16 | g << 8 | b, i + 4
    except (IndexError, ValueError):
        return None, len(parts)
    return None, i + 1


def _colon_colour(sub: list[str]) -> Color | None:
    """``38:5:n``, ``38:2:r:g:b`` or ``38:2:cs:r:g:b`` (ITU T.416 form)."""
    try:
        kind = int(sub[1] or 0)
        if kind == 5:
            n = int(sub[2] or 0)
            return n if n < 256 else None
        if kind == 2:
            rgb = sub[3:6] if len(sub) >= 6 else sub[2:5]
            r, g, b = (int(p or 0) for p in rgb)
            if len(rgb) == 3 and max(r, g, b) <= 255:
                return RGB_FLAG | r << 16 | g << 8 | b
    except (IndexError, ValueError):
        pass
    return None


def apply_sgr(style: int, params: str) -> int:
    """The style after ``CSI params m``; malformed parts are skipped."""
    parts = params.split(";")
    fg = style & FIELD
    bg = style >> BG_SHIFT & FIELD
    attrs = style >> ATTR_SHIFT & ATTR_BITS
    ul = style >> UL_SHIFT & FIELD
    i = 0
    n = len(parts)
    while i < n:
        part = parts[i]
        if ":" in part:
            sub = part.split(":")
            head = sub[0]
            if head == "4":
                shape = int(sub[1]) if sub[1].isdigit() else 1
                if shape in _UNDERLINE_SHAPES or shape == 0:
                    attrs = attrs & ~_UNDERLINES | _UNDERLINE_SHAPES.get(shape, 0)
            elif head in ("38", "48", "58"):
                colour = _colon_colour(sub)
                if colour is not None:
                    if head == "38":
                        fg = colour + 1
                    elif head == "48":
                        bg = colour + 1
                    else:
                        ul = colour + 1
            i += 1
            continue
        try:
            code = int(part) if part else 0
        except ValueError:
            i += 1
            continue
        if code == 0:
            fg = bg = ul = 0
            attrs &= _KEEP_ON_RESET  # (DECSCA's protection is not an SGR attribute)
        elif 30 <= code <= 37:
            fg = code - 29
        elif 40 <= code <= 47:
            bg = code - 39
        elif 90 <= code <= 97:
            fg = code - 81
        elif 100 <= code <= 107:
            bg = code - 91
        elif code == 39:
            fg = 0
        elif code == 49:
            bg = 0
        elif code == 59:
            ul = 0
        elif code in (38, 48, 58):
            colour, i = _extended_colour(parts, i)
            if colour is not None:
                if code == 38:
                    fg = colour + 1
                elif code == 48:
                    bg = colour + 1
                else:
                    ul = colour + 1
        elif code in _FLAG_CODES:
            clear, add = _FLAG_CODES[code]
            attrs = attrs & ~clear | add
        i += 1
    return fg | bg << BG_SHIFT | attrs << ATTR_SHIFT | ul << UL_SHIFT


class SgrCache:
    """Memoises :func:`apply_sgr`; the same few SGRs repeat endlessly in real output."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], int] = {}

    def apply(self, style: int, params: str) -> int:
        key = (style, params)
        cache = self._cache
        try:
            return cache[key]
        except KeyError:
            if len(cache) > 4096:  # bounded: true-colour streams never repeat
                cache.clear()
            result = cache[key] = apply_sgr(style, params)
            return result


def _colour_sgr(code: int, base: int, colon: bool = False) -> str:
    """SGR parameters selecting colour field value ``code`` (colour + 1); ``base`` is 30 for
    the foreground, 40 the background, 50 the underline. ``colon``: extended colours in the
    ITU T.416 form xterm reports (``38:5:n``, ``38:2::r:g:b``)."""
    colour = code - 1
    if colour >= RGB_FLAG:
        r, g, b = colour >> 16 & 0xFF, colour >> 8 & 0xFF, colour & 0xFF
        return f"{base + 8}:2::{r}:{g}:{b}" if colon else f"{base + 8};2;{r};{g};{b}"
    if base != 50 and colour < 16:
        return str(base + colour if colour < 8 else base + 52 + colour)
    return f"{base + 8}:5:{colour}" if colon else f"{base + 8};5;{colour}"


_ATTR_SGR = (
    (Attr.BOLD, "1"),
    (Attr.DIM, "2"),
    (Attr.ITALIC, "3"),
    (Attr.DASHED_UNDERLINE, "4:5"),
    (Attr.DOTTED_UNDERLINE, "4:4"),
    (Attr.CURLY_UNDERLINE, "4:3"),
    (Attr.DOUBLE_UNDERLINE, "4:2"),
    (Attr.UNDERLINE, "4"),
    (Attr.BLINK, "5"),
    (Attr.INVERSE, "7"),
    (Attr.HIDDEN, "8"),
    (Attr.STRIKE, "9"),
    (Attr.OVERLINE, "53"),
)
_SHAPES = (
    Attr.DOUBLE_UNDERLINE | Attr.CURLY_UNDERLINE | Attr.DOTTED_UNDERLINE | Attr.DASHED_UNDERLINE
)


def style_to_sgr(style: int, colon: bool = False) -> str:
    """SGR parameters that turn the default style into ``style`` (protection is not SGR)."""
    parts = ["0"]
    attrs = style >> ATTR_SHIFT & ATTR_BITS
    if attrs & _SHAPES:
        attrs &= ~Attr.UNDERLINE  # the shape's own code says it
    parts += [code for flag, code in _ATTR_SGR if attrs & flag]
    fg = style & FIELD
    bg = style >> BG_SHIFT & FIELD
    ul = style >> UL_SHIFT & FIELD
    if fg:
        parts.append(_colour_sgr(fg, 30, colon))
    if bg:
        parts.append(_colour_sgr(bg, 40, colon))
    if ul:
        parts.append(_colour_sgr(ul, 50, colon))
    return ";".join(parts)
