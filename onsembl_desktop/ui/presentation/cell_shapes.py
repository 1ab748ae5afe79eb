"""Shapes of the characters a terminal draws itself, so they join seamlessly across cells.

Box drawing (U+2500-257F), block elements (U+2580-259F), Braille (U+2800-28FF) and the
powerline separators (U+E0B0-E0BF) are drawn from these shapes rather than from a font: a font's
glyph rarely fills its cell exactly, which leaves gaps between rows and columns. Qt-free: shapes
are plain geometry in the cell's pixels (origin at its top-left, ``w`` x ``h``), which the
painter strokes or fills in the text's colour.

Box drawing is read from the characters' Unicode names ("BOX DRAWINGS DOWN LIGHT AND RIGHT
HEAVY"): each of the four arms is absent, light, heavy or double; "ARC" corners are rounded,
"DASH" lines dashed, "DIAGONAL" ones crossed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

NONE, LIGHT, HEAVY, DOUBLE = 0, 1, 2, 3
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
_WEIGHTS = {"LIGHT": LIGHT, "SINGLE": LIGHT, "HEAVY": HEAVY, "DOUBLE": DOUBLE}
_DIRECTIONS = {
    "UP": (UP,),
    "DOWN": (DOWN,),
    "LEFT": (LEFT,),
    "RIGHT": (RIGHT,),
    "VERTICAL": (UP, DOWN),
    "HORIZONTAL": (LEFT, RIGHT),
}


@dataclass(frozen=True, slots=True)
class Rect:
    """A filled rectangle; ``alpha`` below 1 for shades."""

    x: float
    y: float
    w: float
    h: float
    alpha: float = 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    """A straight stroke ``width`` wide (ends cut square, not extended)."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float


@dataclass(frozen=True, slots=True)
class Polygon:
    """A filled polygon."""

    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Arc:
    """A stroked quarter of an ellipse: its bounding box and angles in degrees, as Qt's drawArc
    (0 is 3 o'clock, counter-clockwise)."""

    x: float
    y: float
    w: float
    h: float
    start: float
    span: float
    width: float


Shape = Rect | Segment | Polygon | Arc


def draws_itself(ch: str) -> bool:
    """Whether the painter draws ``ch`` from shapes rather than a font."""
    cp = ord(ch[0]) if ch else 0
    return 0x2500 <= cp <= 0x259F or 0x2800 <= cp <= 0x28FF or 0xE0B0 <= cp <= 0xE0BF


def shapes(ch: str, w: float, h: float, line: float) -> list[Shape]:
    """The shapes of ``ch`` in a ``w`` x ``h`` cell, thin lines ``line`` wide."""
    cp = ord(ch[0])
    if 0x2580 <= cp <= 0x259F:
        return _block(cp, w, h)
    if 0x2800 <= cp <= 0x28FF:
        return _braille(cp - 0x2800, w, h)
    if 0xE0B0 <= cp <= 0xE0BF:
        return _powerline(cp, w, h, line)
    return _box(ch, w, h, line)


# --- box drawing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoxSpec:
    arms: tuple[int, int, int, int]  # up, right, down, left: NONE / LIGHT / HEAVY / DOUBLE
    dashes: int = 0  # segments of a dashed line (2, 3 or 4)
    arc: bool = False
    diagonal: str = ""  # "/", "\\" or "X"


