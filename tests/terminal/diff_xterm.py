"""Differential check against a real xterm: random control-sequence soups, screen by screen.

A dev tool (needs xterm and Xvfb), not part of the test run::

    python tests/terminal/diff_xterm.py [CASES] [SEED] [--show]

Prints every case whose screen text or cursor differs from xterm's. The soups mix what
``diff_tmux`` sends with what xterm does differently from tmux (pending wrap, charsets and
shifts, REP, HPR/VPR/CHT/CBT, LNM, selective erase, DECSTR, RIS, origin mode).
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import xtermref
from diff_tmux import fragment

from onsembl_desktop.terminal import Terminal

COLS, ROWS = 12, 6


def xterm_fragment(rng: random.Random) -> str:
    n = rng.randrange(0, 14)
    m = rng.randrange(0, 14)
    choices = [
        lambda: fragment(rng),
        lambda: fragment(rng),
        lambda: f"\x1b[{n}{rng.choice('aeIZ')}",
        lambda: rng.choice(["é", "中", "x", "─"]) + f"\x1b[{n}b",
        lambda: rng.choice(["\x1bc", "\x1b[!p", "\x1b[20h", "\x1b[20l", "\n", "\x0b", "\x0c"]),
        lambda: rng.choice(["\x1b*0", "\x1b+0", "\x1b*B", "\x1b(A", "\x1b(B", "\x1b)B"]),
        lambda: rng.choice(["\x1bNq", "\x1bOq", "\x1bn", "\x1bo", "\x0e", "\x0f", "\x1b(0_`a"]),
        lambda: rng.choice(['\x1b[1"q', '\x1b[0"q', '\x1b[2"q', "\x1bV", "\x1bW"]),
        lambda: f"\x1b[?{rng.randrange(4)}{rng.choice('JK')}",
        lambda: rng.choice(["abcdefghijkl", "0123456789ab", "\x1b[?6h", "\x1b[?6l"]),
        lambda: f"\x1b[?{rng.choice([5, 1048, 45])}{rng.choice('hl')}",
        lambda: f"\x1b[{n};{m}r\x1b[?6h",
    ]
    return rng.choice(choices)()


def case(rng: random.Random) -> str:
    return "".join(xterm_fragment(rng) for _ in range(rng.randrange(3, 25)))


def xterm_quirk(data: str) -> bool:
    """Soups that meet xterm behaviour we deliberately do not copy (checked by hand):

    * after SS2 / SS3 or a G2 / G3 designation, xterm 379 may print its last non-ASCII
      character again, or map it through an 8-bit table ('é' REP shows 'C)))');
    * in insert mode a wide character pushed to the last column keeps its first half there;
    * a row holding a DEC graphics blank ('_') loses the character that wraps after it;
    * characters written with ISO protection (SPA) on a row that scrolled in are not protected.
    """
    if "(0_" in data or "\x1bV" in data:
        return True
    g23 = "\x1b*" in data or "\x1b+" in data
    if g23 and "b" in data.replace("\x1b(B", "").replace("\x1b*B", "").replace("\x1b)B", ""):
        return True  # (a REP, or text that REP may repeat)
    if data.isascii():
        return False
    if g23 or "\x1bN" in data or "\x1bO" in data:
        return True
    return "\x1b[4h" in data


def normal(lines: list[str]) -> list[str]:
    """Rows as text: xterm prints a wide character's second cell as U+FFFF (blank when its first
    half was erased), and composes combining marks."""
    out = []
    for line in lines:
        line = re.sub("(?<=[\u1100-\U0010ffff])\uffff", "", line).replace("\uffff", " ")
        out.append(unicodedata.normalize("NFC", line).rstrip(" "))
    return out


def ours(data: str, cols: int = COLS, rows: int = ROWS) -> Terminal:
    t = Terminal(cols, rows, scrollback=100)
    t.feed(data)
    return t


def compare(data: str) -> str | None:
    ref = xtermref.replay(data.encode(), COLS, ROWS)
    t = ours(data)
    problems = []
    if normal(t.display()) != normal(ref.screen):
        problems.append(f"screen\n      ours  {t.display()}\n      xterm {ref.screen}")
    if t.cursor != ref.cursor:
        problems.append(f"cursor ours {t.cursor} xterm {ref.cursor}")
    if t.in_alternate_screen != ref.alternate:
        problems.append(f"alternate ours {t.in_alternate_screen} xterm {ref.alternate}")
    if t.cursor_visible != ref.cursor_visible:
        problems.append(f"cursor visible ours {t.cursor_visible} xterm {ref.cursor_visible}")
    return "; ".join(problems) or None


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 100
    rng = random.Random(int(args[1]) if len(args) > 1 else 1)
    cases = [c for c in (case(rng) for _ in range(count)) if not xterm_quirk(c)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(compare, cases))
    bad = [(c, r) for c, r in zip(cases, results, strict=True) if r]
    for data, problem in bad:
        print(repr(data))
        print("   ", problem)
    print(
        f"{len(bad)} of {len(cases)} differ ({count - len(cases)} with known xterm quirks skipped)"
    )


if __name__ == "__main__":
    main()
