"""A Claude run cancelled in the middle of a tool call, through the real app: the command, its
transcript and its trace all say cancelled (the Traces page counts a node with an error as
failed)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from tests.agent_adapters.samples import STREAMS
from tests.support import AgentProcess, AppProcess, wait_for

from .e2e import Db, flat, standin

SAMPLE = STREAMS / "claude/agentclisdk-1760716800040-1-research-extracted.jsonl"


def test_cancelled_claude_run_is_cancelled_in_its_trace_and_transcript(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    # The CLI ignores SIGINT, so the stop's SIGTERM ends it (exit -15, no result event).
    start_agent(
        "c1",
        "claude",
        **standin("claude", sample=str(SAMPLE), truncate="3", hang="60", ignore_signals="INT"),
    )
    app.wait_agent("c1")
    command_id = uuid.UUID(app.send("c1", "list the files"))
    db = Db(app)
    wait_for(lambda: "Glob" in db.output(command_id), 15)
    result = app.ctl("cancel", str(command_id))
    assert result.returncode == 0, result.stderr
    view = app.wait_status(str(command_id), timeout=15)
    assert view["status"] == "CANCELLED"
    output = flat(db.output(command_id))
    assert "■ claude cancelled by the user after " in output
    assert "failed" not in output and "exited with code" not in output
    nodes = db.traces(command_id)  # written before the command's end (one agent stream, in order)
    assert [n["name"] for n in nodes if n["error"]] == []
    (root,) = [n for n in nodes if n["parent_id"] is None]
    assert json.loads(root["metadata"])["status"] == "CANCELLED"
    (tool,) = [n for n in nodes if n["type"] == "TOOL_CALL"]
    assert json.loads(tool["metadata"])["status"] == "CANCELLED"
    assert root["tokens_used"] and root["tokens_used"] == db.run(command_id)["total_tokens"]