@lru_cache(maxsize=256)
def box_spec(ch: str) -> BoxSpec | None:
    """The arms of a box-drawing character, from its Unicode name."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    if not name.startswith("BOX DRAWINGS "):
        return None
    words = name.removeprefix("BOX DRAWINGS ")
    if "DIAGONAL" in words:
        if "CROSS" in words:
            return BoxSpec((0, 0, 0, 0), diagonal="X")
        return BoxSpec((0, 0, 0, 0), diagonal="/" if "UPPER RIGHT TO LOWER LEFT" in words else "\\")
    dashes = {"DOUBLE DASH": 2, "TRIPLE DASH": 3, "QUADRUPLE DASH": 4}
    count = next((n for key, n in dashes.items() if key in words), 0)
    for key in dashes:
        words = words.replace(key, "")
    arc = "ARC" in words
    words = words.replace("ARC", "")
    tokens = words.split()
    default = next((_WEIGHTS[t] for t in tokens if t in _WEIGHTS), LIGHT)
    arms = [NONE] * 4
    for group in " ".join(tokens).split(" AND "):
        parts = group.split()
        weight = next((_WEIGHTS[t] for t in parts if t in _WEIGHTS), default)
        for part in parts:
            for arm in _DIRECTIONS.get(part, ()):
                arms[arm] = weight
    return BoxSpec((arms[0], arms[1], arms[2], arms[3]), dashes=count, arc=arc)


def _box(ch: str, w: float, h: float, line: float) -> list[Shape]:
    spec = box_spec(ch)
    if spec is None:
        return []
    if spec.diagonal:
        out: list[Shape] = []
        if spec.diagonal in "/X":
            out.append(Segment(w, 0, 0, h, line))
        if spec.diagonal in "\\X":
            out.append(Segment(0, 0, w, h, line))
        return out
    cx, cy = _snap(w / 2, line), _snap(h / 2, line)
    if spec.arc:
        return _arc(spec.arms, w, h, cx, cy, line)
    if spec.dashes:
        return _dashed(spec, w, h, cx, cy, line)
    gap = max(line, round(line * 1.5))  # from the centre to each stroke of a double line
    out = []
    for arm, weight in enumerate(spec.arms):
        if weight == DOUBLE:
            for side in _SIDES[arm]:
                begin = _double_start(spec.arms, arm, side, gap, line)
                offset = -gap if side in (UP, LEFT) else gap
                out.append(_stroke(arm, begin, offset, line, w, h, cx, cy))
        elif weight:
            width = line * 2 if weight == HEAVY else line
            out.append(
                _stroke(arm, _single_start(spec.arms, arm, gap, line), 0, width, w, h, cx, cy)
            )
    return out


_SIDES = {UP: (LEFT, RIGHT), DOWN: (LEFT, RIGHT), LEFT: (UP, DOWN), RIGHT: (UP, DOWN)}
_OPPOSITE = {UP: DOWN, DOWN: UP, LEFT: RIGHT, RIGHT: LEFT}


def _stroke(
    arm: int, begin: float, offset: float, width: float, w: float, h: float, cx: float, cy: float
) -> Rect:
    """An arm's stroke from ``begin`` past the centre (towards the arm; negative: behind the
    centre) to the cell's edge, ``offset`` across from the centre line."""
    half = width / 2
    if arm == RIGHT:
        return Rect(cx + begin, cy + offset - half, w - cx - begin, width)
    if arm == LEFT:
        return Rect(0, cy + offset - half, cx - begin, width)
    if arm == DOWN:
        return Rect(cx + offset - half, cy + begin, width, h - cy - begin)
    return Rect(cx + offset - half, 0, width, cy - begin)


def _thickness(weight: int, line: float) -> float:
    return line * 2 if weight == HEAVY else line


def _single_start(arms: tuple[int, int, int, int], arm: int, gap: float, line: float) -> float:
    """Where a light or heavy arm starts: across the perpendicular arms, so they overlap; at a
    double line, at its near stroke when it goes both ways, else at its far stroke (a corner)."""
    sides = [arms[side] for side in _SIDES[arm]]
    if DOUBLE in sides:
        return gap - line / 2 if all(s == DOUBLE for s in sides) else -gap - line / 2
    across = max((_thickness(s, line) for s in sides if s), default=0.0)
    if across:
        return -across / 2
    return 0.0 if arms[_OPPOSITE[arm]] else -_thickness(arms[arm], line) / 2


