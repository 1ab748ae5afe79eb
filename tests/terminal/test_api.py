"""The public API the UI paints from: values, helpers, byte input, the render command."""

from __future__ import annotations

import ast
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from onsembl_desktop.terminal import PALETTE_256, Attr, Run, Terminal, is_rgb, rgb, rgb_of
from onsembl_desktop.terminal.__main__ import main as render_main

PACKAGE = Path(__file__).resolve().parents[2] / "onsembl_desktop" / "terminal"
GOLDEN = Path(__file__).parent / "golden"


def test_text_colour_and_alternate_screen() -> None:
    t = Terminal(cols=20, rows=5)
    t.feed("hello \x1b[31mred\x1b[0m\r\n")
    t.feed("\x1b[?1049hALT")
    assert t.in_alternate_screen
    assert t.display()[0] == ""
    t.feed("\x1b[?1049l")
    assert not t.in_alternate_screen
    assert t.display()[0] == "hello red"
    assert t.row_runs(0) == [
        Run("hello ", 6, -1, -1, Attr.NONE),
        Run("red", 3, 1, -1, Attr.NONE),
    ]


def test_scrollback_keeps_pushed_lines() -> None:
    t = Terminal(cols=20, rows=5, scrollback=100)
    for i in range(10):
        t.feed(f"line{i}\r\n")
    assert t.history_text() == [f"line{i}" for i in range(6)]
    assert t.display() == ["line6", "line7", "line8", "line9", ""]
    assert (t.cols, t.rows, t.history_size) == (20, 5, 6)


def test_colour_helpers_and_palette() -> None:
    assert len(PALETTE_256) == 256
    assert (PALETTE_256[1], PALETTE_256[16], PALETTE_256[196]) == (0xCD0000, 0, 0xFF0000)
    assert (PALETTE_256[231], PALETTE_256[232], PALETTE_256[255]) == (0xFFFFFF, 0x080808, 0xEEEEEE)
    assert is_rgb(rgb(1, 2, 3)) and not is_rgb(255) and not is_rgb(-1)
    assert rgb_of(rgb(1, 2, 3)) == 0x010203
    assert rgb_of(196) == 0xFF0000
    assert rgb_of(-1) is None


def test_bytes_split_anywhere_decode_and_bad_bytes_become_replacement_chars() -> None:
    t = Terminal(20, 2)
    data = "中文 é".encode()
    for i in range(len(data)):
        t.feed_bytes(data[i : i + 1])
    t.feed_bytes(b" \xff\xfe!")
    assert t.display()[0] == "中文 é \ufffd\ufffd!"


def test_render_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(b"one\r\ntwo\r\n\x1b[1;31mthree\x1b[0m")
    assert render_main(["render", "--cols", "10", "--rows", "2", "--scrollback", str(path)]) == 0
    assert capsys.readouterr().out == "one\ntwo\nthree\n"
    render_main(["render", "--cols", "10", "--rows", "2", "--ansi", str(path)])
    out = capsys.readouterr().out
    assert out == "\x1b[0mtwo\x1b[0m\n\x1b[0;1;31mthree\x1b[0m\n"


def test_render_command_runs_as_a_module() -> None:
    golden = GOLDEN / "ls_color.bin"
    args = ["render", "--cols", "80", "--rows", "24", str(golden)]
    cmd = [sys.executable, "-m", "onsembl_desktop.terminal", *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    assert out.splitlines()[0].startswith("total ")


def test_the_engine_imports_nothing_but_the_standard_library() -> None:
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", (path.name, name)


def test_scrollback_costs_under_three_bytes_per_cell() -> None:
    lines = "".join(
        f"\x1b[2m12:00:{i % 60:02d}\x1b[0m \x1b[32mINFO\x1b[0m \x1b[36mmod.{i % 7}\x1b[0m "
        + f"message {i} ".ljust(100 - 19 - len(str(i % 7)), "x")
        + "\r\n"
        for i in range(2100)
    )
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t = Terminal(100, 50, scrollback=2000)
    t.feed(lines)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert t.history_size == 2000
    assert all(len(line) == 100 for line in t.history_text()[:5])
    assert used / (2000 * 100) <= 3
