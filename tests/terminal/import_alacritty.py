"""Bring Alacritty's reference tests in as test data (a dev tool, not part of the test run)::

    python tests/terminal/import_alacritty.py /path/to/alacritty/checkout

Each ``alacritty_terminal/tests/ref/NAME`` holds a recording of a real program's output and the
grid Alacritty showed for it (``grid.json``, serialised cells, megabytes each). This copies the
recording, ``size.json`` and ``config.json`` unchanged and writes ``expected.json`` with what
the grid says, compactly (rows as text, styled runs, scrollback), plus what a real xterm shows
for the same bytes and size (``xtermref.py``: needs xterm and Xvfb).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import xtermref

from onsembl_desktop.terminal import Attr

OUT = Path(__file__).resolve().parents[1] / "data" / "vt-suites" / "alacritty"
_NAMED = [
    "Black", "Red", "Green", "Yellow", "Blue", "Magenta", "Cyan", "White",
    "BrightBlack", "BrightRed", "BrightGreen", "BrightYellow",
    "BrightBlue", "BrightMagenta", "BrightCyan", "BrightWhite",
]  # fmt: skip
_FLAGS = {
    "BOLD": Attr.BOLD,
    "DIM": Attr.DIM,
    "ITALIC": Attr.ITALIC,
    "UNDERLINE": Attr.UNDERLINE,
    "DOUBLE_UNDERLINE": Attr.UNDERLINE | Attr.DOUBLE_UNDERLINE,
    "UNDERCURL": Attr.UNDERLINE | Attr.CURLY_UNDERLINE,
    "DOTTED_UNDERLINE": Attr.UNDERLINE | Attr.DOTTED_UNDERLINE,
    "DASHED_UNDERLINE": Attr.UNDERLINE | Attr.DASHED_UNDERLINE,
    "INVERSE": Attr.INVERSE,
    "HIDDEN": Attr.HIDDEN,
    "STRIKEOUT": Attr.STRIKE,
}


def colour(value: Any) -> int:
    """Alacritty's colour as ours: -1 default, a palette index, or 0x1000000 | rgb."""
    if value is None:
        return -1
    if "Named" in value:
        name = value["Named"].removeprefix("Dim")
        return _NAMED.index(name) if name in _NAMED else -1
    if "Indexed" in value:
        return int(value["Indexed"])
    spec = value["Spec"]
    return 0x1000000 | spec["r"] << 16 | spec["g"] << 8 | spec["b"]


def attrs(flags: str) -> int:
    out = 0
    for flag in (f.strip() for f in flags.split("|")):
        out |= int(_FLAGS.get(flag, 0))
    return out


def row_cells(row: dict[str, Any]) -> list[list[Any]]:
    """``[text, fg, bg, attrs, underline colour]`` per cell (a wide glyph's spacer dropped),
    trailing blank default cells dropped."""
    cells = []
    for cell in row["inner"]:
        flags = cell["flags"]
        if "WIDE_CHAR_SPACER" in flags and "LEADING" not in flags:
            continue
        text = cell["c"]
        extra = cell.get("extra") or {}
        text += "".join(extra.get("zerowidth") or [])
        if "LEADING_WIDE_CHAR_SPACER" in flags:
            text = " "
        ul = colour(extra.get("underline_color"))
        cells.append([text, colour(cell["fg"]), colour(cell["bg"]), attrs(flags), ul])
    while cells and cells[-1] == [" ", -1, -1, 0, -1]:
        cells.pop()
    return cells


def runs(cells: list[list[Any]]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for text, *style in cells:
        if out and out[-1][1:] == style:
            out[-1][0] += text
        else:
            out.append([text, *style])
    return out


def convert(grid: dict[str, Any], rows: int) -> dict[str, Any]:
    raw = grid["raw"]
    inner, zero = raw["inner"], raw["zero"]
    size = len(inner)
    ordered = [inner[(zero + i) % size] for i in range(size - 1, -1, -1)]  # top to bottom
    history, screen = ordered[: size - rows], ordered[size - rows :]
    text = ["".join(c[0] for c in row_cells(r)).rstrip(" ") for r in screen]
    hist = ["".join(c[0] for c in row_cells(r)).rstrip(" ") for r in history]
    while hist and not hist[0]:  # rows Alacritty allocated but never filled
        hist.pop(0)
    return {"screen": text, "history": hist, "runs": [runs(row_cells(r)) for r in screen]}


def main(checkout: str) -> None:
    def show(path: str) -> bytes:
        return subprocess.run(
            ["git", "-C", checkout, "show", f"HEAD:{path}"], check=True, capture_output=True
        ).stdout

    listing = subprocess.run(
        ["git", "-C", checkout, "ls-tree", "--name-only", "HEAD", "alacritty_terminal/tests/ref/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    commit = subprocess.run(
        ["git", "-C", checkout, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    for ref in listing:
        name = Path(ref).name
        try:
            grid = json.loads(show(f"{ref}/grid.json"))
        except subprocess.CalledProcessError:
            print(f"{name}: skipped (its grid is not in this checkout)")
            continue
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        recording = show(f"{ref}/alacritty.recording")
        size = json.loads(show(f"{ref}/size.json"))
        cols, rows = size["columns"], size["screen_lines"]
        for file in ("alacritty.recording", "size.json", "config.json"):
            folder.joinpath(file).write_bytes(show(f"{ref}/{file}"))
        expected = convert(grid, rows)
        shown = xtermref.replay(recording, cols, rows)
        expected["xterm"] = {"screen": shown.screen, "cursor": list(shown.cursor)}
        expected["source"] = f"alacritty/alacritty@{commit}:{ref}"
        text = json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
        folder.joinpath("expected.json").write_text(text + "\n")
        print(f"{name}: {cols}x{rows}, {len(recording)} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
