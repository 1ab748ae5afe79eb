"""The field inventory: which event types and fields the real CLIs printed that the adapters do not
know. A report, never a failure: a new CLI version that adds a field is news to read, and the
adapters' ``FIELDS`` tables (what each one reads or knowingly leaves) are updated when it is read.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any

from onsembl_desktop.agent.adapters import fields

_lock = threading.Lock()
# (cli id, event key) -> field -> times seen
_unknown: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
_seen_events: dict[str, set[str]] = defaultdict(set)
_lines: dict[str, int] = defaultdict(int)
_notes: list[str] = []


def note(text: str) -> None:
    """A line for the run's summary (the newest releases' results)."""
    with _lock:
        if text not in _notes:
            _notes.append(text)


def record(cut: Any, raw_lines: list[str]) -> None:
    """Compare what one run printed with what the adapter of its CLI knows."""
    for line in raw_lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        key, new = fields.unknown_fields(cut.cli, event)
        with _lock:
            _lines[cut.id] += 1
            _seen_events[cut.id].add(key)
            for name in new:
                _unknown[(cut.id, key)][name] += 1


def summary() -> str:
    with _lock:
        if not _lines and not _notes:
            return ""
        out = list(_notes)
        for cli_id in sorted(_lines):
            events = sorted(_seen_events[cli_id])
            out.append(f"{cli_id}: {_lines[cli_id]} JSON lines, {len(events)} event types")
            unknown_events = [e for e in events if not fields.known_event(cli_id.split("@")[0], e)]
            if unknown_events:
                out.append(f"  new event types: {', '.join(unknown_events)}")
            for (cid, key), names in sorted(_unknown.items()):
                if cid == cli_id and names:
                    out.append(f"  {key}: new fields {', '.join(sorted(names))}")
            if not unknown_events and not any(c == cli_id for c, _ in _unknown):
                out.append("  nothing new")
        return "\n".join(out)
