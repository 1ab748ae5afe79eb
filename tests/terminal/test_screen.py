"""Screen behaviour, one rule at a time; expectations checked against a real xterm (patch 379,
``xtermref.py``) and, for resizing and scrollback, tmux 3.3a."""

from __future__ import annotations

import pytest

from onsembl_desktop.terminal import Attr, Terminal, rgb


def term(data: str, cols: int = 10, rows: int = 4, **kw: object) -> Terminal:
    t = Terminal(cols, rows, **kw)  # type: ignore[arg-type]
    t.feed(data)
    return t


# -- wrapping ---------------------------------------------------------------


def test_pending_wrap_waits_at_the_last_column() -> None:
    t = term("a" * 10)
    assert t.display()[:2] == ["a" * 10, ""]
    assert t.cursor == (9, 0)
    t.feed("b")
    assert t.display()[:2] == ["a" * 10, "b"]
    assert t.line(0).wrapped


def test_cr_lf_after_a_full_row_adds_no_blank_row() -> None:
    assert term("a" * 10 + "\r\nb").display()[:2] == ["a" * 10, "b"]


def test_line_feed_ends_the_pending_wrap() -> None:
    assert term("a" * 10 + "\nb").display()[:3] == ["a" * 10, " " * 9 + "b", ""]


def test_backspace_from_a_pending_wrap_moves_back_from_the_last_column() -> None:
    t = term("a" * 10 + "\bX")
    assert (t.display()[0], t.cursor) == ("a" * 8 + "Xa", (9, 0))


def test_backspace_stops_at_column_zero_unless_reverse_wraparound_is_on() -> None:
    assert term("a" * 12 + "\b\b\bX").display()[:2] == ["a" * 10, "Xa"]
    assert term("\x1b[?45h" + "a" * 12 + "\b\b\bX").display()[:2] == ["a" * 9 + "X", "aa"]
    # Reverse wraparound goes up whether or not the row above wrapped; from the top, to the bottom.
    assert term("\x1b[?45hab\r\n\b\bX").display()[0] == "ab      X"
    assert term("\x1b[?45h\bX").cursor == (9, 3)


def test_edits_during_a_pending_wrap_act_on_the_last_column() -> None:
    assert term("a" * 10 + "\x1b[Kb").display()[:2] == ["a" * 9 + "b", ""]
    for edit in ("\x1b[@", "\x1b[P", "\x1b[X"):
        assert term("abcdefghij" + edit + "X").display()[:2] == ["abcdefghiX", ""]


def test_tab_keeps_a_pending_wrap() -> None:
    assert term("abcdefghij\tb").display()[:2] == ["abcdefghij", "b"]


def test_without_autowrap_the_last_column_is_overwritten() -> None:
    assert term("\x1b[?7l" + "abcdefghijKLM").display()[:2] == ["abcdefghiM", ""]


# -- wide and combining characters -------------------------------------------


def test_wide_characters_take_two_cells() -> None:
    t = term("中文x")
    assert t.display()[0] == "中文x"
    assert t.cursor == (5, 0)
    runs = t.row_runs(0)
    assert [(r.text, r.cells) for r in runs] == [("中文x", 5)]


def test_wide_character_at_the_last_column_wraps_first() -> None:
    assert term("abcdefghi中Z").display()[:2] == ["abcdefghi", "中Z"]


def test_overwriting_half_a_wide_character_blanks_the_other_half() -> None:
    assert term("中文\x1b[1;2HX").display()[0] == " X文"
    assert term("中文\x1b[1;1HX").display()[0] == "X 文"


def test_emoji_are_wide() -> None:
    t = term("😀!")
    assert t.cursor == (3, 0)
    assert t.row_runs(0)[0].cells == 3


def test_combining_marks_join_the_previous_cell() -> None:
    t = term("e\u0301x")
    assert t.display()[0] == "e\u0301x"
    assert t.cursor == (2, 0)
    assert t.row_runs(0)[0].cells == 2


def test_combining_mark_with_nothing_before_is_dropped() -> None:
    assert term("\u0301x").display()[0] == "x"


# -- attributes and colours --------------------------------------------------


