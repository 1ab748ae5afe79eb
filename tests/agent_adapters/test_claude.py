"""Claude Code specifics: de-duplicated usage, sub-agents, errors, odd output."""

from __future__ import annotations

import json

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.protocol.enums import CommandStatus, TraceType

from .samples import STREAMS, feed, lines_of

CLAUDE = STREAMS / "claude"


def _assistant(message_id: str, text: str, tokens: int, parent: str | None = None) -> str:
    usage = {"input_tokens": tokens, "cache_read_input_tokens": 1000, "output_tokens": 2}
    message = {"id": message_id, "model": "m", "content": [{"type": "text", "text": text}]}
    return json.dumps(
        {"type": "assistant", "message": {**message, "usage": usage}, "parent_tool_use_id": parent}
    )


def test_usage_is_counted_once_per_message() -> None:
    lines = [
        _assistant("msg_1", "a", 10),
        _assistant("msg_1", "b", 10),
        _assistant("msg_2", "c", 5),
    ]
    run = feed("claude", lines)
    live = [u.usage.total_tokens for u in run.of(base.UsageSoFar)]
    assert live == [1012, 2019]  # msg_1 once (10 + 1000 cached + 2), then msg_2
    assert run.final.usage is not None and run.final.usage.cached_tokens == 2000


def test_sub_agent_events_nest_under_the_tool_call_that_spawned_them() -> None:
    run = feed(
        "claude",
        lines_of(
            CLAUDE / "hivemind-2.1.284-foreground-subagent-Agent-tool-parallel-bash-no-result.jsonl"
        ),
    )
    nodes = run.nodes
    agent = next(n for n in nodes.values() if n.name == "Agent")
    inner_bash = next(
        n
        for n in nodes.values()
        if n.content.get("tool_use_id") == "toolu_0162qQiwMQf5heSbeFKjnaUk"
    )
    sub_turn = nodes[inner_bash.parent_id]  # type: ignore[index]
    assert sub_turn.type is TraceType.LLM_PROMPT and sub_turn.parent_id == agent.id
    assert sub_turn.content["prompt"].startswith("Run the bash command: sleep 20")
    assert agent.tokens_used == sub_turn.tokens_used  # the sub-agent's turn rolled up
    assert agent.metadata and agent.metadata["status"] == "completed"
    # the parallel top-level Bash finished first; both have their results
    outer_bash = next(
        n
        for n in nodes.values()
        if n.content.get("tool_use_id") == "toolu_01KHJAprDEpuEwszTQZQ96B1"
    )
    assert outer_bash.content["result"] == "bash-done" and outer_bash.duration_ms == 18132
    assert "│" in run.transcript  # sub-agent lines are marked in the transcript


def test_a_stream_without_result_fails_with_the_stderr_tail() -> None:
    run = feed("claude", [_assistant("msg_1", "a", 1)], exit_code=1, stderr="boom: API down\n")
    assert run.final.status is CommandStatus.FAILED
    assert run.final.error and "boom: API down" in run.final.error and "code 1" in run.final.error


def test_not_logged_in_is_a_failure_with_the_clis_message() -> None:
    run = feed(
        "claude",
        lines_of(CLAUDE / "json-output/flywheel-ideas-2.1.126-json-verbose-array-auth-error.json"),
    )
    assert run.final.status is CommandStatus.FAILED
    assert run.final.error == "Not logged in · Please run /login"
    assert "\x1b[31mNot logged in" in "".join(o.text for o in run.of(base.Output))


def test_a_second_spurious_result_is_ignored() -> None:
    ok = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "result": "fine",
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    bad = {"type": "result", "subtype": "error_during_execution", "is_error": True, "usage": {}}
    run = feed("claude", [json.dumps(ok), json.dumps(bad)])
    assert run.final.status is CommandStatus.COMPLETED
    assert run.final.usage is not None and run.final.usage.total_tokens == 7


def test_partial_messages_give_the_final_output_count() -> None:
    start = {
        "type": "stream_event",
        "event": {
            "type": "message_start",
            "message": {"id": "msg_9", "usage": {"input_tokens": 5, "output_tokens": 1}},
        },
    }
    delta = {
        "type": "stream_event",
        "event": {"type": "message_delta", "usage": {"output_tokens": 40}},
    }
    run = feed("claude", [json.dumps(start), json.dumps(delta), _assistant("msg_9", "x", 5)])
    assert run.final.usage is not None and run.final.usage.output_tokens == 40


def test_permission_denials_and_tool_errors_are_shown() -> None:
    run = feed(
        "claude",
        lines_of(
            CLAUDE / "json-output/uspark-docs-json-output-permission-denials-prettyprinted.json"
        ),
    )
    assert (
        "permission denied: Edit(/workspaces/uspark6/turbo/apps/cli/test-file.txt)"
        in run.transcript
    )
    tool = {
        "type": "assistant",
        "message": {
            "id": "m1",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "/nope"}}
            ],
        },
    }
    result = {
        "type": "user",
        "message": {
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": "<tool_use_error>File does not exist.</tool_use_error>",
                    "is_error": True,
                }
            ]
        },
    }
    run = feed("claude", [json.dumps(tool), json.dumps(result)])
    (call,) = run.tool_calls()
    assert call.error and "File does not exist" in call.error and call.content["is_error"] is True
    assert "● Read(/nope)" in run.transcript


def test_cli_text_cannot_drive_the_terminal() -> None:
    run = feed("claude", [_assistant("m", "hi\x1b[2J\x1b]0;title\x07 there\x07", 1)])
    text = "".join(o.text for o in run.of(base.Output))
    assert "\x1b[2J" not in text and "\x1b]0" not in text and "\x07" not in text
    assert "hi there" in run.transcript
    assert "\n" not in text.replace("\r\n", "")  # every line end is CRLF


def test_timestamps_come_from_the_cli_or_the_injected_clock() -> None:
    run = feed("claude", lines_of(CLAUDE / "agentclisdk-1760716800040-1-research-extracted.jsonl"))
    root = next(n for n in run.nodes.values() if n.parent_id is None)
    # The root spans every node, from the first event to the last (not the CLI's duration_ms,
    # which leaves out its start-up: turns began after the root had ended).
    for node in run.nodes.values():
        assert node.completed_at is not None and root.completed_at is not None
        assert root.started_at <= node.started_at <= node.completed_at <= root.completed_at
    turns = [n for n in run.nodes.values() if n.type is TraceType.LLM_PROMPT and n.parent_id]
    starts = [t.started_at for t in turns]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # 5 ms per clock read
