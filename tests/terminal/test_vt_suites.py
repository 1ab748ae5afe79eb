"""Independent suites: Alacritty's reference tests and vttest's screens (``tests/data/vt-suites``).

Alacritty's tests are recordings of real programs (vim, htop in tmux, zsh, fish, vttest...) with
the grid Alacritty showed; ``import_alacritty.py`` also stored what a real xterm 379 shows for
the same bytes. vttest's screens were recorded from Debian's vttest (``record_vttest.py``), each
with xterm's screen for the bytes up to it. Our screen must equal xterm's everywhere; where
Alacritty agrees with xterm, our cells (characters, colours, attributes, underline colour) and
scrollback must equal Alacritty's too. The exceptions are listed with their reason, and a listed
exception that stops being one fails the test.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.terminal import Terminal
from onsembl_desktop.terminal.charwidth import char_width

SUITES = Path(__file__).resolve().parents[1] / "data" / "vt-suites"
ALACRITTY = sorted(p for p in (SUITES / "alacritty").iterdir() if p.is_dir())
VTTEST = sorted((SUITES / "vttest").glob("*.json"))

_DECCOLM = (
    "vttest allows DECCOLM (mode 40) and sets 80 columns: xterm changes its window's width, "
    "our width is the view's (Alacritty keeps its width too)"
)
#: Where our screen is not xterm's.
NOT_XTERM = {
    "vttest_cursor_movement_1": _DECCOLM,
    "vttest_insert": _DECCOLM,
    "menu8:10": "drawn at 132 columns just before (DECCOLM); we stay at 80",
}
#: Where Alacritty's grid is not xterm's (we follow xterm), found by the data itself.
ALACRITTY_NOT_XTERM = {
    "decaln_reset",
    "deccolm_reset",
    "erase_in_line",
    "saved_cursor_alt",
    "scroll_in_region_up_preserves_history",
    "selective_erasure",
    "tab_rendering",
    "vttest_cursor_movement_1",
    "vttest_insert",
    "vttest_tab_clear_set",
}
#: Where Alacritty agrees with xterm on the text, but its cells differ from ours.
CELLS_DIFFER = {
    "underline": "SGR 21 is a double underline (ECMA-48, xterm); Alacritty keeps 4:3's curl",
}


def normal(lines: list[str]) -> list[str]:
    """Rows as text, as xterm prints them: a wide glyph's second cell is U+FFFF (a blank if its
    first half was erased) and combining marks are composed."""
    out = []
    for line in lines:
        line = re.sub("(?<=[\u1100-\U0010ffff])\uffff", "", line).replace("\uffff", " ")
        out.append(unicodedata.normalize("NFC", line).rstrip(" "))
    return out


def cells_of_runs(runs: list[list[Any]]) -> list[list[Any]]:
    cells = []
    for text, *style in runs:
        i = 0
        while i < len(text):
            j = i + 1
            while j < len(text) and char_width(text[j]) == 0:
                j += 1
            cells.append([text[i:j], *style])
            i = j
    return cells


def our_cells(t: Terminal, y: int) -> list[list[Any]]:
    runs = [[r.text, r.fg, r.bg, int(r.attrs), r.ul_color] for r in t.row_runs(y)]
    return cells_of_runs(runs)


def replay(folder: Path) -> tuple[Terminal, dict[str, Any]]:
    size = json.loads((folder / "size.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    t = Terminal(size["columns"], size["screen_lines"], scrollback=config["history_size"])
    t.feed_bytes((folder / "alacritty.recording").read_bytes())
    return t, json.loads((folder / "expected.json").read_text())


@pytest.mark.parametrize("folder", ALACRITTY, ids=[p.name for p in ALACRITTY])
def test_alacritty_reference(folder: Path) -> None:
    t, expected = replay(folder)
    name = folder.name
    xterm = normal(expected["xterm"]["screen"])
    if name in NOT_XTERM:
        assert normal(t.display()) != xterm, "now equal to xterm: drop it from NOT_XTERM"
    else:
        assert normal(t.display()) == xterm
        assert t.cursor == tuple(expected["xterm"]["cursor"])
    agrees = normal(expected["screen"]) == xterm
    assert agrees == (name not in ALACRITTY_NOT_XTERM)
    if not agrees:
        return
    mismatched = [y for y in range(t.rows) if our_cells(t, y) != cells_of_runs(expected["runs"][y])]
    if name in CELLS_DIFFER:
        assert mismatched, "cells now equal to Alacritty's: drop it from CELLS_DIFFER"
    else:
        assert not mismatched, f"rows {mismatched}"
    assert t.history_text() == expected["history"]


SCREENS = [
    (path, index)
    for path in VTTEST
    for index in range(len(json.loads(path.read_text())["screens"]))
]


@pytest.mark.parametrize(("path", "index"), SCREENS, ids=[f"{p.stem}:{i}" for p, i in SCREENS])
def test_vttest_screen(path: Path, index: int) -> None:
    meta = json.loads(path.read_text())
    screen = meta["screens"][index]
    if any(len(line) > meta["cols"] for line in screen["screen"]):
        pytest.skip("xterm showed this screen at 132 columns (DECCOLM); our width is the view's")
    t = Terminal(meta["cols"], meta["rows"])
    t.feed_bytes(path.with_suffix(".bin").read_bytes()[: screen["at"]])
    key = f"{path.stem}:{index}"
    if key in NOT_XTERM:
        assert normal(t.display()) != normal(screen["screen"]), f"{key} now equals xterm"
        return
    assert normal(t.display()) == normal(screen["screen"])
    assert t.cursor == tuple(screen["cursor"])
