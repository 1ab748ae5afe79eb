"""The scrolling fast path gives exactly what the general path and stock pyte give."""

from __future__ import annotations

import random

import pyte
import pytest

from onsembl_desktop.terminal import Terminal

from .test_robustness import snapshot


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
        # lines wider than the screen wrap: general path
        "".join(f"{i} " + "w" * 70 + "\r\n" for i in range(30)),
        # trailing blanks, empty lines and long runs of SGR only
        "".join(f"x{' ' * (i % 7)}\r\n\r\n\x1b[31m\x1b[0m\r\n" for i in range(30)),
    ],
)
def test_fast_path_matches_the_general_path(data: str) -> None:
    assert snapshot(feed_whole(data)) == snapshot(feed_by_char(data))


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
