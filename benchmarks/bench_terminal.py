"""Terminal engine benchmarks, each beside stock pyte on the same bytes in this process.

    python benchmarks/bench_terminal.py [--quick]

1. Scrolling coloured log output (SGR, text, CR LF), 10,000 lines of scrollback:
   MB/s of ours vs ``pyte.HistoryScreen``; visible screen and scrollback text must
   be identical.
2. Piece sizes: an 8 MB coloured log (lines of every width, some wrapping, tabs, a few
   non-ASCII characters and background colours) fed in pieces from 1 KB to all at once; each
   MB/s beside our 16 KB figure and stock pyte's, all measured in this run, and every result
   identical to the 16 KB one. Then ``render`` (the whole file at once, 80 x 24, as
   ``python -m onsembl_desktop.terminal render`` does).
3. Cursor-addressed full-screen redraws (htop/top-like frames) vs ``pyte.Screen``.
4. Scrollback memory: 100 terminals x 10,000 lines x 100 columns of coloured text,
   bytes per cell measured with tracemalloc.

Throughput is measured in process CPU time (``time.process_time``): the figure is the
engine's cost, the same on a machine busy with other work.
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
from pathlib import Path

import pyte

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from onsembl_desktop.terminal import Terminal

CHUNK = 16_384  # the agent wrapper coalesces output into chunks of tens of KB
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "build",
    "test",
    "passed",
    "failed",
    "cache",
    "compile",
    "link",
    "module",
    "request",
]
LEVELS = [("INFO", "32"), ("DEBUG", "34"), ("WARN", "33"), ("ERROR", "1;31")]


def log_lines(n: int, width: int, seed: int = 1) -> str:
    """``n`` log lines of exactly ``width`` visible characters, five colour runs each."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        level, colour = rng.choice(LEVELS)
        stamp = f"12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}"
        module = rng.choice(WORDS) + "." + rng.choice(WORDS)
        head = f"{stamp} {level:<5} {module:<20} "
        words = []
        room = width - len(head)
        while room > 0:
            word = rng.choice(WORDS)[:room]
            words.append(word)
            room -= len(word) + 1
        msg = " ".join(words)[: width - len(head)].ljust(width - len(head))
        out.append(
            f"\x1b[2m{stamp}\x1b[0m \x1b[{colour}m{level:<5}\x1b[0m "
            f"\x1b[36m{module:<20}\x1b[0m {msg[:20]}\x1b[1m{msg[20:30]}\x1b[0m{msg[30:]}\r\n"
        )
    return "".join(out)


def redraw_frames(frames: int, cols: int, rows: int, seed: int = 2) -> str:
    """htop-like frames: every row rewritten with cursor addressing and colours."""
    rng = random.Random(seed)
    out = []
    for _ in range(frames):
        for y in range(1, rows + 1):
            pid = rng.randrange(1, 99999)
            cpu = rng.random() * 100
            row = f"{pid:>7} root 20 0 {rng.randrange(10**6):>8} S {cpu:5.1f}"
            cmd = " ".join(rng.choice(WORDS) for _ in range(6))
            out.append(
                f"\x1b[{y};1H\x1b[32m{row}\x1b[0m \x1b[1;36m{cmd[:30]}\x1b[0m"
                f"\x1b[{y};{cols - 10}H\x1b[7m{cpu:6.2f}%\x1b[0m\x1b[K"
            )
    return "".join(out)


