"""Sans-I/O VT terminal engine (no Qt, no asyncio, no I/O).

Feed it a program's output; read back what xterm would show for the same bytes.

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

Behaviour is xterm's (agents run programs with ``TERM=xterm-256color``), checked against a
real xterm 379 (``tests/terminal/xtermref.py``, ``diff_xterm.py``) and against independent
suites: libvterm's test scripts, Alacritty's reference tests and vttest's screens
(``tests/data/vt-suites``). Deliberate departures: ``ED 2`` (and ``ED 0`` from home) first push
the used rows into scrollback, and a scroll region scrolling up on the main screen keeps its top
rows there (as tmux, VTE and kitty do; the screen itself is xterm's); resizing re-flows the main
screen's wrapped lines as tmux does (xterm cuts them), the alternate screen being cut or padded;
DECCOLM (when mode 40 allows it) clears and homes but leaves the width to the view.

Modes that change what keys and the mouse send are recorded for the view to read:
``app_cursor_keys``, ``app_keypad``, ``mouse_mode`` (9, 1000, 1002, 1003), ``mouse_encoding``
(1005, 1006, 1015), ``focus_events``, ``bracketed_paste``, ``newline_mode``,
``alternate_scroll``; and for painting: ``reverse_video`` (DECSCNM), ``cursor_shape``
(DECSCUSR), ``cursor_blink``, ``synchronized`` (mode 2026), ``bells``. A view sets ``colors``
to answer the colour queries programs use to pick a dark or light scheme.
"""

from .model import PALETTE_256, Attr, Color, Run, is_rgb, rgb, rgb_of
from .terminal import Terminal

__all__ = ["PALETTE_256", "Attr", "Color", "Run", "Terminal", "is_rgb", "rgb", "rgb_of"]
