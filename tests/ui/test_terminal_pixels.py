"""The terminal painter keeps every cell on the grid, in pixels (``render --png``'s images).

A vertical line drawn in the same column on every row must sit at the same x on every row,
whatever came before it on the row (colour changes, wide characters, fallback glyphs, emoji,
combining marks), and run without a gap from the first row to the last; box drawing joins
across cells; the same grid comes out at every scale factor.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from onsembl_desktop.terminal import Terminal
from onsembl_desktop.ui.terminal_views.png import render_image
from onsembl_desktop.ui.theme import DARK_TERMINAL

PREFIXES = [
    "ab",
    "\x1b[31ma\x1b[1;32mb\x1b[0m",  # colour changes between cells
    "中",  # a wide character from a fallback font
    "ée\u0301",  # a combining mark
    "→✓",  # symbols the monospace font may lack
    "😀",  # a colour emoji, two cells
    "\x1b[3mi\x1b[1mb\x1b[0m",  # italic and bold faces
    "\x1b[4:3mc\x1b[9mz\x1b[0m",  # underline and strike-through
    "▓█",  # self-drawn blocks
]


def terminal(lines: list[str], cols: int = 12) -> Terminal:
    t = Terminal(cols, len(lines), scrollback=0)
    t.feed("\r\n".join(lines))
    t.feed("\x1b[?25l")  # no cursor in the pictures
    return t


def lit(image: QImage, x: int, y: int) -> bool:
    """Whether the pixel is noticeably brighter than the dark theme's background."""
    background = DARK_TERMINAL.background & 0xFF
    return image.pixelColor(x, y).lightness() > background + 60


def line_columns(image: QImage, y0: int, y1: int) -> dict[int, list[int]]:
    """For each row band [y0, y1): the x of lit pixels in each pixel row."""
    return {y: [x for x in range(image.width()) if lit(image, x, y)] for y in range(y0, y1)}


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_a_vertical_line_keeps_its_x_on_every_row_and_has_no_gaps(
    qapp: QApplication, scale: float
) -> None:
    t = terminal([prefix + "│" for prefix in PREFIXES])
    image = render_image(t, scale=scale, point_size=12)
    cell_w = image.width() / t.cols
    cell_h = image.height() / t.rows
    # The line is in column 2: look at that column's pixels, row by row, in device pixels.
    x0, x1 = int(2 * cell_w), int(3 * cell_w)
    xs_per_row = []
    for row in range(t.rows):
        band = [
            [x for x in range(x0, x1) if lit(image, x, y)]
            for y in range(int(row * cell_h), int((row + 1) * cell_h))
        ]
        assert all(band), f"row {row} ({PREFIXES[row]!r}): a gap in the line"
        xs_per_row.append(sorted({x for xs in band for x in xs}))
    assert all(xs == xs_per_row[0] for xs in xs_per_row), xs_per_row
    # Nothing from the rows' own text spills into the line's column.
    assert len(xs_per_row[0]) <= max(2, round(2 * scale))


def test_the_same_grid_at_every_scale_factor(qapp: QApplication) -> None:
    t = terminal(["┌──┬──┐", "│ab│中│", "└──┴──┘"])
    small, large = render_image(t, scale=1.0), render_image(t, scale=2.0)
    assert (large.width(), large.height()) == (2 * small.width(), 2 * small.height())


def test_box_drawing_joins_across_cells_and_rows(qapp: QApplication) -> None:
    t = terminal(["┌─┬─┐", "├─┼─┤", "│ │ │", "└─┴─┘"], cols=5)
    image = render_image(t, point_size=12)
    cell_w, cell_h = image.width() / t.cols, image.height() / t.rows
    # The horizontal line through the middle of row 0 is lit from the first cell's centre to
    # the last one's, with no gap at a cell boundary.
    y = int(cell_h / 2)
    ys = [yy for yy in range(int(cell_h)) if lit(image, int(1.5 * cell_w), yy)]
    assert ys, "no horizontal line in row 0"
    y = ys[0]
    assert all(lit(image, x, y) for x in range(int(cell_w / 2) + 1, int(4.5 * cell_w)))
    # The left vertical line runs from row 0's middle to row 3's middle without a gap.
    xs = [xx for xx in range(int(cell_w)) if lit(image, xx, int(2.5 * cell_h))]
    assert xs, "no vertical line in column 0"
    x = xs[0]
    assert all(lit(image, x, yy) for yy in range(int(cell_h / 2) + 1, int(3.5 * cell_h)))


def test_wide_characters_take_exactly_two_cells(qapp: QApplication) -> None:
    # A bar after CJK and emoji sits where a bar after two ASCII letters sits.
    t = terminal(["ab▌", "中▌", "😀▌"], cols=4)
    image = render_image(t, point_size=12)
    cell_w, cell_h = image.width() / t.cols, image.height() / t.rows
    left, half = int(2 * cell_w), int(2.5 * cell_w)
    for row in range(t.rows):
        y = int((row + 0.5) * cell_h)
        # The left half block fills exactly the left half of the third cell.
        assert lit(image, left, y) and lit(image, half - 1, y), row
        assert not lit(image, half + 1, y), row


def test_render_png_command(tmp_path: Path) -> None:
    data = tmp_path / "out.bin"
    data.write_bytes("\x1b[1;31mred\x1b[0m ┌─┐ 中文\r\n│x│ 😀".encode())
    png = tmp_path / "screen.png"
    subprocess.run(
        [sys.executable, "-m", "onsembl_desktop.terminal", "render", "--cols", "20", "--rows",
         "3", "--png", str(png), "--theme", "light", data],
        check=True,
        timeout=120,
    )  # fmt: skip
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 20 * 4 and image.height() > 3 * 8
