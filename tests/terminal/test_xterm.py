"""xterm's behaviour where it differs from tmux, one rule at a time.

Each expected screen and cursor is what a real xterm (patch 379) showed for the same bytes
(``xtermref.py``, 10 x 4 unless said); ``diff_xterm.py`` checks random mixes of them.
"""

from __future__ import annotations

import pytest

from onsembl_desktop.terminal import Attr, Terminal


def term(data: str, cols: int = 10, rows: int = 4, **kw: object) -> Terminal:
    t = Terminal(cols, rows, **kw)  # type: ignore[arg-type]
    t.feed(data)
    return t


def shown(data: str, cols: int = 10, rows: int = 4) -> tuple[list[str], tuple[int, int]]:
    t = term(data, cols, rows)
    return t.display(), t.cursor


def test_leaving_the_alternate_screen_keeps_a_pending_wrap() -> None:
    assert shown("abcdefghij\x1b[?1049h\x1b[?1049lY") == (["abcdefghij", "Y", "", ""], (1, 1))
    # 47 neither saves nor restores: the wait the alternate screen left carries over.
    assert shown("abc\x1b[?47hdefghijkl\x1b[?47lx", 12, 6)[1] == (1, 1)


def test_the_alternate_screen_switch_and_decsc_share_one_saved_cursor() -> None:
    # 1049 saves where ESC 7 saves (the main screen's slot), character set included.
    assert shown("ab\x1b(0\x1b[?1049h\x1b(B\x1b[?1049lq\x1b8q") == (["ab─", "", "", ""], (3, 0))
    assert shown("ab\x1b7\x1b[3;3H\x1b[?1049hXY\x1b[?1049l\x1b[1;9H\x1b8Z") == (
        ["ab", "", "  Z", ""],
        (3, 2),
    )


def test_mode_47_keeps_the_alternate_screen_and_1047_clears_it() -> None:
    assert shown("\x1b[?47hALT\x1b[?47lmain\x1b[?47h", 12, 6)[0][0] == "ALT"
    assert shown("\x1b[?1047hALT\x1b[?1047l\x1b[?1047h", 12, 6)[0][0] == ""


def test_hpr_vpr_cht_and_cbt() -> None:
    # CBT (like TAB) leaves the pending wrap pending: C wraps and the screen scrolls.
    assert shown("x\x1b[2;1H\x1b[3a\x1b[2eA\x1b[2IB\x1b[ZC") == (
        ["", "", "   A     B", "C"],
        (1, 3),
    )
    # VPR is bounded by the margins only in origin mode.
    assert term("\x1b[2;4r\x1b[10e", 12, 6).cursor == (0, 5)
    assert term("\x1b[2;4r\x1b[?6h\x1b[10e", 12, 6).cursor == (0, 3)


@pytest.mark.parametrize(
    ("data", "screen", "cursor"),
    [
        ("abcdefghi\x1b[3b", ["abcdefghii", "ii"], (2, 1)),  # wraps as printing does
        ("é\x1b[3b", ["éééé", ""], (4, 0)),
        ("中\x1b[2b", ["中中中", ""], (6, 0)),
        ("ab\r\x1b[3b", ["ab", ""], (0, 0)),  # only straight after printing
        ("ab\x1b[1m\x1b[3b", ["ab", ""], (2, 0)),
        ("ab\x1b[0b\x1b[3b", ["abb", ""], (3, 0)),  # a REP is not repeated
    ],
)
def test_rep_repeats_any_printed_character(
    data: str, screen: list[str], cursor: tuple[int, int]
) -> None:
    t = term(data)
    assert (t.display()[:2], t.cursor) == (screen, cursor)


def test_ris_clears_the_scrollback() -> None:
    t = term("".join(f"{i}\r\n" for i in range(20)), scrollback=100)
    assert t.history_size
    t.feed("\x1b]0;title\x07\x1b[?25l\x1bc")
    assert (t.history_size, t.display(), t.title, t.cursor_visible) == (0, [""] * 4, "", True)


def test_decscnm_reverses_the_screen() -> None:
    t = term("\x1b[?5h")
    assert t.reverse_video
    t.feed("\x1b[?5l")
    assert not t.reverse_video


def test_g2_g3_single_and_locking_shifts() -> None:
    data = "\x1b*0\x1bNqx\x1b+0\x1bOqx\x1bnlqk\x0fq\x1bolqk"
    assert shown(data) == (["─x─x┌─┐q┌─", "┐", "", ""], (1, 1))


def test_dec_line_drawing_underscore_is_a_blank_and_uk_is_latin1() -> None:
    assert term("\x1b(0_`a\x1b(B").display()[0] == " ◆▒"
    assert term("\x1b(Aa b#~").display()[0] == "á\xa0â£þ"
    assert term("\x1b)Aab\x0e#").display()[0] == "ab£"


def test_newline_mode_returns_on_lf_vt_and_ff() -> None:
    assert shown("\x1b[20hab\ncd\x0bef\x0cgh") == (["ab", "cd", "ef", "gh"], (2, 3))


@pytest.mark.parametrize(
    ("data", "row"),
    [
        ('ab\x1b[1"qcd\x1b[0"qef\x1b[?2J', "  cd"),  # DECSED spares DECSCA-protected cells
        ('ab\x1b[1"qcd\x1b[0"qef\x1b[2J', ""),  # ... ED does not
        ('ab\x1b[1"qcd\x1b[0mef\x1b[?2K', "  cdef"),  # SGR 0 does not end protection
        ("ab\x1bVcd\x1bWef\x1b[2K", "  cd"),  # ISO protection (SPA/EPA) spares them from EL
        ("ab\x1bVcd\x1b[0mef\x1b[2K", "  cdef"),
        ('ab\x1bVcd\x1bW\x1b[1"qef\x1b[0"q\x1b[2K', ""),  # back to DEC protection: EL erases
        ("abc\x1b[?2K", ""),  # nothing protected: as EL
    ],
)
def test_selective_erase(data: str, row: str) -> None:
    t = term(data)
    assert t.display()[0] == row


def test_decstr_soft_reset() -> None:
    modes = "\x1b[?6h\x1b[4h\x1b[?25l\x1b[?7l\x1b(0\x1b[1m\x1b[2;3r"
    data = modes + "\x1b[!p\x1b[Hq\x1b[4;1Habcdefghijkl"
    t = term(data)
    assert (t.display(), t.cursor, t.cursor_visible) == (["", "", "abcdefghij", "kl"], (2, 3), True)
    assert t.row_runs(2)[0].attrs == Attr.NONE
    assert (t.origin, t.insert_mode, t.autowrap) == (False, False, True)


def test_decstr_keeps_autowrap_on() -> None:
    assert shown("abcdefghij\x1b[?7l\x1b[!pXY")[1] == (2, 1)


def test_deccolm_is_ignored() -> None:
    assert shown("abc\x1b[?3hX") == (["abcX", "", "", ""], (4, 0))


def test_rows_moved_by_il_and_dl_do_not_keep_the_cursor_column() -> None:
    assert shown("ab\x1b[Hx\x1b[2Ly") == (["y", "", "xb", ""], (1, 0))
