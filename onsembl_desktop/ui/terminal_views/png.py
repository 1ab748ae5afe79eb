"""A terminal's screen as a PNG, painted offscreen by the view's own painter.

For ``python -m onsembl_desktop.terminal render --png FILE`` (and tests): the same cell grid,
glyph fitting and self-drawn box drawing as the window, so the grid can be checked in pixels.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QImage, QPainter

from ...terminal import Terminal
from ..presentation import terminal_doc as doc
from ..theme import DARK_TERMINAL, LIGHT_TERMINAL, monospace_font
from .painter import CellPainter


def _application() -> QGuiApplication:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QGuiApplication([sys.argv[0] if sys.argv else "render"])


def render_image(
    terminal: Terminal,
    *,
    theme: str = "dark",
    family: str | None = None,
    point_size: int = 11,
    scale: float = 1.0,
    scrollback: bool = False,
    cursor: bool = True,
) -> QImage:
    """The screen (with ``scrollback``, every scrollback line above it) as an image; ``scale`` is
    the device pixel ratio (2 paints a HiDPI image of the same grid)."""
    _application()
    scheme = LIGHT_TERMINAL if theme == "light" else DARK_TERMINAL
    cells = CellPainter(monospace_font(point_size, family), scheme, scale)
    cells.reverse = terminal.reverse_video
    first = 0 if scrollback else doc.history_lines(terminal)
    lines = doc.history_lines(terminal) + terminal.rows - first
    width, height = terminal.cols * cells.cell_w, lines * cells.cell_h
    image = QImage(round(width * scale), round(height * scale), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(cells.color(cells.default_bg))
    painter = QPainter(image)
    for row in range(lines):
        runs = doc.line_runs(terminal, first + row)
        if runs:
            cells.paint_row(painter, runs, 0.0, row * cells.cell_h)
    if cursor and terminal.cursor_visible:
        cx, cy = terminal.cursor
        row = doc.history_lines(terminal) + cy - first
        under = cells.cell_at(doc.line_runs(terminal, first + row), cx)
        cells.paint_cursor(
            painter, cx * cells.cell_w, row * cells.cell_h, under, terminal.cursor_shape, True
        )
    painter.end()
    return image


def save_png(terminal: Terminal, path: Path, **options: object) -> None:
    image = render_image(terminal, **options)  # type: ignore[arg-type]
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]
        raise OSError(f"cannot write {path}")
