"""Runs libvterm's test scripts (``tests/data/vt-suites/libvterm``) against our engine.

libvterm's scripts drive its C harness: ``PUSH`` bytes, ``RESET``, ``RESIZE rows,cols``, then
assertions. This reads the same scripts (our own reader; none of libvterm's code) and checks
what can be seen on a screen:

* ``?cursor = row,col``, ``?screen_row N = "text"``, ``?screen_chars r0,c0,r1,c1 = "text"``,
  ``?screen_text ... = 0x..`` (UTF-8 bytes), ``?lineinfo N = cont`` (the row continues the one
  above), ``?pen ATTR = VALUE`` and the character and width of ``?screen_cell``;
* the callbacks libvterm reports while a ``PUSH`` runs, as far as their end result shows:
  ``putglyph CHARS WIDTH row,col`` (that cell holds the glyph, unless later output of the same
  step wrote over it), ``movecursor row,col`` (the last one is where the cursor ends), and
  ``output "..."`` (what the terminal answers);
* input: ``INKEY`` / ``INCHAR`` (keys), ``MOUSEMOVE`` / ``MOUSEBTN``, ``PASTE`` and ``FOCUS``
  through ``onsembl_desktop.terminal.input``, their ``output`` compared the same way.

Everything else (damage, scroll rectangles, mouse, selection, terminal properties) is about
libvterm's own API and is skipped. Each check comes back as a :class:`Check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from onsembl_desktop.terminal import Attr, Terminal
from onsembl_desktop.terminal import input as keys

SUITE = Path(__file__).resolve().parents[1] / "data" / "vt-suites" / "libvterm"
_ESCAPES = {
    "e": b"\x1b", "n": b"\n", "r": b"\r", "t": b"\t", "b": b"\x08", "a": b"\x07", "0": b"\x00",
}  # fmt: skip
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Check:
    file: str
    line: int
    test: str
    what: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual

    @property
    def key(self) -> str:
        return f"{self.file}:{self.line}"


def perl_string(body: str) -> bytes:
    """A Perl double-quoted string's bytes (the escapes libvterm's scripts use)."""
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "x":
            m = re.match(r"\{([0-9A-Fa-f]+)\}|[0-9A-Fa-f]{1,2}", body[i + 2 :])
            assert m is not None, body
            out += chr(int(m.group(1) or m.group(0), 16)).encode("latin-1")
            i += 2 + m.end()
        else:
            out += _ESCAPES.get(nxt, nxt.encode())
            i += 2
    return bytes(out)


def perl_expr(expr: str) -> bytes:
    """``"a" x 3 . "b"``: strings, repetition and concatenation."""
    result = b""
    for term in re.split(r'\s*\.\s*(?=")', expr.strip()):
        m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"\s*(?:x\s*(\d+))?', term.strip())
        assert m is not None, expr
        result += perl_string(m.group(1)) * int(m.group(2) or 1)
    return result


def _expand(lines: list[str]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        m = re.match(r"\$SEQ\s+(\d+)\s+(\d+):\s*(.*)", line)
        if m:
            for value in range(int(m.group(1)), int(m.group(2)) + 1):
                yield number, m.group(3).replace("\\#", str(value))
            continue
        m = re.match(r"\$REP\s+(\d+):\s*(.*)", line)
        if m:
            for _ in range(int(m.group(1))):
                yield number, m.group(2)
            continue
        yield number, line


@dataclass
class _Step:
    """What one command's callback expectations say about its end result."""

    glyphs: list[tuple[int, str, int, int, int]] = field(default_factory=list)
    moves: list[tuple[int, int, int]] = field(default_factory=list)
    output: list[tuple[int, bytes]] = field(default_factory=list)
    typed: bool = False  # an input command: it must send nothing unless an output is expected


