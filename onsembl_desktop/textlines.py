"""Terminal text cut into whole visible lines, colour kept (Qt-free, a leaf).

Where several agents' output is interleaved line by line — the window's All view, ``onsembl ctl
show`` and ``send --wait`` of a command sent to several agents — each agent's stream is cut into
lines and stripped of everything but colour (cursor moves, titles, erases), and a line redrawn
with carriage returns keeps only its last version, as a progress bar shows it.
"""

from __future__ import annotations

import re

# Everything but colour: escape sequences other than SGR, and C0 controls except TAB, LF, CR, ESC
# (CR is kept for the redrawn lines; it was in the dropped range, so a progress line read
# "10%50%100%").
# (An unterminated OSC or DCS ends at the line's end, as when lines were cleaned one by one.)
_NOT_SGR = re.compile(
    r"\x1b(?!\[[0-9;:]*m)"  # an escape that is not SGR (SGR is kept, with 4:3 and 58:2::r:g:b)
    r"(?:\[[0-?]*[ -/]*[@-~]"  # other CSI
    r"|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC
    r"|[P^_X][^\x1b\n]*(?:\x1b\\)?"  # DCS, PM, APC, SOS
    r"|[ -/]*[0-~])"  # other escapes
    r"|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]"
)
_BLANK = re.compile(r"(?:\x1b\[[0-9;:]*m|\s)*")  # nothing visible: colour codes and spaces


def _last_version(line: str) -> str:
    """A line redrawn with carriage returns, as it was left (a progress bar's last state)."""
    parts = [p for p in line.split("\r") if p]
    return parts[-1] if parts else ""


def clean_lines(text: str) -> list[str]:
    """The visible lines of ``text`` (complete lines, without the last newline), each cleaned:
    colour kept, other sequences and controls removed, redrawn lines as they were left."""
    text = _NOT_SGR.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # (what splitting at CR would leave anyway)
    lines = text.split("\n")
    if "\r" in text:
        lines = [_last_version(line) if "\r" in line else line for line in lines]
    return [line for line in lines if not _BLANK.fullmatch(line)]


class LineCutter:
    """Each source's text as it comes, cut into whole clean lines (a line waits for its end)."""

    def __init__(self, max_partial: int = 65_536) -> None:
        self._partial: dict[object, str] = {}
        self.max_partial = max_partial  # a runaway line without a newline stays bounded

    def take(self, source: object, text: str) -> list[str]:
        """The lines ``text`` completes for ``source``."""
        pending = self._partial.pop(source, "") + text
        cut = pending.rfind("\n")
        if cut < len(pending) - 1:
            self._partial[source] = pending[cut + 1 :][-self.max_partial :]
        return clean_lines(pending[:cut]) if cut >= 0 else []

    def rest(self, source: object) -> list[str]:
        """The unfinished line of ``source``, as it stands (ends it)."""
        return clean_lines(self._partial.pop(source, ""))

    def sources(self) -> list[object]:
        """The sources with an unfinished line."""
        return list(self._partial)

    def drop(self, source: object) -> None:
        self._partial.pop(source, None)

    def clear(self) -> None:
        self._partial.clear()
