"""Codex resume accounting and legacy output; Gemini turns, errors and JSON output."""

from __future__ import annotations

import json

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.agent.adapters.codex import CodexAdapter
from onsembl_desktop.protocol.enums import CommandStatus, TraceType

from .samples import STREAMS, FakeClock, feed, lines_of

CODEX = STREAMS / "codex"
GEMINI = STREAMS / "gemini"


def test_codex_resume_counts_only_this_commands_tokens() -> None:
    adapter = CodexAdapter(clock=FakeClock())
    first = feed("codex", lines_of(CODEX / "justazul-resume-turn1.jsonl"), adapter=adapter)
    second = feed("codex", lines_of(CODEX / "justazul-resume-turn2.jsonl"), adapter=adapter)
    assert first.final.usage is not None and first.final.usage.input_tokens == 18584
    usage = second.final.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens) == (
        40559 - 18584,
        14 - 5,
        29184 - 11008,
    )
    assert second.final.session_id == first.final.session_id


def test_codex_per_turn_figures_are_taken_as_they_are() -> None:
    adapter = CodexAdapter(clock=FakeClock())
    thread = json.dumps({"type": "thread.started", "thread_id": "t"})

    def turn(tokens: int) -> list[str]:
        usage = {"input_tokens": tokens, "cached_input_tokens": 0, "output_tokens": 1}
        return [thread, json.dumps({"type": "turn.completed", "usage": usage})]

    feed("codex", turn(5000), adapter=adapter)
    run = feed("codex", turn(300), adapter=adapter)  # smaller: an older build, per turn
    assert run.final.usage is not None and run.final.usage.input_tokens == 300


def test_codex_concatenated_runs_keep_distinct_items_and_the_last_total() -> None:
    run = feed(
        "codex", lines_of(CODEX / "untether-0.157.1-resume-cumulative-usage-commented.jsonl")
    )
    turns = [n for n in run.nodes.values() if n.type is TraceType.LLM_PROMPT and n.parent_id]
    assert len(turns) == 3
    assert sum(t.tokens_used or 0 for t in turns) == 32017 + 21
    assert run.transcript.count("Hi") == 3


def test_codex_api_error_is_readable() -> None:
    run = feed("codex", lines_of(CODEX / "untether-turn-failed-minimal-reasoning-two-runs.jsonl"))
    assert run.final.error == (
        "Unsupported value: 'minimal' is not supported with the 'gpt-5.5' model. Supported values"
        " are: 'none', 'low', 'medium', 'high', and 'xhigh'. (invalid_request_error, HTTP 400)"
    )


def test_codex_failed_command_is_an_errored_tool_call() -> None:
    run = feed("codex", lines_of(CODEX / "justazul-review-ok-command-failed.jsonl"))
    errors = [n.error for n in run.tool_calls()]
    assert errors == [None, "exit code 1"]


def test_codex_truncated_stream_fails_and_says_so() -> None:
    run = feed(
        "codex", lines_of(CODEX / "agentcmd-stream-output-multi-1-truncated.jsonl"), exit_code=None
    )
    assert run.final.status is CommandStatus.FAILED
    assert run.final.error == "codex was killed before its final result"


def test_gemini_infers_a_new_turn_after_tool_results() -> None:
    run = feed(
        "gemini", lines_of(GEMINI / "testembedded-edited-parallel-tools-write-file-no-output.jsonl")
    )
    turns = [n for n in run.nodes.values() if n.type is TraceType.LLM_PROMPT and n.parent_id]
    assert len(turns) == 2
    tools = run.tool_calls()
    assert {t.parent_id for t in tools} == {turns[0].id}
    response = next(n for n in run.nodes.values() if n.type is TraceType.RESPONSE)
    assert response.parent_id == turns[1].id and response.content["text"] == "OK."


def test_gemini_error_result_and_tool_error() -> None:
    lines = [
        json.dumps({"type": "init", "session_id": "s", "model": "g"}),
        json.dumps(
            {"type": "tool_use", "tool_name": "read_file", "tool_id": "r1", "parameters": {}}
        ),
        json.dumps(
            {
                "type": "tool_result",
                "tool_id": "r1",
                "status": "error",
                "error": {"type": "invalid_tool_params", "message": "missing path"},
            }
        ),
        json.dumps({"type": "error", "severity": "warning", "message": "Loop detected"}),
        json.dumps(
            {
                "type": "result",
                "status": "error",
                "stats": {},
                "error": {"type": "FatalAuthenticationError", "message": "Auth failed"},
            }
        ),
    ]
    run = feed("gemini", lines, exit_code=41)
    assert run.final.status is CommandStatus.FAILED
    assert run.final.error == "Auth failed (FatalAuthenticationError)"
    (tool,) = run.tool_calls()
    assert tool.error == "missing path (invalid_tool_params)"
    assert "Loop detected" in run.transcript


def test_gemini_text_deltas_are_painted_as_they_come() -> None:
    run = feed("gemini", lines_of(GEMINI / "docembedded-evalphase2-say-hello.jsonl"))
    assert "Hello. How can I help you with the Clawperator codebase today?" in run.transcript


def test_gemini_auth_error_printed_only_on_stderr() -> None:
    run = feed("gemini", [], exit_code=41, stderr="Please set an Auth method\n")
    assert run.final.status is CommandStatus.FAILED
    assert (
        run.final.error
        == "Please set an Auth method (gemini exited with code 41 before its final result)"
    )
    assert len(run.of(base.Final)) == 1


def test_gemini_json_output_counts_tool_calls_in_words() -> None:
    # The single-document ``--output-format json`` result lists the calls per tool: "1 call", not
    # "1 call(s)".
    run = feed("gemini", lines_of(GEMINI / "json-output/docs-headless-france-json-output.json"))
    assert "google_web_search: 1 call\n" in run.transcript
    assert "(s)" not in run.transcript
