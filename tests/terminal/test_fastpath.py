"""The scrolling fast path gives exactly what the general path and stock pyte give, however the
output is cut into pieces, and its work is linear in the input."""

from __future__ import annotations

import random
import re

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onsembl_desktop.terminal import Terminal, fastpath

from .test_robustness import FRAGMENTS, snapshot


def log_output(n: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    words = ["build", "test", "cache", "link", "ok", "fail", "module", "request"]
    out = []
    for i in range(n):
        colour = rng.choice(["32", "33", "1;31", "38;5;208", "38;2;10;200;30"])
        msg = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 14)))
        out.append(f"\x1b[2m{i:05d}\x1b[0m \x1b[{colour}mLEVEL\x1b[0m {msg}\r\n")
    return "".join(out)


def feed_whole(data: str, scrollback: int = 10_000) -> Terminal:
    t = Terminal(60, 12, scrollback=scrollback)
    t.feed(data)
    return t


def feed_by_char(data: str, scrollback: int = 10_000) -> Terminal:
    """The reference: the general path alone, a character at a time."""
    t = Terminal(60, 12, scrollback=scrollback)
    t.fast = False
    for ch in data:
        t.feed(ch)
    return t


def feed_in_pieces(data: str, sizes: list[int], scrollback: int = 10_000) -> Terminal:
    t = Terminal(60, 12, scrollback=scrollback)
    pos = 0
    k = 0
    while pos < len(data):
        size = sizes[k % len(sizes)]
        t.feed(data[pos : pos + size])
        pos += size
        k += 1
    return t


@pytest.mark.parametrize(
    "data",
    [
        log_output(300),
        # a style left on across lines (stored raw with a prefix), then reset
        "\x1b[1;35m" + "".join(f"carried {i}\r\n" for i in range(40)) + "\x1b[0mend\r\n",
        # a background left on at a line end fills the next row: general path
        "".join(f"\x1b[44mbg {i}\r\n\x1b[0mplain\r\n" for i in range(30)),
        # a background switched on by a line of its own colours the rows after it
        "\r\n" * 12 + "\x1b[1;44m\r\n" + "\r\n" * 3 + "\x1b[0mok\r\n",
        # lines wider than the screen wrap (cut into rows, coloured across the cuts)
        "".join(f"{i} " + "w" * 70 + "\r\n" for i in range(30)),
        "".join(
            f"\x1b[3{i % 8}m{i} " + "w" * (55 + i) + f"\x1b[0m{'v' * i}\r\n" for i in range(70)
        ),
        "".join("x" * (60 * (i % 3 + 1)) + "\x1b[1m\x1b[0m\r\n" for i in range(30)),
        # a background on at a wrap: the row after the cut is filled with it
        "".join(f"{'y' * 50}\x1b[41m{'z' * 20}\x1b[0m\r\n" for i in range(20)),
        # one-cell symbols (raw too), wide characters and combining marks (general path)
        "".join(
            f"\x1b[32m✓\x1b[0m ─→ é{i} ╭──╮ {'中文' if i % 4 == 0 else ''}e\u0301\r\n"
            for i in range(40)
        ),
        "".join(f"│ {'▌' * (i % 70)} │\r\n" for i in range(40)),
        # trailing blanks, empty lines and long runs of SGR only
        "".join(f"x{' ' * (i % 7)}\r\n\r\n\x1b[31m\x1b[0m\r\n" for i in range(30)),
    ],
)
def test_fast_path_matches_the_general_path(data: str) -> None:
    reference = snapshot(feed_by_char(data))
    assert snapshot(feed_whole(data)) == reference
    for sizes in ([1], [7], [64, 13], [1000, 1, 333]):
        assert snapshot(feed_in_pieces(data, sizes)) == reference, sizes


def test_a_piece_ending_inside_a_line_carries_on_with_the_next() -> None:
    t = Terminal(60, 12)
    t.feed("first\r\n\x1b[32mgre")
    assert (t.display()[1], t.cursor) == ("gre", (3, 1))
    t.feed("en\x1b[0m done\r\nnext")
    assert t.display()[1:3] == ["green done", "next"]
    assert [(r.text, r.fg) for r in t.row_runs(1)] == [("green", 2), (" done", -1)]


