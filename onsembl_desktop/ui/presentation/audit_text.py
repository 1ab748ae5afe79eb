"""An audit event in words (Qt-free): who or what did it, and its details as "key: value" text
rather than raw JSON — one line for the list, every field for the tooltip and the details pane."""

from __future__ import annotations

import json
from typing import Any

from ...core.audit import CTL_ORIGIN, DEMO_ORIGIN
from ...protocol.enums import AuditEventType as E
from .reads import AuditRow

# Events an agent reports or causes (its connection, its run's end, its errors and requests).
_BY_AGENT = frozenset(
    {
        E.AGENT_CONNECT,
        E.AGENT_DISCONNECT,
        E.AGENT_ERROR,
        E.COMMAND_COMPLETED,
        E.COMMAND_FAILED,
        E.TOKEN_LIMIT_EXCEEDED,
        E.TIME_LIMIT_EXCEEDED,
        E.MEMORY_LIMIT_EXCEEDED,
        E.APPROVAL_REQUESTED,
    }
)
_ORIGINS = {CTL_ORIGIN: "onsembl ctl", DEMO_ORIGIN: "the demo"}
# Shown first in the one-line form: what says most about an event.
_FIRST = ("content", "status", "reason", "error", "message", "code", "action", "tokens")
_ENUMS = frozenset({"type", "status", "reason", "action"})  # keys whose values are enum names
_SKIP = frozenset({"instance_id"})  # (the ids a person does not read; the pane keeps them)


def who(row: AuditRow) -> str:
    """Who or what did it: you (in the window), onsembl ctl, the demo, an agent, or the app."""
    if row.user_agent:
        return _ORIGINS.get(row.user_agent, row.user_agent)
    if row.by_user:
        return "you"
    if row.event_type == E.AUTH_FAILED:
        return f"a client at {row.ip_address}" if row.ip_address else "an unknown client"
    if row.event_type in _BY_AGENT and row.agent_name:
        return row.agent_name
    if row.event_type == E.SYNC_CONFLICT:
        return "sync"
    return "Onsembl"


def who_tip(row: AuditRow) -> str:
    text = who(row)
    if text == "you":
        return "You, in the window"
    if row.event_type in _BY_AGENT and text == row.agent_name:
        return f"The agent {text} (it reported this)"
    if text == "Onsembl":
        return "The app itself (housekeeping, limits, start and stop)"
    return text


def details_line(row: AuditRow) -> str:
    """The details on one line: "content: Explain … · type: natural · priority: 50"."""
    parts = []
    for key, value in _ordered(row.details):
        if key in _SKIP or _empty(value) or value == row.agent_name:
            continue
        if key in _ENUMS and isinstance(value, str):
            value = value.lower()  # (NATURAL reads natural)
        parts.append(f"{_label(key)}: {_inline(value)}")
    return " · ".join(parts)


def details_text(row: AuditRow) -> str:
    """Every detail, one "key: value" per line (nested values indented), for a tooltip or the
    details pane."""
    lines: list[str] = []
    for key, value in _ordered(row.details):
        _block(lines, key, value, 0)
    return "\n".join(lines)


def _ordered(details: dict[str, Any]) -> list[tuple[str, Any]]:
    first = [(k, details[k]) for k in _FIRST if k in details]
    return first + [(k, v) for k, v in details.items() if k not in _FIRST]


def _label(key: str) -> str:
    return key.replace("_", " ")


def _empty(value: Any) -> bool:
    return value is None or value is False or value in ("", {}, [])


def _inline(value: Any, width: int = 80) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}" if abs(value) >= 10_000 else str(value)
    elif isinstance(value, dict):
        text = ", ".join(f"{_label(k)}={_inline(v, 30)}" for k, v in value.items() if not _empty(v))
    elif isinstance(value, list):
        shown = [_inline(v, 30) for v in value[:5]]
        text = ", ".join(shown) + (f", … ({len(value)} in all)" if len(value) > 5 else "")
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _block(lines: list[str], key: str, value: Any, depth: int) -> None:
    pad = "  " * depth
    if isinstance(value, dict) and value:
        lines.append(f"{pad}{_label(key)}:")
        for k, v in value.items():
            _block(lines, k, v, depth + 1)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        lines.append(f"{pad}{_label(key)}:")
        lines += [f"{pad}  - {json.dumps(v, ensure_ascii=False, default=str)}" for v in value]
    elif isinstance(value, str) and "\n" in value:
        lines.append(f"{pad}{_label(key)}:")
        lines += [f"{pad}  {line}" for line in value.splitlines()]
    else:
        shown = "—" if value is None else _inline(value, 10_000)
        lines.append(f"{pad}{_label(key)}: {shown}")
