"""Reports: the JSON block, the Markdown fallback, and the DRAFT → IN_PROGRESS → COMPLETE flow."""

from __future__ import annotations

import json
import uuid

import msgspec

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.agent.adapters._report_parse import parse_answer
from onsembl_desktop.agent.adapters.reports import report_prompt
from onsembl_desktop.protocol.enums import CommandType, ReportStatus

from .samples import COMMAND_ID, feed, request

JSON_ANSWER = """I looked at the code.

```json
{"title": "Auth review", "summary": "Two problems.",
 "sections": [{"title": "Scope", "content": "auth/*.py"}],
 "findings": [{"description": "Tokens never expire", "severity": "High",
               "evidence": ["auth/token.py:42"]}, "Logs contain secrets"],
 "recommendations": [{"action": "Expire tokens", "priority": "p1", "rationale": "limits theft"}]}
```
"""

MARKDOWN_ANSWER = """# Cache investigation

The cache misses because keys include a timestamp.

## Findings
- **High**: keys include `time.time()`
  - cache.py:10
  - cache.py:22
- [low] the TTL is short

## Recommendations
1. Drop the timestamp from keys — they never match
2. (priority: low) Raise the TTL

## Notes
Nothing else.
"""


def test_json_block() -> None:
    report = parse_answer(JSON_ANSWER)
    assert (
        report is not None and report.title == "Auth review" and report.summary == "Two problems."
    )
    findings = report.content.findings
    assert [(f.description, f.severity, f.evidence) for f in findings] == [
        ("Tokens never expire", "high", ["auth/token.py:42"]),
        ("Logs contain secrets", "info", []),
    ]
    (advice,) = report.content.recommendations
    assert (advice.action, advice.priority, advice.rationale) == (
        "Expire tokens",
        "high",
        "limits theft",
    )
    assert report.content.metadata["source"] == "json"


def test_markdown_fallback() -> None:
    report = parse_answer(MARKDOWN_ANSWER)
    assert report is not None
    assert report.title == "Cache investigation"
    assert report.summary == "The cache misses because keys include a timestamp."
    assert [s.title for s in report.content.sections] == ["Findings", "Recommendations", "Notes"]
    assert [(f.description, f.severity, f.evidence) for f in report.content.findings] == [
        ("keys include `time.time()`", "high", ["cache.py:10", "cache.py:22"]),
        ("the TTL is short", "low", []),
    ]
    assert [(r.action, r.priority, r.rationale) for r in report.content.recommendations] == [
        ("Drop the timestamp from keys", "medium", "they never match"),
        ("Raise the TTL", "low", ""),
    ]
    assert report.content.metadata["source"] == "markdown"


def test_plain_answer_still_gives_a_report() -> None:
    report = parse_answer("Just one line.")
    assert report is not None and report.summary == "Just one line."
    assert report.content.sections[0].content == "Just one line."
    assert parse_answer("  ") is None


def test_prompt_is_wrapped_only_for_report_commands() -> None:
    assert report_prompt(request("hi")) == "hi"
    for kind in (
        CommandType.INVESTIGATE,
        CommandType.REVIEW,
        CommandType.PLAN,
        CommandType.SYNTHESIZE,
    ):
        assert report_prompt(request("hi", kind)).startswith("hi\n\n---\n")


def _claude_answer(text: str) -> list[str]:
    message = {"id": "m1", "model": "x", "content": [{"type": "text", "text": text}]}
    result = {"type": "result", "subtype": "success", "is_error": False, "result": text}
    return [json.dumps({"type": "assistant", "message": message}), json.dumps(result)]


def test_report_events_flow_and_end_before_final() -> None:
    run = feed(
        "claude", _claude_answer(MARKDOWN_ANSWER), req=request("why", CommandType.INVESTIGATE)
    )
    reports = run.of(base.Report)
    statuses = [r.status for r in reports]
    assert statuses[0] is ReportStatus.DRAFT and statuses[-1] is ReportStatus.COMPLETE
    assert ReportStatus.IN_PROGRESS in statuses
    assert len({r.report_id for r in reports}) == 1
    assert isinstance(run.events[-1], base.Final) and run.events[-2] is reports[-1]
    assert reports[-1].title == "Cache investigation" and len(reports[-1].content.findings) == 2


def test_failed_command_completes_its_report_with_the_error() -> None:
    run = feed("codex", [], exit_code=2, stderr="boom", req=request("why", CommandType.REVIEW))
    final_report = run.of(base.Report)[-1]
    assert final_report.status is ReportStatus.COMPLETE
    assert final_report.summary.startswith("No report: boom")
    assert final_report.title == "Review: why"


def test_natural_commands_have_no_report() -> None:
    assert not feed("claude", _claude_answer("hi")).of(base.Report)


def test_ids_are_scoped_to_the_run_when_the_app_names_it() -> None:
    """Protocol 2: the trace entries' and the report's ids derive from COMMAND_REQUEST.runId, so
    two agents running one command report two trees and two reports; without a runId (an app of
    protocol 1) they derive from the command, as before."""
    lines = _claude_answer(MARKDOWN_ANSWER)
    ids = {}
    for run_id in (None, uuid.uuid4(), uuid.uuid4()):
        req = msgspec.structs.replace(request("why", CommandType.INVESTIGATE), run_id=run_id)
        run = feed("claude", lines, req=req)
        scope = run_id or COMMAND_ID
        assert {r.report_id for r in run.of(base.Report)} == {uuid.uuid5(scope, "report")}
        nodes = [t.node for t in run.of(base.Trace)]
        assert nodes and nodes[0].id == uuid.uuid5(scope, "root")
        ids[run_id] = {n.id for n in nodes}
    first, second, third = ids.values()
    assert not first & second and not second & third