def test_a_carried_row_is_given_up_when_anything_else_touched_it() -> None:
    reference = snapshot(feed_by_char("abc\x1b[31mdef\x1b[2Dxy\r\nz\r\n"))
    t = Terminal(60, 12)
    for piece in ("abc", "\x1b[31m", "def", "\x1b[2D", "xy\r\n", "z\r\n"):
        t.feed(piece)
    assert snapshot(t) == reference


@pytest.mark.parametrize(
    "edits",
    [
        "\x1b[3;5HX\x1b[K\x1b[5;1H\x1b[2@Y\x1b[7;3H\x1b[P",
        "\x1b[2;1H\x1b[2L\x1b[9;1H\x1b[M\x1b[H\x1b[2J",
        "\x1b[4;10H\x1b[1K\x1b[6;1H\x1b[3S\x1b[H\x1bM\x1b[?1049hx\x1b[?1049l",
    ],
)
def test_rows_left_raw_by_the_fast_path_edit_like_any_other(edits: str) -> None:
    data = log_output(80) + edits
    whole, by_char = feed_whole(data), feed_by_char(data)
    assert snapshot(whole) == snapshot(by_char)
    whole.resize(37, 9)
    by_char.resize(37, 9)
    assert snapshot(whole) == snapshot(by_char)


def test_fast_path_without_scrollback() -> None:
    data = log_output(100)
    whole = feed_whole(data, scrollback=0)
    assert whole.history_size == 0
    assert snapshot(whole) == snapshot(feed_by_char(data, scrollback=0))


def test_scrolling_log_matches_stock_pyte_history_screen() -> None:
    data = log_output(500)
    t = Terminal(60, 12, scrollback=200)
    for i in range(0, len(data), 4096):
        t.feed(data[i : i + 4096])
    screen = pyte.HistoryScreen(60, 12, history=200)
    pyte.Stream(screen).feed(data)
    theirs = ["".join(line[x].data for x in range(60)).rstrip() for line in screen.history.top]
    assert t.display() == [line.rstrip() for line in screen.display]
    assert t.history_text() == theirs


LINE = st.builds(
    lambda parts: "".join(parts) + "\r\n",
    st.lists(
        st.sampled_from(
            ["abc ", "x" * 30, "\x1b[31m", "\x1b[0m", "\x1b[1;44m", "", " ", "✓─", "中"]
        )
    ),
)
NOISE = st.sampled_from(FRAGMENTS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(LINE, LINE, LINE, NOISE), max_size=120),
    st.lists(st.integers(1, 200), min_size=1, max_size=5),
)
def test_fast_path_equals_the_general_path_on_random_mixes(
    parts: list[str], sizes: list[int]
) -> None:
    data = "".join(parts)
    reference = snapshot(feed_by_char(data, 50))
    assert snapshot(feed_whole(data, 50)) == reference
    assert snapshot(feed_in_pieces(data, sizes, 50)) == reference


class CountingPattern:
    """A compiled pattern that adds up how far its matches reach from where they start."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0

    def match(self, data: str, pos: int = 0) -> re.Match[str] | None:
        m = self.pattern.match(data, pos)
        self.scanned += (m.end() if m else pos) - pos + 1
        return m


@pytest.mark.parametrize("cols", [120, 60])
def test_the_fast_path_matches_each_character_a_bounded_number_of_times(
    cols: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lines of 40 to 100 cells with one in five too wide or leaving a background on: every
    # fall-back used to re-match all the remaining input (quadratic when fed at once).
    rng = random.Random(5)
    lines = []
    for i in range(3000):
        kind = rng.random()
        text = "w" * rng.randrange(40, 100)
        if kind < 0.1:
            lines.append(f"\x1b[44m{text}\r\n\x1b[0m")
        elif kind < 0.2:
            lines.append(f"{text}{'x' * cols}\r\n")
        else:
            lines.append(f"\x1b[32m{i}\x1b[0m {text}\r\n")
    data = "".join(lines)
    counters = {}
    for name in ("SIMPLE_BLOCK", "SIMPLE_PART"):
        counters[name] = CountingPattern(getattr(fastpath, name))
        monkeypatch.setattr(fastpath, name, counters[name])
    t = Terminal(cols, 30, scrollback=1000)
    t.feed(data)
    scanned = sum(c.scanned for c in counters.values())
    assert scanned <= 2 * len(data), scanned
    reference = Terminal(cols, 30, scrollback=1000)
    reference.fast = False
    reference.feed(data)
    assert snapshot(t) == snapshot(reference)
