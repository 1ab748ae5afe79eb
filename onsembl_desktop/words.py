"""Words for messages, shared by the command line, the core's notices and the window (Qt-free)."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """A count and its noun: "1 queue", "4 queues" (``nouns``: an irregular plural)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {nouns if nouns is not None else noun + 's'}"