@pytest.mark.parametrize(
    ("sgr", "attr"),
    [
        ("1", Attr.BOLD),
        ("2", Attr.DIM),
        ("3", Attr.ITALIC),
        ("4", Attr.UNDERLINE),
        ("4:3", Attr.UNDERLINE | Attr.CURLY_UNDERLINE),
        ("5", Attr.BLINK),
        ("7", Attr.INVERSE),
        ("8", Attr.HIDDEN),
        ("9", Attr.STRIKE),
    ],
)
def test_sgr_attributes(sgr: str, attr: Attr) -> None:
    runs = term(f"a\x1b[{sgr}mb\x1b[0mc").row_runs(0)
    assert [(r.text, r.attrs) for r in runs] == [("a", Attr.NONE), ("b", attr), ("c", Attr.NONE)]


def test_sgr_resets_switch_single_attributes_off() -> None:
    t = term("\x1b[1;2;3;4;5;7;8;9mx\x1b[22;23;24;25;27;28;29my")
    assert [r.attrs for r in t.row_runs(0)] == [Attr(255) & ~Attr(0), Attr.NONE]


@pytest.mark.parametrize(
    ("sgr", "fg", "bg"),
    [
        ("31;42", 1, 2),
        ("91;102", 9, 10),
        ("38;5;200;48;5;17", 200, 17),
        ("38;2;1;2;3;48;2;250;128;0", rgb(1, 2, 3), rgb(250, 128, 0)),
        ("38:2::1:2:3", rgb(1, 2, 3), -1),
        ("38:2:1:2:3", rgb(1, 2, 3), -1),
        ("38:5:99", 99, -1),
        ("31;39", -1, -1),
        ("38;5;300", -1, -1),  # out of range: ignored
    ],
)
def test_colours(sgr: str, fg: int, bg: int) -> None:
    run = term(f"\x1b[{sgr}mx").row_runs(0)[0]
    assert (run.fg, run.bg) == (fg, bg)


def test_private_sgr_is_not_sgr() -> None:
    # vim sends CSI > 4;2 m (modifyOtherKeys); stock pyte crashes on it.
    run = term("\x1b[>4;2mx\x1b[?4mx").row_runs(0)[0]
    assert (run.text, run.attrs) == ("xx", Attr.NONE)


def test_erase_uses_the_background_colour() -> None:
    t = term("\x1b[44m\x1b[2K\x1b[0mab")
    runs = t.row_runs(0)
    assert (runs[0].text, runs[0].bg) == ("ab", -1)
    assert (runs[1].text.strip(), runs[1].cells, runs[1].bg) == ("", 8, 4)


# -- cursor, tabs, regions ---------------------------------------------------


def test_cursor_visibility() -> None:
    t = term("\x1b[?25l")
    assert not t.cursor_visible
    t.feed("\x1b[?25h")
    assert t.cursor_visible


def test_tabs_stop_every_eight_columns_and_at_the_edge() -> None:
    t = term("a\tb\tc\t\td", cols=20)
    assert t.display()[0] == "a       b       c  d"


def test_tab_stops_can_be_set_and_cleared() -> None:
    t = term("\x1b[3g\x1b[1;4H\x1bH\rx\ty\tz", cols=20)
    assert t.display()[0] == "x  y               z"


def test_scroll_region_scrolls_only_inside() -> None:
    t = term("1\r\n2\r\n3\r\n4\x1b[2;3r\x1b[3;1H\nX")
    assert t.display() == ["1", "3", "X", "4"]
    assert t.history_text() == ["2"]  # tmux keeps the region's top row


def test_reverse_index_at_the_top_scrolls_down() -> None:
    assert term("a\r\nb\x1b[H\x1bMc").display() == ["c", "a", "b", ""]


def test_origin_mode_addresses_the_region() -> None:
    assert term("\x1b[2;3r\x1b[?6h\x1b[5;1HX").display() == ["", "", "X", ""]


def test_insert_and_delete_characters_and_lines() -> None:
    t = term("abcdef\x1b[1;3H\x1b[2@XY\x1b[1;1H\x1b[P")
    assert t.display()[0] == "bXYcdef"
    t = term("1\r\n2\r\n3\x1b[2;1H\x1b[L\x1b[3;1H\x1b[M")
    assert t.display() == ["1", "", "3", ""]


