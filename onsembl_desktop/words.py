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


def count(value: int) -> str:
    """A count in at most three significant digits, the way every view writes a token count:
    "741", "9.87k", "33.3k", "157k", "1.24M" (the exact figure goes in a tooltip)."""
    if abs(value) < 1000:
        return str(value)
    for unit, size in (("k", 1e3), ("M", 1e6), ("G", 1e9)):
        scaled = value / size
        text = f"{scaled:.3g}"
        if abs(float(text)) < 1000 or unit == "G":
            return text + unit
    return str(value)  # (unreachable: G takes everything past M)


def duration(seconds: float) -> str:
    """A span of time, as every view writes one: "850 ms", "4.3 s", "2 min 05 s", "1 h 02 min"."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))} ms"
    if round(seconds, 1) < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
