"""No input crashes or stalls the engine, and chunking never changes the result."""

from __future__ import annotations

import sys
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onsembl_desktop.terminal import Terminal

GOLDEN = Path(__file__).parent / "golden"
RECORDINGS = {p.stem: p.read_bytes() for p in sorted(GOLDEN.glob("*.bin"))}
FRAGMENTS = [
    "\x1b", "[", "]", "?", ">", ";", ":", "0", "1", "2", "5", "38", "48", "m", "H", "J", "K",
    "r", "h", "l", "L", "M", "@", "P", "X", "S", "T", "c", "n", "b", "(", "0", "B", "#8", "7", "8",
    "\r", "\n", "\b", "\t", "\x07", "\x0e", "\x0f", "\x18", "\x9b", "a", "xyz", "中", "😀",
    "\u0301", "\x1b\\", "1049", "47", "25", "6", "\x7f", " ",
]  # fmt: skip
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_invariants(t: Terminal) -> None:
    assert len(t.display()) == t.rows
    x, y = t.cursor
    assert 0 <= x < t.cols and 0 <= y < t.rows
    for row in range(t.rows):
        runs = t.row_runs(row)
        assert sum(r.cells for r in runs) <= t.cols
        assert all(r.cells >= 1 for r in runs)
    assert t.history_size <= 50
    for i in range(t.history_size):
        assert sum(r.cells for r in t.history_runs(i)) <= 4096
    assert len(t.history_text()) == t.history_size


def snapshot(t: Terminal) -> tuple[Any, ...]:
    rows = [(t.row_runs(y), t.line(y).wrapped) for y in range(t.rows)]
    hist = [(t.history_runs(i), t.history.get(i)[2]) for i in range(t.history_size)]
    state = (t.cursor, t.cursor_visible, t.in_alternate_screen, t.title, t.style, t.wrap_pending)
    return rows, hist, state


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in pairwise(edges)]


@SETTINGS
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=20))
def test_random_bytes_never_break_it(data: bytes, cuts: list[int]) -> None:
    t = Terminal(20, 6, scrollback=50)
    for part in split(data, cuts):
        t.feed_bytes(part)
    check_invariants(t)


@SETTINGS
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=400),
    st.lists(st.tuples(st.integers(0, 400), st.integers(1, 30), st.integers(1, 12)), max_size=3),
)
def test_random_sequences_and_resizes_never_break_it(
    parts: list[str], resizes: list[tuple[int, int, int]]
) -> None:
    t = Terminal(12, 5, scrollback=50)
    at = {i: (c, r) for i, c, r in resizes}
    for i, part in enumerate(parts):
        if i in at:
            t.resize(*at[i])
        t.feed(part)
        check_invariants(t)


@pytest.mark.parametrize("name", sorted(RECORDINGS))
@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_recordings_cut_anywhere_render_the_same(name: str, cuts: list[int]) -> None:
    data = RECORDINGS[name]
    whole = Terminal(100, 30)
    whole.feed_bytes(data)
    pieces = Terminal(100, 30)
    for part in split(data, cuts):
        pieces.feed_bytes(part)
    assert snapshot(pieces) == snapshot(whole)


@pytest.mark.parametrize("name", sorted(RECORDINGS))
@settings(max_examples=5, deadline=None)
@given(cut=st.integers(0, 10**6))
def test_recordings_stopped_anywhere_are_consistent(name: str, cut: int) -> None:
    data = RECORDINGS[name]
    t = Terminal(40, 12, scrollback=50)
    t.feed_bytes(data[: cut % (len(data) + 1)])
    check_invariants(t)


def count_calls(data: str, chunk: int) -> int:
    """Python function calls made feeding ``data`` in ``chunk``-sized pieces."""
    t = Terminal(40, 10, scrollback=100)
    calls = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    parts = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    sys.setprofile(profile)
    try:
        for part in parts:
            t.feed(part)
    finally:
        sys.setprofile(None)
    return calls


ADVERSARIAL = {
    "unterminated OSC": "\x1b]0;" + "t" * 4000,
    "unterminated DCS": "\x1bP" + "q" * 4000,
    "endless CSI parameters": "\x1b[" + "1;" * 2000,
    "escape storm": "\x1b" * 4000,
    "CSI with controls": "\x1b[1\r\n2\b;3" * 400,
    "wide characters": "中" * 4000,
    "combining marks": "e" + "\u0301" * 4000,
    "scrolling": "line\r\n" * 800,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_work_grows_linearly_with_input(name: str, chunk: int) -> None:
    unit = ADVERSARIAL[name]
    small = count_calls(unit, chunk)
    large = count_calls(unit * 4, chunk)
    assert large <= 4.5 * small + 100, (small, large)