def test_insert_mode_pushes_text_right() -> None:
    assert term("abc\r\x1b[4hXY\x1b[4l").display()[0] == "XYabc"


def test_save_and_restore_cursor_with_style() -> None:
    t = term("\x1b[31m\x1b7\x1b[0m\x1b[3;3H\x1b8x")
    assert t.cursor == (1, 0)
    assert t.row_runs(0)[0].fg == 1


def test_dec_line_drawing() -> None:
    assert term("\x1b(0lqk\x1b(Bq").display()[0] == "┌─┐q"


def test_rep_repeats_the_last_character() -> None:
    assert term("ab\x1b[3b").display()[0] == "abbbb"


# -- screens and clearing ----------------------------------------------------


@pytest.mark.parametrize("mode", ["47", "1047", "1049"])
def test_alternate_screen_restores_the_main_screen(mode: str) -> None:
    t = term(f"main\x1b[?{mode}h")
    assert t.in_alternate_screen
    assert t.display()[0] == ""
    t.feed("ALT")
    t.feed(f"\x1b[?{mode}l")
    assert not t.in_alternate_screen
    assert t.display()[0] == "main"


def test_1049_restores_the_cursor_but_47_does_not() -> None:
    assert term("main\x1b[?1049hALT\x1b[?1049lX").display()[0] == "mainX"
    assert term("main\x1b[?47hALT\x1b[?47lX").display()[0] == "main   X"


def test_alternate_screen_has_no_scrollback() -> None:
    t = term("\x1b[?1049h" + "x\r\n" * 10 + "\x1b[?1049l")
    assert t.history_size == 0


def test_clear_screen_moves_used_rows_into_scrollback_like_tmux() -> None:
    t = term("one\r\ntwo\x1b[H\x1b[2J")
    assert t.display() == ["", "", "", ""]
    assert t.history_text() == ["one", "two"]
    t.feed("\x1b[3J")
    assert t.history_size == 0


def test_scrollback_is_bounded() -> None:
    t = term("".join(f"{i}\r\n" for i in range(100)), scrollback=5)
    assert t.history_text() == ["92", "93", "94", "95", "96"]


def test_history_keeps_colours() -> None:
    t = term("\x1b[1;32mok\x1b[0m done\r\n" + "\r\n" * 4)
    runs = t.history_runs(0)
    assert [(r.text, r.fg, r.attrs) for r in runs] == [
        ("ok", 2, Attr.BOLD),
        (" done", -1, Attr.NONE),
    ]


def test_reset_clears_everything() -> None:
    t = term("\x1b]0;title\x07\x1b[?25l\x1b[31mx\r\n\r\n\r\n\r\n")
    t.reset()
    assert t.display() == ["", "", "", ""]
    assert (t.history_size, t.title, t.cursor_visible, t.cursor) == (0, "", True, (0, 0))


def test_title_from_osc_0_and_2() -> None:
    assert term("\x1b]0;first\x07").title == "first"
    assert term("\x1b]2;second\x1b\\").title == "second"


# -- replies -----------------------------------------------------------------


def test_queries_are_answered_only_in_interactive_mode() -> None:
    replies: list[str] = []
    t = Terminal(10, 4, on_reply=replies.append)
    t.feed("ab\r\ncd\x1b[6n\x1b[5n\x1b[c\x1b[>c\x1b[?6n")
    assert replies == ["\x1b[2;3R", "\x1b[0n", "\x1b[?62;22c", "\x1b[>41;379;0c", "\x1b[?2;3;1R"]
    term("\x1b[6n\x1b[c")  # no on_reply: silently ignored


# -- dirty rows and scrolling ------------------------------------------------


def test_dirty_rows_and_scrolled_count() -> None:
    t = term("a\r\nb\r\nc")
    assert t.dirty == {0, 1, 2, 3}
    t.clear_dirty()
    assert (t.dirty, t.scrolled) == (set(), 0)
    t.feed("\x1b[2;1Hx")
    assert t.dirty == {1}
    t.clear_dirty()
    t.feed("\r\n" * 4 + "d")  # from row 1: down to row 3, then two scrolls
    assert t.scrolled == 2
    # In post-scroll rows: the new rows are dirty, the row that only moved is not.
    assert {2, 3} <= t.dirty and 0 not in t.dirty


