"""The public API contract the UI paints from."""

from onsembl_desktop.terminal import Attr, Terminal


def test_text_colour_and_alternate_screen() -> None:
    t = Terminal(cols=20, rows=5)
    t.feed("hello \x1b[31mred\x1b[0m\r\n")
    t.feed("\x1b[?1049hALT")
    assert t.in_alternate_screen
    assert t.display()[0] == ""
    t.feed("\x1b[?1049l")
    assert not t.in_alternate_screen
    assert t.display()[0] == "hello red"
    runs = t.row_runs(0)
    assert runs[1].text == "red" and runs[1].fg == 1 and runs[1].attrs == Attr.NONE


def test_scrollback_keeps_pushed_lines() -> None:
    t = Terminal(cols=20, rows=5, scrollback=100)
    for i in range(10):
        t.feed(f"line{i}\r\n")
    assert t.history_text() == [f"line{i}" for i in range(6)]
    assert t.display() == ["line6", "line7", "line8", "line9", ""]
