"""Property tests: no line order, junk line, cut or odd event makes a parser raise or misbehave."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.protocol.enums import CommandType

from .samples import CLIS, cli_of, feed, lines_of, real_samples, request

SAMPLE_LINES = {cli: [lines_of(p) for p in real_samples() if cli_of(p) == cli] for cli in CLIS}
KEYS = [
    "type", "subtype", "message", "content", "id", "name", "input", "usage", "input_tokens",
    "output_tokens", "cache_read_input_tokens", "result", "is_error", "tool_use_id",
    "parent_tool_use_id", "session_id", "thread_id", "item", "text", "status", "stats", "error",
    "tool_id", "tool_name", "parameters", "role", "delta", "msg", "call_id", "timestamp",
    "modelUsage", "event", "total_cost_usd", "duration_ms", "errors", "changes", "exit_code",
]  # fmt: skip
TYPES = [
    "system", "init", "assistant", "user", "result", "stream_event", "thread.started",
    "turn.started", "item.started", "item.updated", "item.completed", "turn.completed",
    "turn.failed", "error", "message", "tool_use", "tool_result", "text", "thinking",
    "agent_message", "reasoning", "command_execution", "web_search", "file_change",
    "message_start", "message_delta", "task_started", "task_complete", "exec_command_begin",
    "exec_command_end", "success", "2026-01-01T00:00:00Z", "not a date",
]  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(TYPES)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)
    ),
    max_leaves=25,
)
EVENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6).map(json.dumps)
TEXT = st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=60)
JUNK = st.one_of(
    TEXT,
    EVENTS,
    st.sampled_from(["{", "}", "[", "]", "", "#", "null", "42", '"x"', "[1, {}]", "{}", "[[[[[["]),
)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_logged_errors() -> Iterator[None]:
    """The parsers log (and survive) their own bugs; a test must see none."""
    handler = _Errors()
    logger = logging.getLogger("onsembl.agent.adapters")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, handler.records[0].getMessage()


def check(cli: str, lines: list[str], exit_code: int | None, kind: CommandType) -> None:
    with no_logged_errors():
        run = feed(cli, lines, exit_code=exit_code, stderr="tail", req=request("p", kind))
    finals = run.of(base.Final)
    assert len(finals) == 1 and run.events[-1] is finals[0]
    raws = [o.raw for o in run.of(base.Output) if o.raw is not None]
    assert "\n".join(raws).split("\n") == lines or (not raws and not lines)
    sent: set[Any] = set()
    for trace in run.of(base.Trace):
        assert trace.node.parent_id is None or trace.node.parent_id in sent
        sent.add(trace.node.id)
    for node in run.nodes.values():
        assert node.completed_at is not None
    for usage in run.of(base.UsageSoFar):
        assert usage.usage.total_tokens >= 0


KINDS = st.sampled_from([CommandType.NATURAL, CommandType.INVESTIGATE])
EXITS = st.sampled_from([0, 1, None, 130])


@pytest.mark.parametrize("cli", CLIS)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_samples_shuffled_with_junk_and_cut(cli: str, data: st.DataObject) -> None:
    if not SAMPLE_LINES[cli]:
        pytest.skip("no recorded samples")
    lines = list(data.draw(st.permutations(data.draw(st.sampled_from(SAMPLE_LINES[cli])))))
    for position, junk in data.draw(st.lists(st.tuples(st.integers(0, 60), JUNK), max_size=6)):
        lines.insert(min(position, len(lines)), junk)
    lines = lines[: data.draw(st.integers(0, len(lines)))]
    if lines and data.draw(st.booleans()):
        lines[-1] = lines[-1][: len(lines[-1]) // 2]  # a line cut mid-way
    check(cli, lines, data.draw(EXITS), data.draw(KINDS))


@pytest.mark.parametrize("cli", CLIS)
@settings(max_examples=80, deadline=None)
@given(lines=st.lists(JUNK, max_size=12), exit_code=EXITS, kind=KINDS)
def test_arbitrary_events(
    cli: str, lines: list[str], exit_code: int | None, kind: CommandType
) -> None:
    check(cli, lines, exit_code, kind)
