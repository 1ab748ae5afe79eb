"""Resizing shows what tmux 3.3a shows for the same bytes and sizes (tmux re-flows; xterm cuts).

``golden/resize_cases.json`` holds 150 random cases (text, colours, wide characters, the
alternate screen, one to three resizes between them) with tmux's screen, cursor and scrollback,
recorded by ``diff_tmux.py 150 21 resize record``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.terminal import Terminal

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden" / "resize_cases.json").read_text()
)


def replay(steps: list[Any]) -> Terminal:
    t = Terminal(12, 6, scrollback=100)
    for step in steps:
        if isinstance(step, str):
            t.feed(step)
        else:
            t.resize(*step)
    return t


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_resize_matches_tmux(case: dict[str, Any]) -> None:
    t = replay(case["steps"])
    x, y = case["cursor"]
    assert t.display() == case["screen"]
    assert t.cursor == (min(x, t.cols - 1), y)
    assert t.history_text() == case["history"]


def test_the_cases_cover_the_alternate_screen_and_shrinking_and_growing() -> None:
    steps = [step for case in CASES for step in case["steps"]]
    assert any(isinstance(s, str) and "1049h" in s for s in steps)
    sizes = [tuple(s) for s in steps if not isinstance(s, str)]
    assert any(c < 12 for c, _ in sizes) and any(c > 12 for c, _ in sizes)
    assert any(r < 6 for _, r in sizes) and any(r > 6 for _, r in sizes)


def test_widening_from_80_to_100_keeps_a_tab_stop_at_80() -> None:
    t = Terminal(80, 4)
    t.resize(100, 4)
    t.feed("\t" * 10 + "x")
    assert t.display()[0].index("x") == 80
    t.feed("\r\x1b[3g\x1bH\x1b[20G\x1bH")  # stops of its own: cleared, then set at 0 and 19
    t.resize(120, 4)
    t.feed("\r\n\tA\tB\tC")
    assert t.display()[1] == " " * 19 + "A" + " " * 84 + "B" + " " * 7 + "C"  # (104, 112)
