"""Words for messages, shared by the command line, the core's notices and the window (Qt-free)."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """A count and its noun: "1 queue", "4 queues" (``nouns``: an irregular plural)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {nouns if nouns is not None else noun + 's'}"


def first_line(text: str | None, *, width: int | None = None, empty: str = "") -> str:
    """The text's first non-blank line (``empty`` when there is none), cut to ``width``
    characters with "…" when longer."""
    lines = (text or "").strip().splitlines()
    if not lines:
        return empty
    line = lines[0]
    return line if width is None or len(line) <= width else line[: width - 1] + "…"