def mixed_log(megabytes: float, seed: int = 4) -> str:
    """A build/test log as tools print it: coloured levels and timestamps, lines of every width
    (some wider than 120 columns), stack-trace lines with tabs, a few arrows and check marks,
    highlighted lines with a background colour; CR LF line ends."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    i = 0
    while size < megabytes * 1e6:
        level, colour = rng.choice(LEVELS)
        stamp = f"12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}"
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 30)))
        kind = rng.random()
        if kind < 0.05:
            line = f"\tat com.example.{rng.choice(WORDS)}.Handler.run(Handler.java:{i % 500})"
        elif kind < 0.08:
            line = f"\x1b[32m✓\x1b[0m {words} → \x1b[1mdone\x1b[0m"
        elif kind < 0.10:
            line = f"\x1b[41;97m FAIL \x1b[0m \x1b[31m{words}\x1b[0m"
        else:
            line = f"\x1b[2m{stamp}\x1b[0m \x1b[{colour}m{level:<5}\x1b[0m {words}"
        line += "\r\n"
        out.append(line)
        size += len(line.encode())
        i += 1
    return "".join(out)


def cpu_feed(data: str, size: int, cols: int = 120, rows: int = 40) -> tuple[float, Terminal]:
    t = Terminal(cols, rows, scrollback=10_000)
    parts = chunks(data, size) if size else [data]
    start = time.process_time()
    for part in parts:
        t.feed(part)
    return time.process_time() - start, t


def bench_pieces(megabytes: float) -> None:
    from onsembl_desktop.terminal.__main__ import render

    data = mixed_log(megabytes)
    mb = len(data.encode()) / 1e6
    base_time, base = cpu_feed(data, 16_384)
    expected = (base.display(), base.history_text(), base.cursor)
    sample = data[:1_000_000]
    screen = pyte.HistoryScreen(120, 40, history=10_000)
    stream = pyte.Stream(screen)
    start = time.process_time()
    stream.feed(sample)
    pyte_rate = len(sample.encode()) / 1e6 / (time.process_time() - start)
    print(
        f"piece sizes ({mb:.1f} MB mixed coloured log, 120x40, 10k scrollback; ours at 16 KB "
        f"{mb / base_time:.1f} MB/s, pyte.HistoryScreen {pyte_rate:.2f} MB/s on its first MB):"
    )
    for size in (1024, 4096, 65_536, 1 << 20, 0):
        took, t = cpu_feed(data, size)
        assert (t.display(), t.history_text(), t.cursor) == expected, f"differs at {size}"
        name = f"{size // 1024} KB" if size else "all at once"
        print(
            f"   {name:>11}: ours {mb / took:6.1f} MB/s   (16 KB: {mb / base_time:.1f} MB/s, "
            f"pyte: {pyte_rate:.2f} MB/s)"
        )
    wide_time, _ = cpu_feed(data, 0, cols=80, rows=24)
    print(f"   80 columns (a fifth of the lines wrap), all at once: ours {mb / wide_time:.1f} MB/s")
    raw = data.encode()
    start = time.process_time()
    render(raw, 80, 24, ansi=False, scrollback=True)
    took = time.process_time() - start
    rate = mb / took
    print(f"   render --scrollback (80x24, whole file at once): {took:.2f} s CPU ({rate:.1f} MB/s)")


def chunks(data: str, size: int = CHUNK) -> list[str]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def run_ours(parts: list[str], cols: int, rows: int, scrollback: int) -> tuple[float, Terminal]:
    t = Terminal(cols, rows, scrollback=scrollback)
    start = time.perf_counter()
    for part in parts:
        t.feed(part)
    return time.perf_counter() - start, t


def run_pyte(parts: list[str], screen: pyte.Screen) -> float:
    stream = pyte.Stream(screen)
    start = time.perf_counter()
    for part in parts:
        stream.feed(part)
    return time.perf_counter() - start


def pyte_text(line: dict[int, pyte.screens.Char], cols: int) -> str:
    return "".join(line[x].data for x in range(cols)).rstrip()


def bench_log(n_lines: int) -> None:
    cols, rows = 120, 40
    data = log_lines(n_lines, 110)
    parts = chunks(data)
    mb = len(data.encode()) / 1e6
    ours, t = run_ours(parts, cols, rows, 10_000)
    screen = pyte.HistoryScreen(cols, rows, history=10_000)
    theirs = run_pyte(parts, screen)
    ours_hist = t.history_text()
    pyte_hist = [pyte_text(line, cols) for line in screen.history.top]
    assert t.display() == [line.rstrip() for line in screen.display], "visible screens differ"
    assert ours_hist == pyte_hist, "scrollback differs"
    small, t_small = run_ours(chunks(data, 1024), cols, rows, 10_000)
    assert t_small.history_text() == ours_hist and t_small.display() == t.display()
    print(
        f"log scroll ({mb:.1f} MB, {n_lines} lines, 10k scrollback): "
        f"ours {mb / ours:6.1f} MB/s   pyte.HistoryScreen {mb / theirs:5.2f} MB/s   "
        f"speed-up {theirs / ours:5.1f}x   (identical screen + {len(ours_hist)} history lines; "
        f"ours in 1 KB chunks {mb / small:.1f} MB/s)"
    )


def bench_redraw(frames: int) -> None:
    cols, rows = 120, 40
    data = redraw_frames(frames, cols, rows)
    parts = chunks(data)
    mb = len(data.encode()) / 1e6
    ours, t = run_ours(parts, cols, rows, 0)
    screen = pyte.Screen(cols, rows)
    theirs = run_pyte(parts, screen)
    assert t.display() == [line.rstrip() for line in screen.display], "screens differ"
    print(
        f"full-screen redraw ({frames} frames {cols}x{rows}, {mb:.1f} MB): "
        f"ours {frames / ours:7.0f} frames/s   pyte.Screen {frames / theirs:5.0f} frames/s   "
        f"speed-up {theirs / ours:5.1f}x"
    )


def bench_memory(terminals: int, lines: int) -> None:
    cols = 100
    data = log_lines(lines + 50, cols)
    parts = chunks(data)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keep = []
    for _ in range(terminals):
        t = Terminal(cols, 50, scrollback=lines)
        for part in parts:
            t.feed(part)
        assert t.history_size == lines
        keep.append(t)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    cells = terminals * lines * cols
    per_cell = used / cells
    # The same lines as stock pyte keeps them, for scale (one terminal, extrapolated).
    screen = pyte.HistoryScreen(cols, 50, history=min(lines, 2000))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    run_pyte(chunks(log_lines(min(lines, 2000) + 50, cols)), screen)
    pyte_per_cell = (tracemalloc.get_traced_memory()[0] - base) / (min(lines, 2000) * cols)
    tracemalloc.stop()
    print(
        f"scrollback memory ({terminals} terminals x {lines} lines x {cols} cols): "
        f"ours {per_cell:.2f} bytes/cell ({used / 1e6:.0f} MB)   "
        f"pyte.HistoryScreen {pyte_per_cell:.0f} bytes/cell"
    )
    del keep


def main() -> None:
    quick = "--quick" in sys.argv
    bench_log(3_000 if quick else 20_000)
    bench_pieces(1 if quick else 8)
    bench_redraw(20 if quick else 100)
    bench_memory(5 if quick else 100, 2_000 if quick else 10_000)


if __name__ == "__main__":
    main()