def _double_start(
    arms: tuple[int, int, int, int], arm: int, side: int, gap: float, line: float
) -> float:
    """Where one stroke of a double arm starts: inside the corner a perpendicular arm on its
    side makes, at the middle when the line goes straight on, outside a corner made with an
    arm on the other side."""
    half = line / 2
    other = _OPPOSITE[side]
    if arms[side] == DOUBLE:
        return gap - half
    if arms[side]:
        return -_thickness(arms[side], line) / 2
    if arms[_OPPOSITE[arm]]:
        return 0.0
    if arms[other] == DOUBLE:
        return -gap - half
    if arms[other]:
        return -_thickness(arms[other], line) / 2
    return -half


def _dashed(spec: BoxSpec, w: float, h: float, cx: float, cy: float, line: float) -> list[Shape]:
    _, right, _, left = spec.arms
    weight = max(spec.arms)
    t = line * 2 if weight == HEAVY else line
    n = spec.dashes
    out: list[Shape] = []
    if left or right:
        step = w / n
        for i in range(n):
            out.append(Rect(i * step + step / 4, cy - t / 2, step / 2, t))
    else:
        step = h / n
        for i in range(n):
            out.append(Rect(cx - t / 2, i * step + step / 4, t, step / 2))
    return out


def _arc(
    arms: tuple[int, int, int, int], w: float, h: float, cx: float, cy: float, line: float
) -> list[Shape]:
    """A rounded corner: a quarter ellipse from one edge's middle to the other's."""
    up, right, down, left = arms
    r = min(w, h) / 2
    # The arc's box is centred on the corner the arc turns around (off the centre by r).
    if down and right:  # ╭
        box, start = (cx, cy, 2 * r, 2 * r), 90
    elif down and left:  # ╮
        box, start = (cx - 2 * r, cy, 2 * r, 2 * r), 0
    elif up and left:  # ╯
        box, start = (cx - 2 * r, cy - 2 * r, 2 * r, 2 * r), 270
    else:  # ╰
        box, start = (cx, cy - 2 * r, 2 * r, 2 * r), 180
    out: list[Shape] = [Arc(*box, start, 90, line)]
    # Straight parts from the arc's ends to the edges, where the cell is longer than 2 r.
    if up:
        out.append(Rect(cx - line / 2, 0, line, max(0, cy - r)))
    if down:
        out.append(Rect(cx - line / 2, cy + r, line, max(0, h - cy - r)))
    if left:
        out.append(Rect(0, cy - line / 2, max(0, cx - r), line))
    if right:
        out.append(Rect(cx + r, cy - line / 2, max(0, w - cx - r), line))
    return out


def _snap(value: float, line: float) -> float:
    """A centre such that a ``line``-wide stroke centred on it lies on whole pixels."""
    if round(line) % 2:
        return int(value) + 0.5
    return float(round(value))


# --- block elements ---------------------------------------------------------------------------

_QUADRANTS = {  # upper left, upper right, lower left, lower right
    0x2596: (0, 0, 1, 0),
    0x2597: (0, 0, 0, 1),
    0x2598: (1, 0, 0, 0),
    0x2599: (1, 0, 1, 1),
    0x259A: (1, 0, 0, 1),
    0x259B: (1, 1, 1, 0),
    0x259C: (1, 1, 0, 1),
    0x259D: (0, 1, 0, 0),
    0x259E: (0, 1, 1, 0),
    0x259F: (0, 1, 1, 1),
}


