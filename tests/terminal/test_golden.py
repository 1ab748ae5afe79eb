"""Recorded real programs render to what tmux showed for the same bytes.

The expected screens were captured from tmux by ``make_goldens.py``; tmux prints
DEC line-drawing cells as their ASCII letters in ``capture-pane -p``, so the
expected text is taken from ``capture-pane -e`` with its SO/SI spans translated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from onsembl_desktop.terminal import Terminal
from onsembl_desktop.terminal.charsets import GRAPHICS

GOLDEN = Path(__file__).parent / "golden"
NAMES = sorted(p.stem for p in GOLDEN.glob("*.bin"))
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def load(name: str) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    return GOLDEN.joinpath(f"{name}.bin").read_bytes(), json.loads(
        GOLDEN.joinpath(f"{name}.json").read_text()
    )


def shown_screen(ansi_lines: list[str]) -> list[str]:
    """The text tmux shows for ``capture-pane -e`` lines (the SO/SI state carries over)."""
    out = []
    graphics = False
    for line in ansi_lines:
        row = []
        for part in re.split(r"([\x0e\x0f])", _SGR.sub("", line)):
            if part in ("\x0e", "\x0f"):
                graphics = part == "\x0e"
            else:
                row.append(part.translate(GRAPHICS) if graphics else part)
        out.append("".join(row).rstrip(" "))
    return out


def cells(t: Terminal, y: int) -> list[tuple[str, int, int, int]]:
    out = []
    for run in t.row_runs(y):
        chars = list(run.text) if run.cells == len(run.text) else [run.text] * run.cells
        out += [(ch, run.fg, run.bg, int(run.attrs)) for ch in chars]
    return out


def render(data: bytes, meta: dict) -> Terminal:  # type: ignore[type-arg]
    t = Terminal(meta["cols"], meta["rows"], scrollback=10_000)
    t.feed_bytes(data)
    return t


@pytest.mark.parametrize("name", NAMES)
def test_screen_text_matches_tmux(name: str) -> None:
    data, meta = load(name)
    t = render(data, meta)
    assert t.display() == shown_screen(meta["ansi"])


@pytest.mark.parametrize("name", NAMES)
def test_scrollback_cursor_and_modes_match_tmux(name: str) -> None:
    data, meta = load(name)
    t = render(data, meta)
    assert t.history_text() == [line.rstrip(" ") for line in meta["history"]]
    x, y = meta["cursor"]
    assert t.cursor == (min(x, meta["cols"] - 1), y)
    assert t.cursor_visible == meta["cursor_visible"]
    assert t.in_alternate_screen == meta["alternate"]


@pytest.mark.parametrize("name", NAMES)
def test_colours_and_attributes_match_tmux(name: str) -> None:
    data, meta = load(name)
    t = render(data, meta)
    # capture-pane -e carries colours and the line-drawing shift over from line to line.
    style, graphics = 0, False
    for y, line in enumerate(meta["ansi"]):
        ref = Terminal(meta["cols"], 1)
        ref.style = style
        ref.designate(0, "0" if graphics else "B")
        ref.feed(line.replace("\x0e", "\x1b(0").replace("\x0f", "\x1b(B"))
        style, graphics = ref.style, ref.charsets[0] == "0"
        expected = cells(ref, 0)
        assert cells(t, y)[: len(expected)] == expected, f"row {y}"
