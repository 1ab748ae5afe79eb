"""The adapters on output the real CLIs printed in the real-CLI suite (tests/realcli, recorded
with ONSEMBL_REALCLI_RECORD into tests/data/agent-streams/*/realcli/): the defects those runs
found stay fixed, fast, without the CLIs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from onsembl_desktop.agent.adapters import base, fields
from onsembl_desktop.agent.adapters.gemini import UNTRUSTED_HINT
from onsembl_desktop.protocol.enums import CommandStatus, TraceType

from .samples import ADAPTERS, ANSI, START_MS, STREAMS, FakeClock, Run, feed, lines_of, request

RECORDED = sorted(STREAMS.glob("*/realcli/*.jsonl"))
pytestmark = pytest.mark.skipif(not RECORDED, reason="no recorded real-CLI output")


def _path(cli: str, name: str) -> Path:
    return STREAMS / cli / "realcli" / name


def _stderr_of(path: Path) -> list[str]:
    other = path.with_name(path.name.removesuffix(".jsonl") + ".stderr")
    return lines_of(other) if other.exists() else []


def _replay(cli: str, name: str, exit_code: int | None = 0) -> Run:
    """Stdout through the parser, then stderr line by line (as the runner feeds them)."""
    path = _path(cli, name)
    run = feed(cli, lines_of(path), exit_code=exit_code)
    return run


def _parsed(
    cli: str, name: str, exit_code: int | None = 0, clock: Callable[[], float] | None = None
) -> tuple[list[base.AdapterEvent], str]:
    path = _path(cli, name)
    adapter = ADAPTERS[cli](clock=clock or FakeClock())
    parser = adapter.parser(request(), started_at_ms=START_MS)
    events: list[base.AdapterEvent] = []
    for line in lines_of(path):
        events += parser.feed_line(line)
    stderr = _stderr_of(path)
    for line in stderr:
        events += parser.feed_stderr(line)
    events += parser.finish(exit_code, "\n".join(stderr))
    text = "".join(e.text for e in events if isinstance(e, base.Output))
    return events, ANSI.sub("", text).replace("\r\n", "\n")


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_the_tables_know_every_field_these_versions_print(path: Path) -> None:
    cli = path.relative_to(STREAMS).parts[0]
    for line in lines_of(path):
        key, unknown = fields.unknown_fields(cli, json.loads(line))
        assert fields.known_event(cli, key), key
        assert unknown == [], (key, unknown)


def test_claude_resume_counts_this_runs_usage_not_the_sessions() -> None:
    lines = lines_of(_path("claude", "claude-2.1.337-resume_carries_the_conversation-2.jsonl"))
    result = next(json.loads(x) for x in lines if json.loads(x).get("type") == "result")
    own = result["model_usage_since_last_result"]
    assert own != result["modelUsage"]  # (the session's totals: what used to be charged)
    run = _replay("claude", "claude-2.1.337-resume_carries_the_conversation-2.jsonl")
    usage = run.final.usage
    assert usage is not None
    assert usage.output_tokens == sum(v["outputTokens"] for v in own.values())
    assert usage.cost_usd == pytest.approx(sum(v["costUSD"] for v in own.values()))


def test_claude_turn_tokens_are_each_messages_final_usage() -> None:
    run = _replay("claude", "claude-2.1.337-plain_answer-1.jsonl")
    deltas = [
        json.loads(x)["event"]["usage"]
        for x in run.lines
        if '"message_delta"' in x and json.loads(x).get("type") == "stream_event"
    ]
    turns = [n for n in run.nodes.values() if n.type is TraceType.LLM_PROMPT and n.parent_id]
    assert len(turns) == len(deltas) == 1
    final = deltas[0]
    expected = sum(
        final[k]
        for k in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        )
    )
    assert turns[0].tokens_used == expected and final["output_tokens"] > 1
    text = next(json.loads(x) for x in run.lines if json.loads(x).get("type") == "result")["result"]
    assert run.transcript.count(text) == 1  # streamed live, not printed again


@pytest.mark.parametrize("version", ["2.1.197", "2.1.337"])
def test_claude_api_error_retries_show_and_the_error_is_a_failed_turn(version: str) -> None:
    events, transcript = _parsed("claude", f"claude-{version}-api_error_with_retries-1.jsonl")
    notices = [e.text for e in events if isinstance(e, base.Notice)]
    assert notices[0] is not None and "retry 1 of 2" in notices[0] and notices[-1] is None
    assert "retry 1 of 2" in transcript and "↻" in transcript
    nodes = {e.node.id: e.node for e in events if isinstance(e, base.Trace)}
    turns = [n for n in nodes.values() if n.type is TraceType.LLM_PROMPT and n.parent_id]
    assert turns and all("<synthetic>" not in n.name and n.error for n in turns)
    final = [e for e in events if isinstance(e, base.Final)][-1]
    assert final.status is CommandStatus.FAILED
    assert transcript.count(final.error or "?") <= 2  # said once, and on the last line


def test_codex_says_its_final_error_once_and_stderr_notes_are_not_warnings() -> None:
    events, transcript = _parsed("codex", "codex-0.171.0-api_error_with_retries-1.jsonl", 1)
    final = [e for e in events if isinstance(e, base.Final)][-1]
    assert final.status is CommandStatus.FAILED and final.error
    assert transcript.count(final.error) == 2  # the error line, and the last line
    stderr = [e for e in events if isinstance(e, base.Output) and e.stream.value == "STDERR"]
    notes = [e.text for e in stderr if "Reading additional input" in e.text]
    assert all("\x1b[33m" not in n for n in notes)  # dim, not yellow


def test_gemini_failure_folds_traces_names_the_model_and_measures_its_time() -> None:
    ticks = iter([0.0] + [12.3] * 100_000)  # the run took 12.3 s by the runner's clock
    events, transcript = _parsed(
        "gemini", "gemini-0.61.0-api_error_with_retries-1.jsonl", 1, clock=lambda: next(ticks)
    )
    path = _path("gemini", "gemini-0.61.0-api_error_with_retries-1.jsonl")
    stderr = _stderr_of(path)
    assert len(stderr) > 20  # the CLI printed its stack traces
    shown = [x for x in transcript.split("\n") if x.strip()]
    assert len(shown) < len(stderr) / 2 and "more line" in transcript
    raw = [e.raw for e in events if isinstance(e, base.Output) and e.raw]
    assert all(line in raw for line in stderr)  # every line kept in the raw record
    last = transcript.split("\n")[-2]
    assert '"duration_ms":0' in _path("gemini", path.name).read_text()  # Gemini says 0
    assert "12.3 s" in last and "0.0 s" not in last, last
    nodes = {e.node.id: e.node for e in events if isinstance(e, base.Trace)}
    root = next(n for n in nodes.values() if n.parent_id is None)
    assert root.content.get("model") not in (None, "auto")
    final = [e for e in events if isinstance(e, base.Final)][-1]
    assert final.error and "API error:" in final.error and "HTTP 500" in final.error


def test_gemini_untrusted_folder_says_how_to_trust_it() -> None:
    """Gemini printed nothing on stdout, its red refusal on stderr, and exited 55."""
    stderr = lines_of(_path("gemini", "gemini-0.61.0-untrusted_folder-1.stderr"))
    assert any("\x1b[31m" in line for line in stderr)  # (as the CLI printed it)
    parser = ADAPTERS["gemini"](clock=FakeClock()).parser(request(), started_at_ms=START_MS)
    events: list[base.AdapterEvent] = []
    for line in stderr:
        events += parser.feed_stderr(line)
    events += parser.finish(55, "\n".join(stderr))
    final = [e for e in events if isinstance(e, base.Final)][-1]
    assert final.status is CommandStatus.FAILED
    assert final.error == UNTRUSTED_HINT and "\x1b" not in final.error
    assert all("\x1b[31mGemini" not in e.text for e in events if isinstance(e, base.Output))
