"""``onsembl ctl traces|reports|report`` against a real app fed by a real agent and stand-in."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.core.reports import ReportDocument, to_markdown
from tests.agent_adapters.samples import STREAMS, expect
from tests.support import AgentProcess, AppProcess

from .e2e import claude_run, standin

SUBAGENT_SAMPLE = STREAMS / "claude" / "agentclisdk-1760716800040-1-research-extracted.jsonl"
REPORT = {
    "title": "Flaky login test",
    "summary": "The login test races the session cookie.",
    "sections": [{"title": "Context", "content": "Seen in **CI** only."}],
    "findings": [
        {"description": "Cookie set after redirect", "severity": "low", "evidence": ["a.py:3"]},
        {
            "description": "No wait on the session",
            "severity": "high",
            "evidence": ["tests/test_login.py:42", "CI log line 77"],
        },
    ],
    "recommendations": [
        {"action": "Wait for the cookie", "priority": "high", "rationale": "removes the race"}
    ],
}


CLAUDE_SID = "5e55105e-0000-4000-8000-000000000001"


@pytest.fixture
def claude(app: AppProcess, start_agent: Callable[..., AgentProcess]) -> AppProcess:
    start_agent("claude-1", "claude", **standin("claude", mode="prompt-sample"))
    app.wait_agent("claude-1")
    return app


def _run(app: AppProcess, *args: str) -> str:
    result = app.ctl("send", "--agent", "claude-1", "--wait", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[0].strip()


def _walk(node: dict[str, Any], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    return [(depth, node)] + [p for c in node["children"] for p in _walk(c, depth + 1)]


@pytest.mark.skipif(not SUBAGENT_SAMPLE.exists(), reason="no recorded samples")
def test_traces_prints_the_tree(claude: AppProcess) -> None:
    command_id = _run(claude, str(SUBAGENT_SAMPLE))
    tree = claude.ctl_json("traces", command_id)
    assert tree["commandId"] == command_id and tree["status"] == "COMPLETED"
    (root,) = tree["roots"]
    nodes = _walk(root)
    calls = [n for _, n in nodes if n["type"] == "TOOL_CALL"]
    exp = expect(SUBAGENT_SAMPLE)
    assert len(calls) == len(exp.tool_ids) > 0
    assert all(n["status"] == "ok" and n["durationMs"] is not None for n in calls)
    assert max(d for d, n in nodes if n["type"] == "TOOL_CALL") >= 2  # under a turn, under the root
    assert exp.usage is not None and root["tokens"] == exp.usage[3]  # rolled up to the root

    text = claude.ctl("traces", command_id, check=True).stdout.splitlines()
    assert text[0].startswith(f"command {command_id}  COMPLETED")
    assert len(text) == 1 + len(nodes)
    first = text[1]
    assert first.startswith(f"LLM_PROMPT {root['name']}") and f"{root['tokens']:,} tok" in first
    assert re.search(r"\d+(\.\d)? (ms|s)\s", first) and first.endswith("ok")
    tool_lines = [line for line in text if line.lstrip().startswith("TOOL_CALL")]
    assert len(tool_lines) == len(calls)
    assert all(line.startswith("    ") for line in tool_lines)  # indented under their turn


def test_reports_list_and_render(claude: AppProcess, tmp_path: Path) -> None:
    answer = "Here is what I found.\n\n```json\n" + json.dumps(REPORT) + "\n```"
    sample = tmp_path / "report.jsonl"
    sample.write_text(claude_run(answer, CLAUDE_SID))
    command_id = _run(claude, "--type", "investigate", str(sample))

    (listed,) = claude.ctl_json("reports")
    assert listed["commandId"] == command_id and listed["agent"] == "claude-1"
    assert listed["status"] == "COMPLETE" and listed["title"] == REPORT["title"]
    assert claude.ctl_json("reports", "--command", str(uuid.uuid4())) == []
    table = claude.ctl("reports", check=True).stdout
    assert listed["id"] in table and "COMPLETE" in table and "Flaky login test" in table

    md = claude.ctl("report", listed["id"], "--format", "md", check=True).stdout
    assert md.startswith("# Flaky login test\n")
    assert "**Agent:** claude-1" in md and "## Context\n\nSeen in **CI** only." in md
    high = md.index("- **HIGH** No wait on the session")
    assert high < md.index("- **LOW** Cookie set after redirect")  # most severe first
    assert "  - Evidence: tests/test_login.py:42" in md
    assert "1. **High** Wait for the cookie — removes the race" in md

    full = json.loads(claude.ctl("report", listed["id"], "--format", "json", check=True).stdout)
    assert full["content"]["findings"][1]["evidence"] == [
        "tests/test_login.py:42",
        "CI log line 77",
    ]
    assert "markdown" not in full

    # A unique prefix names it, as for commands; the exports the window has, from the CLI.
    short = listed["id"][:8]
    assert claude.ctl("report", short, "--format", "md", check=True).stdout == md
    page = claude.ctl("report", short, "--format", "html", check=True).stdout
    assert page.startswith("<!DOCTYPE html>") and "<h1>Flaky login test</h1>" in page
    assert page.index("No wait on the session") < page.index("Cookie set after redirect")
    saved = tmp_path / "out" / "report.md"
    saved.parent.mkdir()
    result = claude.ctl("report", short, "-o", str(saved), check=True)
    assert saved.read_text() == md and f"saved {saved}" in result.stderr
    pdf = tmp_path / "out" / "report.pdf"
    result = claude.ctl("report", short, "--format", "pdf", "-o", str(pdf), timeout=120)
    assert result.returncode == 0, result.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["report.md", "report.pdf"]
    result = claude.ctl("report", short, "--format", "pdf")
    assert result.returncode == 2 and "give -o FILE" in result.stderr
    result = claude.ctl("report", "zz12")
    assert result.returncode == 2 and "no report id starts with 'zz12'" in result.stderr


def test_unknown_ids_are_clear_errors(claude: AppProcess) -> None:
    missing = str(uuid.uuid4())
    result = claude.ctl("traces", missing)
    assert result.returncode == 2 and f"no command {missing}" in result.stderr
    result = claude.ctl("report", missing)
    assert result.returncode == 2 and f"no report {missing}" in result.stderr


def test_markdown_of_a_sparse_or_odd_report() -> None:
    doc = ReportDocument(
        id="r",
        title="  two\nlines ",
        summary="",
        status="DRAFT",
        content={
            "sections": [{"title": "B", "order": "2"}, {"title": "A", "content": "x", "order": 1}],
            "findings": [{"description": "d", "severity": None, "evidence": "one"}, "junk"],
            "recommendations": "not a list",
        },
    )
    assert to_markdown(doc) == (
        "# two lines\n\n**Status:** DRAFT\n\n## A\n\nx\n\n## B\n\n"
        "## Findings\n\n- **INFO** d\n  - Evidence: one\n"
    )


def test_a_command_sent_to_two_ai_agents_keeps_two_reports_and_two_trees(
    app: AppProcess, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    """Each agent's trace entries and report have ids of its own run (protocol 2), so neither
    overwrites the other's (they had one report and one tree, whichever wrote last)."""
    for name in ("claude-1", "claude-2"):
        start_agent(name, "claude", **standin("claude", mode="prompt-sample"))
        app.wait_agent(name)
    answer = "Found it.\n\n```json\n" + json.dumps(REPORT) + "\n```"
    sample = tmp_path / "report.jsonl"
    sample.write_text(claude_run(answer, CLAUDE_SID, tool_call=True))
    result = app.ctl(
        "send", "--agent", "claude-1", "--agent", "claude-2", "--type", "investigate", "--wait",
        str(sample),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    command_id = result.stdout.splitlines()[0].strip()
    reports = app.ctl_json("reports", "--command", command_id)
    assert sorted((r["agent"], r["title"]) for r in reports) == [
        ("claude-1", REPORT["title"]),
        ("claude-2", REPORT["title"]),
    ]
    tree = app.ctl_json("traces", command_id)
    assert sorted(r["agent"] for r in tree["roots"]) == ["claude-1", "claude-2"]
    assert all(any(c["type"] == "TOOL_CALL" for _, c in _walk(r)) for r in tree["roots"])
    text = app.ctl("traces", command_id, check=True).stdout.splitlines()
    assert "agent claude-1" in text and "agent claude-2" in text
    assert all(a["refused"] == 0 for a in app.ctl_json("agents"))
