"""A trace node's status as the Traces page shows it: a stopped run's open nodes read cancelled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from onsembl_desktop.ui.pages.trace_widgets import node_status
from onsembl_desktop.ui.presentation.reads import TraceNode


def _node(**kw: Any) -> TraceNode:
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "parent_id": None,
        "agent_id": uuid.uuid4(),
        "agent_name": "c1",
        "type": "TOOL_CALL",
        "name": "Bash",
        "content": {},
        "started_at": datetime.now(UTC),
        "completed_at": datetime.now(UTC),
        "duration_ms": 1200,
        "tokens_used": None,
        "error": None,
        "metadata": None,
    }
    fields.update(kw)
    return TraceNode(**fields)


def test_statuses() -> None:
    assert node_status(_node()) == "ok"
    assert node_status(_node(error="exit 1")) == "failed"
    assert node_status(_node(completed_at=None, duration_ms=None)) == "running"
    # Closed by a cancel or an emergency stop (the agent's adapter: metadata.status).
    assert node_status(_node(metadata={"status": "CANCELLED"})) == "cancelled"
    # A limit stop is a failure with its reason: the error wins.
    assert node_status(_node(error="time limit", metadata={"status": "FAILED"})) == "failed"