# -- resize ------------------------------------------------------------------


def test_shrinking_pushes_top_rows_into_scrollback_and_growing_pulls_them_back() -> None:
    t = term("1\r\n2\r\n3\r\n4")
    t.resize(10, 2)
    assert (t.display(), t.history_text(), t.cursor) == (["3", "4"], ["1", "2"], (1, 1))
    t.resize(10, 4)
    assert (t.display(), t.history_text(), t.cursor) == (["1", "2", "3", "4"], [], (1, 3))


def test_shrinking_drops_rows_below_the_cursor_first() -> None:
    t = term("1\r\n2\r\n3\x1b[H")
    t.resize(10, 2)
    assert t.display() == ["1", "2"]
    assert t.history_size == 0


@pytest.mark.parametrize(
    ("before", "size", "screen", "history", "cursor"),
    [  # tmux 3.3a for the same steps
        ("0123456789\r\nabc", (5, 4), ["56789", "abcX", "", ""], ["01234"], (4, 1)),
        ("0123456789abcde\r\nxyz", (20, 4), ["0123456789abcde", "xyzX", "", ""], [], (4, 1)),
        (
            "hello world, wrapped\r\n$ ",
            (6, 4),
            [" wrapp", "ed", "$ X", ""],
            ["hello", "world,"],
            (3, 2),
        ),
        (
            "\x1b[31mhello world, wrapped\x1b[0m\r\n$ \x1b[?1049hALT",
            (6, 4),
            [" wrapp", "ed", "$ X", ""],
            ["hello", "world,"],
            (3, 2),
        ),
    ],
)
def test_width_changes_reflow_wrapped_lines_like_tmux(
    before: str,
    size: tuple[int, int],
    screen: list[str],
    history: list[str],
    cursor: tuple[int, int],
) -> None:
    t = term(before)
    t.resize(*size)
    t.feed("\x1b[?1049lX" if "1049h" in before else "X")
    assert (t.display(), t.history_text(), t.cursor) == (screen, history, cursor)


def test_resize_in_alternate_screen_keeps_the_main_screen() -> None:
    t = term("main\x1b[?1049halt1\r\nalt2\r\nalt3\r\n")
    t.resize(10, 2)
    t.feed("\x1b[?1049lX")
    assert t.display() == ["mainX", ""]


# -- xterm's rules found by differential checks (tests/terminal/diff_xterm.py) ----


@pytest.mark.parametrize(
    ("data", "screen"),
    [
        ("a\r\nb\r\nc\r\nd\x1b[3;4r\x1b[1;1H\x1b[2L", ["a", "b", "c", "d", ""]),
        ("a\r\nb\r\nc\r\nd\x1b[3;4r\x1b[1;1H\x1b[2M", ["a", "b", "c", "d", ""]),
        ("a\r\nb\r\nc\r\nd\r\ne\x1b[2;3r\x1b[4;1H\x1b[1L", ["a", "b", "c", "d", "e"]),
        ("a\r\nb\r\nc\r\nd\r\ne\x1b[2;3r\x1b[2;2H\x1b[1M", ["a", "c", "", "d", "e"]),
    ],
)
def test_insert_and_delete_lines_act_only_inside_the_region(data: str, screen: list[str]) -> None:
    assert term(data, rows=5).display() == screen


def test_insert_and_delete_lines_return_to_column_zero() -> None:
    t = term("ab\x1b[Hx\x1b[2Ly")
    assert (t.display(), t.cursor) == (["y", "", "xb", ""], (1, 0))


def test_setting_a_region_in_origin_mode_homes_the_cursor_to_its_top() -> None:
    t = term("\x1b[?6h\x1b[5;7r\x1b[9;7rabc", rows=6)
    assert (t.display()[4], t.cursor) == ("abc", (3, 4))


def test_a_zero_region_bottom_is_the_last_row() -> None:
    t = term("\x1b[2;3rab\x1b[3;0rX")
    assert (t.display()[0], t.cursor) == ("Xb", (1, 0))


def test_restore_without_save_resets_position_style_and_charsets() -> None:
    t = term("\x1b[31m\x1b)0\x0e\x1b[2;2H\x1b8\x1b(0q")
    assert t.display()[0] == "─"
    assert t.row_runs(0)[0].fg == -1
