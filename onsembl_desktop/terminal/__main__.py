"""``python -m onsembl_desktop.terminal render --cols C --rows R [--ansi] [--scrollback] FILE``

Prints the screen a byte file produces (for golden tests and bug reports):
one line per row, trailing blanks stripped, like ``tmux capture-pane -p``;
``--ansi`` adds SGR sequences for colours and attributes (like ``-e``);
``--scrollback`` prints the scrollback lines above the screen.

``--png OUT.png`` paints the screen instead, with the app's own terminal painter, offscreen
(``--theme``, ``--font``, ``--font-size``, ``--scale`` for a HiDPI image of the same grid): the
only part of this package that needs Qt, imported only then (an import-linter exemption says so).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .model import Run
from .style import pack, style_to_sgr
from .terminal import Terminal


def ansi_line(runs: list[Run]) -> str:
    out = []
    for run in runs:
        params = style_to_sgr(pack(run.fg, run.bg, int(run.attrs)))
        out.append(f"\x1b[{params}m{run.text}")
    text = "".join(out)
    return text + "\x1b[0m" if runs else text


def render(data: bytes, cols: int, rows: int, ansi: bool, scrollback: bool) -> list[str]:
    t = Terminal(cols, rows, scrollback=100_000 if scrollback else 0)
    t.feed_bytes(data)
    t.feed_bytes(b"")
    lines: list[str] = []
    if scrollback:
        if ansi:
            lines += [ansi_line(t.history_runs(i)) for i in range(t.history_size)]
        else:
            lines += t.history_text()
    if ansi:
        lines += [ansi_line(t.row_runs(y)) for y in range(t.rows)]
    else:
        lines += t.display()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onsembl_desktop.terminal")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("render", help="print the screen a byte file produces")
    cmd.add_argument("--cols", type=int, default=80)
    cmd.add_argument("--rows", type=int, default=24)
    cmd.add_argument("--ansi", action="store_true", help="keep colours as SGR sequences")
    cmd.add_argument("--scrollback", action="store_true", help="print scrollback first")
    cmd.add_argument("--png", type=Path, metavar="OUT", help="paint the screen into a PNG")
    cmd.add_argument("--theme", choices=("dark", "light"), default="dark", help="with --png")
    cmd.add_argument("--font", help="font family, with --png (default: the system's monospace)")
    cmd.add_argument("--font-size", type=int, default=11, help="points, with --png")
    cmd.add_argument("--scale", type=float, default=1.0, help="device pixel ratio, with --png")
    cmd.add_argument("file", type=Path, help="bytes as the program wrote them ('-' = stdin)")
    args = parser.parse_args(argv)
    data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    if args.png is not None:
        return _png(data, args)
    out = render(data, args.cols, args.rows, args.ansi, args.scrollback)
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


def _png(data: bytes, args: argparse.Namespace) -> int:
    # The app's painter is Qt (ui/); this command is the one place the engine reaches for it.
    from ..ui.terminal_views.png import save_png

    t = Terminal(args.cols, args.rows, scrollback=100_000 if args.scrollback else 0)
    t.feed_bytes(data)
    t.feed_bytes(b"")
    save_png(
        t,
        args.png,
        theme=args.theme,
        family=args.font,
        point_size=args.font_size,
        scale=args.scale,
        scrollback=args.scrollback,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
