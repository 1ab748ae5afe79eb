"""The coloured transcript painted into the agent's terminal view.

Everything the CLI says passes through :func:`clean` first: its own escape sequences and control
characters are dropped (a tool's output must not be able to clear or retitle the user's terminal)
and line ends become ``\\r\\n``, because a VT emulator paints the result.
"""

from __future__ import annotations

import re
from typing import Any

from ._json import to_text

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
ITALIC = "\x1b[3m"
RED = "\x1b[31m"
GREEN = "\x1b[32m"
YELLOW = "\x1b[33m"
MAGENTA = "\x1b[35m"
CYAN = "\x1b[36m"

# The transcript's markers. Each is in WGL4 (the glyph set Consolas and Menlo cover) and in DejaVu
# Sans Mono, the usual monospace font on Linux: Claude Code's own ⏺ and ⎿ are in none of them and
# painted as boxes (tests/agent_adapters/test_markers.py checks the app's monospace font).
MARK_TOOL = "●"  # a tool call (and a session note)
MARK_RESULT = "└"  # a tool's result, under its call
MARK_ERROR = "×"  # in front of a failed tool's result
MARK_THINKING = "◦"  # the model's reasoning
MARK_SUB = "→"  # a sub-agent's start, end or prompt
MARK_NEST = "│"  # the indent of a sub-agent's lines
MARK_END = "■"  # the run's last line (as the app's own footer): completed, failed or stopped
MARK_DONE, MARK_OPEN = "■", "□"  # a plan's items
MARKS = (
    MARK_TOOL,
    MARK_RESULT,
    MARK_ERROR,
    MARK_THINKING,
    MARK_SUB,
    MARK_NEST,
    MARK_END,
    MARK_DONE,
    MARK_OPEN,
    "…",
    "·",
)

CRLF = "\r\n"
RESULT_LINES = 4  # lines of a tool result shown in the transcript
LINE_WIDTH = 160

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """CLI text made safe to paint: no escape sequences or controls; ``\\n`` line ends."""
    text = _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROLS.sub("", text)


def one_line(text: str, limit: int = 120) -> str:
    """The text on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def first_lines(text: str, count: int = RESULT_LINES) -> tuple[list[str], int]:
    """The first ``count`` non-blank-trailing lines of ``text`` and how many more there are."""
    lines = clean(text).rstrip("\n").split("\n")
    if lines == [""]:
        return [], 0
    shown = [line if len(line) <= LINE_WIDTH else line[: LINE_WIDTH - 1] + "…" for line in lines]
    return shown[:count], max(0, len(lines) - count)


# Which argument says the most about a call, per tool (Claude, Gemini and Codex names).
_KEY_ARGS = (
    "command",
    "cmd",
    "file_path",
    "absolute_path",
    "path",
    "dir_path",
    "pattern",
    "query",
    "url",
    "description",
    "prompt",
    "notebook_path",
)


def summarize_args(args: object, limit: int = 100) -> str:
    """A one-line preview of a tool call's arguments."""
    if not isinstance(args, dict):
        return one_line(to_text(args), limit)
    for key in _KEY_ARGS:
        value = args.get(key)
        if isinstance(value, str) and value:
            return one_line(value, limit)
    parts = [f"{k}={one_line(to_text(v), 40)}" for k, v in list(args.items())[:3]]
    return one_line(", ".join(parts), limit)


def human_count(value: int) -> str:
    return f"{value:,}"


class Transcript:
    """Collects the transcript text of one CLI line, knowing whether the cursor is at column 0.

    Gemini streams assistant text in pieces without line ends, so a tool-call line printed after
    them must first end the current line; the state persists across CLI lines for that reason.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._at_line_start = True

    def take(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text

    def text(self, text: str, *, indent: str = "") -> None:
        """Free text (assistant prose), possibly a fragment of a longer message."""
        text = clean(text)
        if not text:
            return
        lines = text.split("\n")
        out: list[str] = []
        for index, line in enumerate(lines):
            if index > 0:
                out.append(CRLF)
                self._at_line_start = True
            if line:
                if self._at_line_start and indent:
                    out.append(indent)
                out.append(line)
                self._at_line_start = False
        self._parts.append("".join(out))

    def end_text(self) -> None:
        """Ends a complete text block: the next line starts at column 0."""
        self.newline_if_needed()

    def newline_if_needed(self) -> None:
        if not self._at_line_start:
            self._parts.append(CRLF)
            self._at_line_start = True

    def line(self, text: str, *, style: str = "", indent: str = "") -> None:
        """One whole line (already cleaned by the caller where it holds CLI text)."""
        self.newline_if_needed()
        body = f"{style}{text}{RESET}" if style else text
        self._parts.append(f"{indent}{body}{CRLF}")

    def block(self, text: str, *, style: str = "", indent: str = "") -> None:
        """Several lines of CLI text, each styled and indented."""
        for line in clean(text).rstrip("\n").split("\n"):
            self.line(line, style=style, indent=indent)

    def tool_call(self, name: str, args: Any, *, indent: str = "") -> None:
        preview = summarize_args(args)
        suffix = f"{DIM}({preview}){RESET}" if preview else ""
        self.line(f"{CYAN}{BOLD}{MARK_TOOL} {one_line(name, 60)}{RESET}{suffix}", indent=indent)

    def tool_result(self, text: str, *, error: bool = False, indent: str = "") -> None:
        lines, more = first_lines(text)
        style = RED if error else DIM
        mark = f"{MARK_ERROR} " if error else ""
        if not lines:
            self.line(f"  {MARK_RESULT} {mark}(no output)", style=style, indent=indent)
            return
        self.line(f"  {MARK_RESULT} {mark}{lines[0]}", style=style, indent=indent)
        for line in lines[1:]:
            self.line(f"    {line}", style=style, indent=indent)
        if more:
            self.line(f"    … +{more} lines", style=DIM, indent=indent)

    def thinking(self, text: str, *, indent: str = "") -> None:
        lines, more = first_lines(text, 6)
        if not lines:
            self.line(f"{MARK_THINKING} Thinking…", style=DIM + ITALIC, indent=indent)
            return
        for index, line in enumerate(lines):
            lead = f"{MARK_THINKING} " if index == 0 else "  "
            self.line(lead + line, style=DIM + ITALIC, indent=indent)
        if more:
            self.line(f"  … +{more} lines", style=DIM, indent=indent)

    def error(self, text: str, *, indent: str = "") -> None:
        self.block(text, style=RED, indent=indent)

    def warning(self, text: str, *, indent: str = "") -> None:
        self.block(text, style=YELLOW, indent=indent)

    def note(self, text: str, *, indent: str = "") -> None:
        self.block(text, style=DIM, indent=indent)
