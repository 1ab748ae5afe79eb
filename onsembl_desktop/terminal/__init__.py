"""Sans-I/O VT terminal engine (no Qt, no asyncio, no I/O).

Feed it a program's output; read back what tmux would show for the same bytes.

Why not stock pyte: pyte dispatches every character through a generator and
stores a named tuple per cell, which caps it near 1 MB/s (0.3 MB/s with
history); it crashes on some real output (vim's ``CSI > 4;2 m``) and has no
alternate screen. Patching it would keep the per-character design, so this is
an own parser and screen: one regular expression cuts whole chunks into text
runs and complete sequences, with a resumable DEC-style state machine for the
rest (``parser``); rows are flat lists or packed strings (``line``); scrollback
lines are single ``bytes`` objects (``history``); plain scrolling output skips
the per-line work altogether (``fastpath``). Pure Python: the benchmarks meet
their targets without a compiled extension.

Reading the screen:

* ``row_runs(y)`` / ``history_runs(i)`` cover a row from column 0 to its last
  non-blank cell; trailing blank cells in the default style are omitted.
* ``dirty`` holds visible rows (after any scroll) changed since
  ``clear_dirty()``; ``scrolled`` counts whole-screen scroll-ups of the main
  screen since then (each row pushed into scrollback, or dropped when the
  scrollback is 0). A view may shift its bitmap up by ``scrolled`` rows and
  repaint ``dirty``. Scrollback also grows by other means (clear screen, scroll
  regions, resize), so track ``history_size`` for the scrollback itself.
* ``reset()`` is a fresh terminal: scrollback, title and modes cleared.

Where tmux and xterm disagree this follows tmux (the golden tests' reference):
pending wrap survives LF and BS ends it in place; ED 2, and ED 0 from home,
push the used rows into scrollback; any scroll region on the main screen keeps
its top rows in scrollback; LNM, CHT, HPR, VPR and DECSTR are ignored; REP
repeats only an ASCII character and never past the line end; DECCOLM clears
without changing the width; width changes re-flow wrapped lines. Unlike tmux,
invalid UTF-8 shows as U+FFFD (tmux drops it).
"""

from .model import PALETTE_256, Attr, Color, Run, is_rgb, rgb, rgb_of
from .terminal import Terminal

__all__ = ["PALETTE_256", "Attr", "Color", "Run", "Terminal", "is_rgb", "rgb", "rgb_of"]
