"""Acceptance: every real recorded sample, fed through its adapter's parser."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.protocol.enums import CommandStatus, TraceType

from .samples import COMMAND_ID, STREAMS, cli_of, expect, feed, lines_of, real_samples, sample_id

SAMPLES = real_samples()
pytestmark = pytest.mark.skipif(
    not SAMPLES, reason=f"no recorded samples at {STREAMS} (set ONSEMBL_AGENT_STREAMS)"
)
params = pytest.mark.parametrize("path", SAMPLES, ids=[sample_id(p) for p in SAMPLES])


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_samples_are_all_there() -> None:
    # SOURCES.md lists 16 + 25 + 16 files, of which 4 Gemini ones are not real, and the 16
    # stdout recordings of the real-CLI suite (*/realcli/: 8 Claude, 4 Codex, 4 Gemini).
    assert len(SAMPLES) == 53 + 16


@params
def test_one_tool_call_per_tool_use_each_with_its_result(path: Path) -> None:
    run = feed(cli_of(path), lines_of(path))
    exp = expect(path)
    calls = {node.id: node for node in run.tool_calls()}
    expected = {uuid.uuid5(COMMAND_ID, f"tool:{key}"): key for key in exp.tool_ids}
    assert set(calls) == set(expected)
    for node_id, key in expected.items():
        node = calls[node_id]
        if key in exp.with_result:
            assert node.completed_at is not None, key
            assert node.content["result"] is not None, key
            assert node.duration_ms is not None
        else:
            assert node.error is not None, f"{key} has no result in the sample"


@params
def test_token_totals_are_the_samples_own(path: Path) -> None:
    run = feed(cli_of(path), lines_of(path))
    exp = expect(path)
    usage = run.final.usage
    if exp.usage is None:
        assert usage is None or usage.total_tokens == 0
    else:
        assert usage is not None
        got = (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.total_tokens)
        assert got == exp.usage
        assert run.of(base.UsageSoFar)[-1].usage == usage  # the last live figure is the final one
    if exp.cost is not None:
        assert usage is not None and usage.cost_usd == pytest.approx(exp.cost)
    root = next(n for n in run.nodes.values() if n.parent_id is None)
    assert root.tokens_used == (usage.total_tokens if usage is not None else None)


@params
def test_final_answer_is_in_the_transcript(path: Path) -> None:
    run = feed(cli_of(path), lines_of(path))
    exp = expect(path)
    if exp.final_text:
        assert _flat(exp.final_text) in _flat(run.transcript)


@params
def test_status_and_error_message(path: Path) -> None:
    run = feed(cli_of(path), lines_of(path), exit_code=1, stderr="")
    exp = expect(path)
    finals = run.of(base.Final)
    assert len(finals) == 1 and run.events[-1] is finals[0]
    assert run.final.status is exp.status
    if exp.status is CommandStatus.FAILED:
        assert run.final.error
        if exp.error:
            assert _flat(exp.error) in _flat(run.final.error)
        assert "failed" in run.transcript.splitlines()[-1]
    else:
        assert run.final.error is None
    if exp.session_id:
        assert run.final.session_id == exp.session_id
        assert run.of(base.SessionStarted)[0].session_id == exp.session_id


@params
def test_every_line_is_kept_raw_and_the_tree_holds_together(path: Path) -> None:
    lines = lines_of(path)
    run = feed(cli_of(path), lines)
    raws = [o.raw for o in run.of(base.Output) if o.raw is not None]
    assert "\n".join(raws).split("\n") == lines
    nodes = run.nodes
    roots = [n for n in nodes.values() if n.parent_id is None]
    assert len(roots) == 1 and roots[0].type is TraceType.LLM_PROMPT
    seen: set[uuid.UUID] = set()
    for trace in run.of(base.Trace):  # a parent is always sent before its children
        assert trace.node.parent_id is None or trace.node.parent_id in seen
        seen.add(trace.node.id)
    for node in nodes.values():
        assert node.completed_at is not None and node.duration_ms is not None, node.name


@params
def test_parsing_is_deterministic(path: Path) -> None:
    first = feed(cli_of(path), lines_of(path))
    second = feed(cli_of(path), lines_of(path))
    assert [t.node for t in first.of(base.Trace)] == [t.node for t in second.of(base.Trace)]
    assert first.transcript == second.transcript
