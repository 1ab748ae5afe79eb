"""Interim Terminal backed by stock pyte (correct-ish, slow); replaced by the own engine."""

from __future__ import annotations

import codecs
import copy
from collections.abc import Callable
from typing import Any

import pyte
from pyte.graphics import FG_BG_256

from .model import Attr, Color, Run, rgb

_NAMES = ["black", "red", "green", "brown", "blue", "magenta", "cyan", "white"]
_NAMED = {n: i for i, n in enumerate(_NAMES)} | {"bright" + n: i + 8 for i, n in enumerate(_NAMES)}
_NAMED["brightyellow"] = 11
_HEX256 = {h: i for i, h in reversed(list(enumerate(FG_BG_256)))}


def _color(value: str) -> Color:
    if value == "default":
        return -1
    if value in _NAMED:
        return _NAMED[value]
    if value in _HEX256:
        return _HEX256[value]
    try:
        n = int(value, 16)
    except ValueError:
        return -1
    return rgb(n >> 16, n >> 8, n)


class _Screen(pyte.HistoryScreen):
    def __init__(self, cols: int, rows: int, history: int) -> None:
        super().__init__(cols, rows, history=history, ratio=0.5)
        self.alt: tuple[Any, Any] | None = None
        self.reply: Callable[[str], None] | None = None

    def select_graphic_rendition(self, *attrs: int, **kwargs: Any) -> None:
        if not kwargs.get("private"):
            super().select_graphic_rendition(*attrs)

    def write_process_input(self, data: str) -> None:
        if self.reply is not None:
            self.reply(data)

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and {47, 1047, 1049} & set(modes) and self.alt is None:
            self.alt = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.erase_in_display(2)
        super().set_mode(*modes, **kwargs)

    def index(self) -> None:
        if self.alt is None:
            super().index()
        else:
            pyte.Screen.index(self)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and {47, 1047, 1049} & set(modes) and self.alt is not None:
            buffer, cursor = self.alt
            self.alt = None
            self.buffer.clear()
            self.buffer.update(buffer)
            if 1049 in modes:
                self.cursor = cursor
            self.dirty.update(range(self.lines))
        super().reset_mode(*modes, **kwargs)


class Terminal:
    """A VT terminal: feed it output, read back what a real terminal shows."""

    def __init__(
        self,
        cols: int = 80,
        rows: int = 24,
        scrollback: int = 10_000,
        on_reply: Callable[[str], None] | None = None,
    ) -> None:
        self._scrollback = scrollback
        self._screen = _Screen(cols, rows, scrollback)
        self._screen.reply = on_reply
        self._stream = pyte.Stream(self._screen)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._hist_len = 0
        self._pushed = 0

    def feed(self, text: str) -> None:
        for ch in text:
            try:
                self._stream.feed(ch)
            except Exception:
                self._stream = pyte.Stream(self._screen)

    def feed_bytes(self, data: bytes) -> None:
        self.feed(self._decoder.decode(data))

    def resize(self, cols: int, rows: int) -> None:
        self._screen.resize(lines=rows, columns=cols)

    @property
    def cols(self) -> int:
        return int(self._screen.columns)

    @property
    def rows(self) -> int:
        return int(self._screen.lines)

    @property
    def dirty(self) -> set[int]:
        return set(self._screen.dirty)

    def clear_dirty(self) -> None:
        self._screen.dirty.clear()

    @property
    def scrolled(self) -> int:
        return 0

    def _line_runs(self, line: Any) -> list[Run]:
        runs: list[Run] = []
        for x in range(self.cols):
            ch = line[x]
            attrs = Attr(
                (Attr.BOLD if ch.bold else 0)
                | (Attr.ITALIC if ch.italics else 0)
                | (Attr.UNDERLINE if ch.underscore else 0)
                | (Attr.STRIKE if ch.strikethrough else 0)
                | (Attr.INVERSE if ch.reverse else 0)
                | (Attr.BLINK if ch.blink else 0)
            )
            fg, bg = _color(ch.fg), _color(ch.bg)
            cells = 1
            if runs and runs[-1][2:] == (fg, bg, attrs):
                last = runs.pop()
                ch_text, cells = last.text + ch.data, last.cells + 1
            else:
                ch_text = ch.data
            runs.append(Run(ch_text, cells, fg, bg, attrs))
        return runs

    def row_runs(self, y: int) -> list[Run]:
        return self._line_runs(self._screen.buffer[y])

    @property
    def history_size(self) -> int:
        return len(self._screen.history.top)

    def history_runs(self, i: int) -> list[Run]:
        return self._line_runs(self._screen.history.top[i])

    def display(self) -> list[str]:
        return [line.rstrip() for line in self._screen.display]

    def history_text(self) -> list[str]:
        return ["".join(r.text for r in self.history_runs(i)).rstrip()
                for i in range(self.history_size)]  # fmt: skip

    @property
    def cursor(self) -> tuple[int, int]:
        return (int(self._screen.cursor.x), int(self._screen.cursor.y))

    @property
    def cursor_visible(self) -> bool:
        return not self._screen.cursor.hidden

    @property
    def title(self) -> str:
        return str(self._screen.title)

    @property
    def in_alternate_screen(self) -> bool:
        return self._screen.alt is not None

    def reset(self) -> None:
        self._screen.reset()
        self._screen.alt = None
