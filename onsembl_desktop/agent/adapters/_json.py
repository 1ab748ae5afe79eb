"""Reading the CLIs' JSON output defensively: typed accessors and a line reader.

The CLIs change their output from release to release, so every value read from an event goes
through an accessor that returns a sane default for a missing key or a wrong type, instead of
raising: a field we did not expect must never stop the agent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

JsonObj = dict[str, Any]


def as_dict(value: object) -> JsonObj:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def as_int(value: object) -> int:
    """A non-negative token/duration count; anything else (bool, NaN, negative, text) is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    return max(0, int(value))


def opt_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value)


def opt_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) and result >= 0 else None


def iso_to_ms(value: object) -> int | None:
    """Milliseconds since the epoch of an ISO-8601 timestamp (``...Z`` included), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None  # a naive time is ambiguous; fall back to our own clock
    ms = int(parsed.timestamp() * 1000)
    return ms if ms >= 0 else None


def to_text(value: object) -> str:
    """Readable text of a tool result or argument: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # circular structures cannot come from json.loads, but be safe
        return repr(value)


@dataclass(frozen=True, slots=True)
class Doc:
    """A parsed JSON value and the line(s) it came from."""

    value: Any
    raw: str


@dataclass(frozen=True, slots=True)
class Text:
    """A line that is not JSON (a warning, a banner, a fixture's ``#`` comment)."""

    text: str
    raw: str
    comment: bool = False


class JsonLineReader:
    """Splits a CLI's stdout into JSON documents and plain lines.

    Most output is one JSON object per line. Two exceptions are handled: pretty-printed documents
    (``--output-format json`` of Gemini, and authors' copies of Claude events), which open with a
    lone ``{`` or ``[`` and close with a lone ``}`` or ``]`` at column 0, and lines that are not
    JSON at all. A pretty-printed document that never closes is given back as plain lines.
    """

    MAX_PENDING_LINES = 20_000
    MAX_PENDING_CHARS = 16_000_000

    def __init__(self) -> None:
        self._pending: list[str] | None = None
        self._pending_chars = 0

    def feed(self, line: str) -> list[Doc | Text]:
        line = line.removesuffix("\n").removesuffix("\r")
        if self._pending is not None:
            return self._feed_pending(line)
        if line in ("{", "["):
            self._pending = [line]
            self._pending_chars = len(line)
            return []
        return [self._classify(line)]

    def flush(self) -> list[Doc | Text]:
        """The stream ended: whatever is still pending, as plain lines."""
        pending, self._pending = self._pending, None
        return [Text(text=p, raw=p) for p in pending or []]

    def _feed_pending(self, line: str) -> list[Doc | Text]:
        assert self._pending is not None
        self._pending.append(line)
        self._pending_chars += len(line) + 1
        if line in ("}", "]"):
            raw = "\n".join(self._pending)
            try:
                value = json.loads(raw)
            except (ValueError, RecursionError):
                pass
            else:
                self._pending = None
                return [Doc(value=value, raw=raw)]
        if len(self._pending) > self.MAX_PENDING_LINES or (
            self._pending_chars > self.MAX_PENDING_CHARS
        ):
            return self.flush()
        return []

    @staticmethod
    def _classify(line: str) -> Doc | Text:
        stripped = line.strip()
        if stripped.startswith("#"):
            return Text(text=line, raw=line, comment=True)
        if stripped[:1] in ("{", "["):
            try:
                return Doc(value=json.loads(stripped), raw=line)
            except (ValueError, RecursionError):  # deep nesting is junk, not a crash
                pass
        return Text(text=line, raw=line)
