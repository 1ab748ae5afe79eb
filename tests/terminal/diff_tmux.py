"""Differential check against tmux: random soups, screen by screen.

A dev tool (needs tmux), not part of the test run::

    python tests/terminal/diff_tmux.py [CASES] [SEED] [resize [noalt]] [history] [record]

Prints every case whose screen text or cursor differs from tmux's. Resizing follows tmux
(``resize`` soups: text, colours, wide characters and the alternate screen between resizes);
control sequences follow xterm where the two differ (see ``diff_xterm.py``), so plain soups
are expected to differ here. ``record`` writes the resize cases and tmux's results to
``golden/resize_cases.json`` for ``test_resize.py``.
"""

from __future__ import annotations

import json
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tmuxref
from test_golden import shown_screen

from onsembl_desktop.terminal import Terminal

COLS, ROWS = 12, 6


def fragment(rng: random.Random) -> str:
    n = rng.randrange(0, 14)
    m = rng.randrange(0, 14)
    choices = [
        lambda: rng.choice(["abc", "hello world", "x", "0123456789", "中文", "é", "e\u0301"]),
        lambda: rng.choice(["\r\n", "\n", "\r", "\b", "\t", "\x1bD", "\x1bE", "\x1bM"]),
        lambda: f"\x1b[{n};{m}H",
        lambda: f"\x1b[{n}{rng.choice('ABCDEFGdZ`')}",
        lambda: f"\x1b[{rng.randrange(4)}{rng.choice('JK')}",
        lambda: f"\x1b[{n}{rng.choice('XLMP@ST')}",
        lambda: f"\x1b[{n};{m}r",
        lambda: f"\x1b[?{rng.choice([6, 7, 25, 47, 1047, 1049])}{rng.choice('hl')}",
        lambda: f"\x1b[4{rng.choice('hl')}",
        lambda: f"\x1b[{rng.choice(['1', '7', '41', '0', '38;5;9', '44'])}m",
        lambda: rng.choice(["\x1b7", "\x1b8", "\x1bH", "\x1b[g", "\x1b[3g", "\x1b#8", "\x1b[3b"]),
        lambda: rng.choice(["\x1b(0lqk\x1b(B", "\x0e", "\x0f", "\x1b)0", "\x1b[s", "\x1b[u"]),
    ]
    return rng.choice(choices)()


def case(rng: random.Random) -> str:
    return "".join(fragment(rng) for _ in range(rng.randrange(3, 25)))


def text_soup(rng: random.Random) -> str:
    words = ["word", "longer-word", "x", "\r\n", "\r\n", "中文", "\x1b[31m", "\x1b[0m", "  "]
    return "".join(rng.choice(words) for _ in range(rng.randrange(0, 40)))


def resize_case(rng: random.Random) -> list[str | tuple[int, int]]:
    steps: list[str | tuple[int, int]] = [text_soup(rng)]
    for _ in range(rng.randrange(1, 3)):
        steps += [(rng.randrange(3, 20), rng.randrange(2, 9)), text_soup(rng)]
    if "noalt" not in sys.argv and rng.random() < 0.3:
        steps.insert(1, "\x1b[?1049halt")
        steps.append("\x1b[?1049l")
    return steps


def compare(case: str | list[str | tuple[int, int]]) -> str | None:
    steps = [case] if isinstance(case, str) else case
    ref = tmuxref.replay_steps(
        [s.encode() if isinstance(s, str) else s for s in steps], COLS, ROWS, history=100
    )
    t = Terminal(COLS, ROWS, scrollback=100)
    for step in steps:
        if isinstance(step, str):
            t.feed(step)
        else:
            t.resize(*step)
    expected = shown_screen(ref.ansi)
    cursor = (min(ref.cursor[0], t.cols - 1), ref.cursor[1])
    problems = []
    if t.display() != expected:
        problems.append(f"screen ours {t.display()} tmux {expected}")
    if t.cursor != cursor:
        problems.append(f"cursor ours {t.cursor} tmux {cursor}")
    if "history" in sys.argv and t.history_text() != [h.rstrip() for h in ref.history]:
        problems.append(f"history ours {t.history_text()} tmux {ref.history}")
    return "; ".join(problems) or None


def record(cases: list[list[str | tuple[int, int]]]) -> None:
    """Keep the cases with tmux's screen, cursor and scrollback, as test data."""
    out = []
    for steps in cases:
        ref = tmuxref.replay_steps(
            [s.encode() if isinstance(s, str) else s for s in steps], COLS, ROWS, history=100
        )
        cursor = ref.cursor
        out.append(
            {
                "steps": [s if isinstance(s, str) else list(s) for s in steps],
                "screen": shown_screen(ref.ansi),
                "cursor": list(cursor),
                "history": [h.rstrip() for h in ref.history],
            }
        )
    path = Path(__file__).parent / "golden" / "resize_cases.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n")
    print(f"{len(out)} cases written to {path}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    make = resize_case if "resize" in sys.argv else case
    cases: list[str | list[str | tuple[int, int]]] = [make(rng) for _ in range(count)]
    if "record" in sys.argv:
        record(cases)  # type: ignore[arg-type]
        return
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(compare, cases))
    bad = [(c, r) for c, r in zip(cases, results, strict=True) if r]
    for data, problem in bad:
        print(repr(data))
        print("   ", problem)
    print(f"{len(bad)} of {count} differ")


if __name__ == "__main__":
    main()
