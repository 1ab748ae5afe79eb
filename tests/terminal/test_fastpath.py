"""The scrolling fast path gives exactly what the general path and stock pyte give."""

from __future__ import annotations

import random

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onsembl_desktop.terminal import Terminal

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
    t = Terminal(60, 12, scrollback=scrollback)
    for ch in data:  # a single character never holds a whole line: general path only
        t.feed(ch)
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
        # lines wider than the screen wrap: general path
        "".join(f"{i} " + "w" * 70 + "\r\n" for i in range(30)),
        # trailing blanks, empty lines and long runs of SGR only
        "".join(f"x{' ' * (i % 7)}\r\n\r\n\x1b[31m\x1b[0m\r\n" for i in range(30)),
    ],
)
def test_fast_path_matches_the_general_path(data: str) -> None:
    assert snapshot(feed_whole(data)) == snapshot(feed_by_char(data))


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
    st.lists(st.sampled_from(["abc ", "x" * 30, "\x1b[31m", "\x1b[0m", "\x1b[1;44m", "", " "])),
)
NOISE = st.sampled_from(FRAGMENTS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(LINE, LINE, LINE, NOISE), max_size=120))
def test_fast_path_equals_the_general_path_on_random_mixes(parts: list[str]) -> None:
    data = "".join(parts)
    assert snapshot(feed_whole(data, 50)) == snapshot(feed_by_char(data, 50))
