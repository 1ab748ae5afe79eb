"""How the window writes a command's or an agent's figures: one format in every view (Qt-free).

Token counts are short ("157k tok"), the exact split in a tooltip; spans of time are
:func:`words.duration`. A command's figures come from one place, its runs (what the agents
reported and the app timed); where a figure means something else — the time a CLI counted for
itself, a trace node's own span — the view says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ...core.state import Tokens
from ...words import count, duration

__all__ = [
    "count",
    "duration",
    "duration_ms",
    "tokens_count",
    "tokens_text",
    "tokens_tip",
    "when",
    "when_tip",
]


def tokens_text(t: Tokens) -> str:
    """An agent's or a command's tokens and cost: "157k tok · $0.23"; "" when nothing was
    reported (a shell agent has no tokens: "0 tok" read as a count)."""
    if not t.total and t.cost_usd is None:
        return ""
    text = f"{count(t.total)} tok"
    if t.cost_usd and t.estimated:  # from a price table, not the CLI: an estimate
        text += f" · ≈${t.cost_usd:.2f} est."
    elif t.cost_usd:
        text += f" · ${t.cost_usd:.2f}"
    return text


def tokens_count(t: Tokens) -> str:
    """The count alone, for a column headed Tokens: "157k"; "" when none were reported."""
    return count(t.total) if t.total else ""


def tokens_tip(t: Tokens) -> str:
    """The exact figures behind :func:`tokens_text`, for its tooltip."""
    if not t.total and t.cost_usd is None:
        return "No tokens reported"
    lines = [f"{t.total:,} tokens: {t.input:,} in ({t.cached:,} of them cached), {t.output:,} out"]
    if t.cost_usd is not None:
        lines.append(f"Cost: ${t.cost_usd:.4f}")
    return "\n".join(lines)


def duration_ms(ms: int | None) -> str:
    """:func:`words.duration` of milliseconds; "" when unknown."""
    return "" if ms is None else duration(ms / 1000)


def when(at: datetime, now: datetime | None = None) -> str:
    """A moment in a list, local time, as short as tells it apart: "14:03:07" today,
    "Dec 07 14:03" this year, "2025-12-07 14:03" before."""
    local = at.astimezone()
    today = (now or datetime.now(UTC)).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    if local.year == today.year:
        return local.strftime("%b %d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def when_tip(at: datetime) -> str:
    """The whole moment, for a tooltip."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