def _block(cp: int, w: float, h: float) -> list[Shape]:
    if cp == 0x2580:  # upper half
        return [Rect(0, 0, w, round(h / 2))]
    if 0x2581 <= cp <= 0x2588:  # lower eighths, full block
        top = round(h * (1 - (cp - 0x2580) / 8))
        return [Rect(0, top, w, h - top)]
    if 0x2589 <= cp <= 0x258F:  # left seven eighths .. one eighth
        return [Rect(0, 0, round(w * (0x2590 - cp) / 8), h)]
    if cp == 0x2590:  # right half
        half = round(w / 2)
        return [Rect(half, 0, w - half, h)]
    if 0x2591 <= cp <= 0x2593:  # light, medium, dark shade
        return [Rect(0, 0, w, h, (cp - 0x2590) / 4)]
    if cp == 0x2594:  # upper one eighth
        return [Rect(0, 0, w, max(1, round(h / 8)))]
    if cp == 0x2595:  # right one eighth
        eighth = max(1, round(w / 8))
        return [Rect(w - eighth, 0, eighth, h)]
    quads = _QUADRANTS.get(cp)
    if quads is None:
        return []
    mx, my = round(w / 2), round(h / 2)
    boxes = ((0, 0, mx, my), (mx, 0, w - mx, my), (0, my, mx, h - my), (mx, my, w - mx, h - my))
    return [Rect(*box) for box, on in zip(boxes, quads, strict=True) if on]


# --- Braille ----------------------------------------------------------------------------------

# Dot bits: 1 2 3 down the left column, 4 5 6 down the right, then 7 (left) and 8 (right) at the
# bottom.
_DOTS = ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3))


def _braille(bits: int, w: float, h: float) -> list[Shape]:
    size = max(1.0, round(min(w / 4, h / 8)))
    out: list[Shape] = []
    for bit, (col, row) in enumerate(_DOTS):
        if bits & (1 << bit):
            x = round(w * (1 + 2 * col) / 4 - size / 2)
            y = round(h * (1 + 2 * row) / 8 - size / 2)
            out.append(Rect(x, y, size, size))
    return out


# --- powerline --------------------------------------------------------------------------------


def _powerline(cp: int, w: float, h: float, line: float) -> list[Shape]:
    half = h / 2
    if cp == 0xE0B0:  # solid arrow pointing right
        return [Polygon(((0, 0), (w, half), (0, h)))]
    if cp == 0xE0B2:  # solid arrow pointing left
        return [Polygon(((w, 0), (0, half), (w, h)))]
    if cp == 0xE0B1:  # thin arrow pointing right
        return [Segment(0, 0, w, half, line), Segment(w, half, 0, h, line)]
    if cp == 0xE0B3:
        return [Segment(w, 0, 0, half, line), Segment(0, half, w, h, line)]
    if cp == 0xE0B4:  # solid half circle, flat side left
        return [Polygon(_half_ellipse(0, w, h, 1))]
    if cp == 0xE0B6:
        return [Polygon(_half_ellipse(w, w, h, -1))]
    if cp == 0xE0B5:
        return [Arc(-w, 0, 2 * w, h, 270, 180, line)]
    if cp == 0xE0B7:
        return [Arc(0, 0, 2 * w, h, 90, 180, line)]
    corners = {  # triangles filling half the cell, by the corner they fill
        0xE0B8: ((0, 0), (w, h), (0, h)),
        0xE0BA: ((w, 0), (w, h), (0, h)),
        0xE0BC: ((0, 0), (w, 0), (0, h)),
        0xE0BE: ((0, 0), (w, 0), (w, h)),
    }
    if cp in corners:
        return [Polygon(corners[cp])]
    thin = {
        0xE0B9: (0, 0, w, h),
        0xE0BB: (w, 0, 0, h),
        0xE0BD: (w, 0, 0, h),
        0xE0BF: (0, 0, w, h),
    }
    if cp in thin:
        x1, y1, x2, y2 = thin[cp]
        return [Segment(x1, y1, x2, y2, line)]
    return []


def _half_ellipse(x0: float, w: float, h: float, side: int) -> tuple[tuple[float, float], ...]:
    import math

    points = []
    for i in range(17):
        angle = -math.pi / 2 + math.pi * i / 16
        points.append((x0 + side * w * math.cos(angle), h / 2 + h / 2 * math.sin(angle)))
    return tuple(points)