class Runner:
    def __init__(self, name: str) -> None:
        self.name = name
        self.t = Terminal(80, 25, scrollback=0)
        self.replies: list[str] = []
        self.t.on_reply = self.replies.append
        self.test = ""
        self.checks: list[Check] = []
        self.step: _Step | None = None
        self.mouse = keys.Mouse()
        self.mouse_at = (0, 0)
        self.last_line = 0

    def check(self, line: int, what: str, expected: str, actual: str) -> None:
        self.checks.append(Check(self.name, line, self.test, what, expected, actual))

    def run(self, text: str) -> list[Check]:
        for number, line in _expand(text.splitlines()):
            self.last_line = number
            self.line(number, line)
        self.finish_step()
        return self.checks

    def line(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("!"):
            self.finish_step()
            self.test = stripped[1:]
        elif re.match(r"[A-Z]", stripped):
            self.finish_step()
            self.command(stripped)
        elif stripped.startswith("?"):
            self.finish_step()
            self.query(number, stripped[1:])
        elif self.step is not None:
            self.expectation(number, stripped)

    def command(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "INIT":
            self.t = Terminal(80, 25, scrollback=0, on_reply=self.replies.append)
        elif word == "RESET":
            self.t.reset()
            self.mouse = keys.Mouse()
        elif word == "RESIZE":
            rows, cols = (int(v) for v in rest.split(","))
            self.t.resize(cols, rows)
        elif word == "PUSH":
            self.replies.clear()
            self.t.feed_bytes(perl_expr(rest))
            self.step = _Step()
        elif word in ("INKEY", "INCHAR", "MOUSEMOVE", "MOUSEBTN", "PASTE", "FOCUS"):
            self.replies[:] = [self.typed(word, rest.split())]
            self.step = _Step(typed=True)

    def typed(self, word: str, args: list[str]) -> str:
        """What our input encoding sends for one of libvterm's input commands."""
        t = self.t

        def mods(text: str) -> int:
            flags = {"S": keys.SHIFT, "C": keys.CTRL, "A": keys.ALT}
            return sum(flags[c] for c in text if c in flags)

        if word == "INKEY":
            return keys.key(t, args[1], mods(args[0]))
        if word == "INCHAR":
            return keys.char(t, chr(int(args[1], 16)), mods(args[0]))
        if word == "MOUSEMOVE":
            row, col = (int(v) for v in args[0].split(","))
            self.mouse_at = (col, row)
            return self.mouse.move(t, col, row, mods(args[1]) if len(args) > 1 else 0)
        if word == "MOUSEBTN":
            col, row = self.mouse_at
            button, flags = int(args[1]), mods(args[2]) if len(args) > 2 else 0
            if args[0] == "d":
                return self.mouse.press(t, button, col, row, flags)
            return self.mouse.release(t, button, col, row, flags)
        if word == "PASTE":  # START / END: the markers alone
            marked = keys.paste(t, "")
            half = len(marked) // 2
            return marked[:half] if args[0] == "START" else marked[half:]
        return keys.focus(t, args[0] == "IN")

    def expectation(self, number: int, line: str) -> None:
        assert self.step is not None
        word, _, rest = line.partition(" ")
        if word == "putglyph":
            chars, width, pos = rest.split()[:3]
            row, col = (int(v) for v in pos.split(","))
            text = "".join(chr(int(c, 16)) for c in chars.split(","))
            self.step.glyphs.append((number, text, int(width), row, col))
        elif word == "movecursor":
            row, col = (int(v) for v in rest.split(",")[:2])
            self.step.moves.append((number, row, col))
        elif word == "output":
            self.step.output.append((number, perl_expr(rest)))

    def finish_step(self) -> None:
        step, self.step = self.step, None
        if step is None:
            return
        last: dict[tuple[int, int], tuple[int, str, int]] = {}
        for number, text, width, row, col in step.glyphs:
            last[row, col] = (number, text, width)
            for c in range(col + 1, col + width):
                last.pop((row, c), None)
        for (row, col), (number, text, width) in sorted(last.items(), key=lambda kv: kv[1][0]):
            cell, cells = self.cell(row, col)
            self.check(number, "putglyph", f"{text!r} {width}", f"{cell!r} {cells}")
        if step.moves:
            number, row, col = step.moves[-1]
            self.check(number, "movecursor", f"{row},{col}", self.cursor())
        if step.output or (step.typed and "".join(self.replies)):
            number = step.output[-1][0] if step.output else self.last_line
            expected = b"".join(out for _, out in step.output).decode("latin-1")
            actual = "".join(self.replies).encode().decode("latin-1")
            self.check(number, "output", repr(expected), repr(actual))

    # -- reading the screen --------------------------------------------

    def cursor(self) -> str:
        x, y = self.t.cursor
        return f"{y},{x}"

    def cells(self, row: int) -> list[tuple[str, int]]:
        """Each cell of a row: its text ("" behind a wide character) and width."""
        out: list[tuple[str, int]] = []
        if not 0 <= row < self.t.rows:
            return out
        for run in self.t.row_runs(row):
            if run.cells == len(run.text):
                out += [(ch, 1) for ch in run.text]
                continue
            text = run.text
            i = 0
            while i < len(text):
                j = i + 1
                while j < len(text) and _zero(text[j]):
                    j += 1
                glyph = text[i:j]
                if _wide(text[i]):
                    out += [(glyph, 2), ("", 0)]
                else:
                    out.append((glyph, 1))
                i = j
        out += [(" ", 1)] * (self.t.cols - len(out))
        return out

    def cell(self, row: int, col: int) -> tuple[str, int]:
        cells = self.cells(row)
        return cells[col] if 0 <= col < len(cells) else ("", 0)

    def chars(self, r0: int, c0: int, r1: int, c1: int) -> str:
        rows = []
        for row in range(r0, r1):
            text = "".join(ch for ch, _ in self.cells(row)[c0:c1])
            rows.append(text.rstrip(" "))
        return "\n".join(rows)

    def query(self, number: int, query: str) -> None:
        head, _, expected = query.partition("=")
        head, expected = head.strip(), expected.strip()
        word, _, args = head.partition(" ")
        t = self.t
        if word == "cursor":
            self.check(number, "cursor", expected, self.cursor())
        elif word == "screen_row":
            row = int(args)
            want = perl_expr(expected).decode() if expected.startswith('"') else _hex(expected)
            self.check(
                number, f"screen_row {row}", _trim(want), self.chars(row, 0, row + 1, t.cols)
            )
        elif word == "screen_chars":
            r0, c0, r1, c1 = (int(v) for v in args.split(","))
            want = perl_expr(expected).decode() if expected.startswith('"') else _hex(expected)
            self.check(number, f"screen_chars {args}", _trim(want), self.chars(r0, c0, r1, c1))
        elif word == "screen_text":
            r0, c0, r1, c1 = (int(v) for v in args.split(","))
            want = _trim(bytes(int(v, 16) for v in expected.split(",") if v).decode())
            self.check(number, f"screen_text {args}", want, self.chars(r0, c0, r1, c1))
        elif word == "screen_cell":
            row, col = (int(v) for v in args.split(","))
            m = re.match(r"\{([^}]*)\} width=(\d+)", expected)
            if m:
                glyph = "".join(chr(int(c, 16)) for c in m.group(1).split(",") if c)
                want = f"{glyph or ' '!r} {m.group(2)}"
                text, width = self.cell(row, col)
                self.check(number, f"screen_cell {args}", want, f"{text or ' '!r} {width}")
        elif word == "lineinfo":
            row = int(args)
            cont = row > 0 and t.line(row - 1).wrapped
            want = "cont" if "cont" in expected else ""
            self.check(number, f"lineinfo {row}", want, "cont" if cont else "")
        elif word == "pen":
            self.pen(number, args, expected)

    def pen(self, number: int, name: str, expected: str) -> None:
        style = self.t.style
        run = Terminal(1, 1)
        run.style = style
        run.feed("x")
        cell = run.row_runs(0)[0]
        attrs = cell.attrs
        flags = {
            "bold": Attr.BOLD,
            "italic": Attr.ITALIC,
            "blink": Attr.BLINK,
            "reverse": Attr.INVERSE,
            "conceal": Attr.HIDDEN,
            "strike": Attr.STRIKE,
        }
        if name in flags:
            actual = "on" if attrs & flags[name] else "off"
        elif name == "underline":
            shapes = [
                (Attr.CURLY_UNDERLINE, "3"),
                (Attr.DOUBLE_UNDERLINE, "2"),
                (Attr.UNDERLINE, "1"),
            ]
            actual = next((v for flag, v in shapes if attrs & flag), "0")
        elif name in ("foreground", "background"):
            colour = cell.fg if name == "foreground" else cell.bg
            actual = _colour(colour, expected)
        else:
            return
        self.check(number, f"pen {name}", expected, actual)


def _colour(colour: int, expected: str) -> str:
    if colour < 0:
        return expected if "is_default" in expected else "default"
    if colour >= 0x1000000:
        rgb = colour & 0xFFFFFF
        return f"rgb({rgb >> 16},{rgb >> 8 & 0xFF},{rgb & 0xFF})"
    return f"idx({colour})"


def _trim(text: str) -> str:
    """libvterm keeps written trailing blanks, which a screen of cells does not tell apart."""
    return "\n".join(row.rstrip(" ") for row in text.split("\n"))


def _hex(values: str) -> str:
    """``0x41,0x1F600``: code points."""
    return "".join(chr(int(v, 16)) for v in values.split(",") if v)


def _zero(ch: str) -> bool:
    from onsembl_desktop.terminal.charwidth import char_width

    return char_width(ch) == 0


def _wide(ch: str) -> bool:
    from onsembl_desktop.terminal.charwidth import char_width

    return char_width(ch) == 2


def run_file(path: Path) -> list[Check]:
    return Runner(path.stem).run(path.read_text())


if __name__ == "__main__":
    import sys

    total = failed = 0
    for path in sorted(SUITE.glob("*.test")):
        for c in run_file(path):
            total += 1
            if not c.ok:
                failed += 1
                if "-v" in sys.argv:
                    print(f"{c.key} [{c.test}] {c.what}: expected {c.expected!r} got {c.actual!r}")
    print(f"{total - failed} of {total} checks pass")
