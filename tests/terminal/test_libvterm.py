"""libvterm's own test scripts (state, screen and its vttest screens) against our engine.

The scripts are libvterm's, kept as test data (``tests/data/vt-suites``, SOURCES.md there);
``vterm_script.py`` reads them. Where libvterm and xterm part ways we follow xterm (checked
against a real xterm 379 with ``xtermref.py``) or, for resizing, tmux; each such check is
listed below with the reason, and the test fails if a listed check starts to pass (so the list
stays true).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .vterm_script import SUITE, run_file

_XTERM_8BIT = "8-bit controls and GR shifts: libvterm runs this file outside UTF-8 mode"
_REFLOW = (
    "resizing: libvterm keeps the rows above the cursor and pops its harness's fake scrollback;"
    " we do what tmux 3.3a shows for the same bytes and sizes"
)
_DECRQSS_SGR = "DECRQSS SGR: xterm answers with a leading 0 and 38:2::r:g:b (checked)"
_MOUSE_FAR = "a cell past 223 in the default mouse encoding: not reported, as xterm (libvterm: 255)"
_URXVT = "urxvt mouse encoding (1015): the button value plus 32, as urxvt and xterm send it"
_CSI_U = (
    "libvterm sends CSI u for keys the legacy encoding cannot tell apart (Ctrl+Shift+A, Ctrl+I,"
    " Shift+Space); xterm's default (modifyOtherKeys off) sends the control code, as we do"
)

KNOWN = {
    "10state_putglyph:58": "we keep up to 8 combining marks on a cell, libvterm 5",
    "61screen_unicode:35": "we keep up to 8 combining marks on a cell, libvterm 5",
    "61screen_unicode:41": "we keep up to 8 combining marks on a cell, libvterm 5",
    "11state_movecursor:178": "xterm 379 ignores HPB (CSI j), checked",
    "11state_movecursor:194": "xterm 379 ignores VPB (CSI k), checked",
    "12state_scroll:75": "no left/right margins (DECLRMM / DECSLRM)",
    "15state_mode:72": "no left/right margins (DECLRMM / DECSLRM)",
    "13state_edit:81": "xterm moves the cursor to column 0 on IL, checked",
    "13state_edit:269": "DECSCA 2 is reported as 0 (both mean not protected)",
    "14state_encoding:59": _XTERM_8BIT,
    "14state_encoding:65": _XTERM_8BIT,
    "14state_encoding:66": _XTERM_8BIT,
    "14state_encoding:72": _XTERM_8BIT,
    "14state_encoding:75": _XTERM_8BIT,
    "14state_encoding:81": _XTERM_8BIT,
    "14state_encoding:84": _XTERM_8BIT,
    "14state_encoding:90": _XTERM_8BIT,
    "14state_encoding:93": _XTERM_8BIT,
    "14state_encoding:102": _XTERM_8BIT,
    "14state_encoding:103": _XTERM_8BIT,
    "14state_encoding:104": _XTERM_8BIT,
    "14state_encoding:105": _XTERM_8BIT,
    "26state_query:62": _XTERM_8BIT,
    "16state_resize:36": _REFLOW,
    "26state_query:7": "DA: we answer as a VT220 with colour (xterm answers as a VT420)",
    "26state_query:12": "XTVERSION: we give our own name",
    "26state_query:27": "DECXCPR: xterm adds the page (;1), checked",
    "26state_query:37": _DECRQSS_SGR,
    "26state_query:42": _DECRQSS_SGR,
    "26state_query:47": _DECRQSS_SGR,
    "26state_query:52": _DECRQSS_SGR,
    "26state_query:57": _DECRQSS_SGR,
    "30state_pen:111": "bold as bright colours is the view's choice, not a pen colour",
    "30state_pen:114": "bold as bright colours is the view's choice, not a pen colour",
    "31state_rep:42": "xterm repeats the base character without its combining mark, checked",
    "31state_rep:127": "xterm's REP wraps at the line end as printing does, checked",
    "32state_flow:28": "tmux ends a row's wrap only when the whole row is erased, checked",
    **{f"63screen_resize:{n}": _REFLOW for n in (53, 54, 55, 103, 104, 105, 106)},
    **{f"17state_mouse:{n}": _MOUSE_FAR for n in (118, 120, 122)},
    "17state_mouse:166": _URXVT,
    "17state_mouse:168": _URXVT,
    **{f"25state_input:{n}": _CSI_U for n in (12, 24, 34, 36, 42, 44, 50, 54, 58, 62, 99, 103)},
    **{f"69screen_reflow:{n}": _REFLOW for n in (36, 37, 38, 39, 41, 42, 43, 44)},
}

FILES = sorted(SUITE.glob("*.test"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_libvterm_script(path: Path) -> None:
    checks = run_file(path)  # (some files have no checks: nothing may crash)
    failed = [c for c in checks if not c.ok and c.key not in KNOWN]
    assert not failed, "\n".join(
        f"{c.key} [{c.test}] {c.what}: expected {c.expected!r}, got {c.actual!r}" for c in failed
    )
    mine = {c.key for c in checks}
    stale = [k for k in KNOWN if k in mine and all(c.ok for c in checks if c.key == k)]
    assert not stale, f"listed as differing but passing now: {stale}"


def test_the_suite_checks_hundreds_of_things() -> None:
    total = sum(len(run_file(p)) for p in FILES)
    assert total > 700
