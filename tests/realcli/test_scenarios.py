"""Each pinned real CLI, driven through the real app and ``onsembl-agent`` against a mock model
server, in the scenarios a user meets: every check is against what the mock served or saw."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.agent_e2e.e2e import Db
from tests.support import AppProcess, wait_for

from .conftest import Harness, dump
from .mock_base import Reply, Usage
from .setups import CODEX_MODEL

pytestmark = [pytest.mark.realcli, pytest.mark.timeout(300)]


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for c in node["children"] for n in _walk(c)]


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _usage(h: Harness, **kw: int) -> Usage:
    if h.cut.cli != "claude":
        kw.pop("cache_write", None)  # (only the Anthropic API reports cache writes)
    return Usage(**kw)


def _tokens(row: Any) -> tuple[int, int, int, int]:
    return (row["input_tokens"], row["output_tokens"], row["cached_tokens"], row["total_tokens"])


def _check_spans(tree: dict[str, Any]) -> dict[str, Any]:
    (root,) = tree["roots"]
    nodes = _walk(root)
    for node in nodes[1:]:
        assert node["completedAt"] is not None, dump(node)
        assert _t(root["startedAt"]) <= _t(node["startedAt"]), dump([root, node])
        assert _t(node["completedAt"]) <= _t(root["completedAt"]), dump([root, node])
    return root


def test_plain_answer(harness: Harness) -> None:
    h = harness
    h.start_agent()
    served = _usage(h, input=1200, output=80, cache_read=300, cache_write=40)
    h.mock.script(Reply(text="The answer is forty-two.", usage=served))
    cid, view = h.run("What is the answer?")
    assert view["status"] == "COMPLETED", h.debug()
    assert "The answer is forty-two." in h.transcript(cid)
    assert "What is the answer?" in json.dumps(h.mock.turns[0].body)
    assert h.mock.unscripted == 0
    row = h.run_row(cid)
    assert _tokens(row) == h.cut.counted(h.mock.served_usage()), h.debug()
    assert row["cost_usd"] is not None and row["cost_usd"] > 0
    check_cost(h, cid)
    tree = h.traces(cid)
    root = _check_spans(tree)
    assert root["tokens"] == row["total_tokens"]
    turns = [n for n in _walk(root) if n["type"] == "LLM_PROMPT" and n is not root]
    assert turns and all("auto" not in n["name"] and "<synthetic>" not in n["name"] for n in turns)
    agent = h.agent_view()
    assert agent["tokens"]["total"] == row["total_tokens"], dump(agent)
    assert agent["cli"]["name"] == h.cut.cli and agent["cli"]["version"] == h.cut.version


def test_tool_call_and_its_result(harness: Harness) -> None:
    h = harness
    h.start_agent()
    marker = f"ran-{uuid.uuid4().hex[:8]}"
    command = f"printf '%s-%s\\n' {marker} 42"  # (its output is not in its arguments)
    h.mock.script(
        Reply(
            text="Let me run it.",
            tools=(h.cut.shell_call(command),),
            usage=_usage(h, input=900, output=30),
        ),
        Reply(text="It printed the marker.", usage=_usage(h, input=1100, output=12)),
    )
    cid, view = h.run("Run the echo")
    assert view["status"] == "COMPLETED", h.debug()
    # The CLI really ran the tool: its output went back to the model in the next turn.
    assert len(h.mock.turns) == 2, h.debug()
    assert f"{marker}-42" in json.dumps(h.mock.turns[1].body)
    root = _check_spans(h.traces(cid))
    calls = [n for n in _walk(root) if n["type"] == "TOOL_CALL"]
    assert len(calls) == 1, dump(root)
    (call,) = calls
    assert call["name"] == h.cut.shell_node_name() and call["status"] == "ok", dump(call)
    assert marker in json.dumps(call["content"]["args"])
    assert f"{marker}-42" in call["content"]["result"]
    assert f"{marker}-42" in h.transcript(cid)
    row = h.run_row(cid)
    assert _tokens(row) == h.cut.counted(h.mock.served_usage()), h.debug()


def test_resume_carries_the_conversation(harness: Harness) -> None:
    h = harness
    h.start_agent()
    h.mock.script(Reply(text="Noted: the colour is teal.", usage=_usage(h, input=1000, output=50)))
    first, view = h.run("Remember: the colour is teal.")
    assert view["status"] == "COMPLETED", h.debug()
    mark = h.mock.mark()
    h.mock.script(
        Reply(text="It was teal.", usage=_usage(h, input=2500, output=20, cache_read=900))
    )
    second, view = h.run("Which colour did I say?")
    assert view["status"] == "COMPLETED", h.debug()
    sent = json.dumps(h.mock.turns[-1].body)
    assert "Remember: the colour is teal." in sent and "Noted: the colour is teal." in sent
    assert h.run_row(first)["session_id"] == h.run_row(second)["session_id"]
    # The second command is charged its own tokens and cost, not the conversation's.
    assert _tokens(h.run_row(second)) == h.cut.counted(h.mock.served_usage(mark)), h.debug()
    check_cost(h, second, mark)
    total = h.run_row(first)["total_tokens"] + h.run_row(second)["total_tokens"]
    assert h.agent_view()["tokens"]["total"] == total


def test_investigate_report(harness: Harness) -> None:
    h = harness
    h.start_agent()
    report = {
        "title": "Notes file",
        "summary": "The project keeps one notes file.",
        "sections": [{"title": "Layout", "content": "One file."}],
        "findings": [
            {"description": "notes.txt exists", "severity": "info", "evidence": ["notes.txt:1"]}
        ],
        "recommendations": [{"action": "Keep it", "priority": "low", "rationale": "small"}],
    }
    text = f"I looked.\n\n```json\n{json.dumps(report)}\n```\n"
    h.mock.script(Reply(text=text, usage=_usage(h, input=800, output=200)))
    cid, view = h.run("What is in this project?", "--type", "INVESTIGATE")
    assert view["status"] == "COMPLETED", h.debug()
    assert "structured report" in json.dumps(h.mock.turns[0].body)
    (stored,) = h.app.ctl_json("reports", "--command", cid)
    assert stored["title"] == "Notes file" and stored["status"] == "COMPLETE", dump(stored)
    assert stored["content"]["findings"][0]["evidence"] == ["notes.txt:1"]


@pytest.mark.parametrize("status", [401, 500])
def test_api_error_with_retries(harness: Harness, status: int) -> None:
    h = harness
    h.start_agent()
    message = "invalid api key" if status == 401 else "the server fell over"
    h.mock.script(*[Reply(status=status, error=message)] * 12)
    cid, view = h.run("Hello?")
    assert view["status"] == "FAILED", h.debug()
    run = h.run_row(cid)
    error = run["error"] or ""
    transcript = h.transcript(cid)
    if h.cut.cli == "codex" and status == 500:
        # Codex says a 5xx in words of its own (it names neither the status nor the message).
        assert "high demand" in error, dump(dict(run))
    else:
        assert str(status) in error and message in error, dump(dict(run))
    # No successful call: only what side requests the mock answered (Gemini's model router).
    assert _tokens(run) == h.cut.counted(h.mock.served_usage()), h.debug()
    said = h.transcript(cid, stream="STDOUT")  # (the CLI's own stderr may say it too)
    assert said.count(message) <= 2, said  # said, and on the last line: not again
    failed = [r for r in h.mock.turns if r.status == status]
    if status == 500:
        assert len(failed) > 1, h.debug()  # it retried
        if h.cut.cli == "claude":  # (Codex retries a request silently, Gemini on stderr)
            assert "↻" in transcript and "retry 1 of 2" in transcript, transcript
    root = h.traces(cid)["roots"][0]
    turns = [n for n in _walk(root) if n["type"] == "LLM_PROMPT" and n is not root]
    assert all("<synthetic>" not in n["name"] and n["status"] == "error" for n in turns), dump(root)


def _sleeping(token: str) -> list[psutil.Process]:
    """The tool's process: the one whose command line ends with ``token``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if cmdline and cmdline[-1] == token and Path(cmdline[0]).name.startswith("python"):
            found.append(proc)
    return found


_LONG_JOB = "python3 -c 'import time; time.sleep(900)' "


def test_cancel_while_a_tool_runs(harness: Harness) -> None:
    h = harness
    h.start_agent()
    token = f"{300 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**6:06d}"  # one of its own
    h.mock.script(
        Reply(
            text="Running it.",
            # (Claude Code 2.1.3xx blocks a long `sleep N`, even chained, for its Monitor tool)
            tools=(h.cut.shell_call(_LONG_JOB + token),),
            usage=_usage(h, input=500, output=20),
        ),
        Reply(text="should not be reached", usage=_usage(h, input=1, output=1)),
    )
    cid = h.send("Run the long job")
    wait_for(lambda: _sleeping(token), 90, 0.2)  # the CLI's tool really runs
    result = h.app.ctl("cancel", cid)
    assert result.returncode == 0, result.stderr
    view = h.wait(cid, 60)
    assert view["status"] == "CANCELLED", h.debug()
    wait_for(lambda: not _sleeping(token), 15, 0.2)  # and nothing of it is left running
    assert len(h.mock.turns) == 1
    root = h.traces(cid)["roots"][0]
    calls = [n for n in _walk(root) if n["type"] == "TOOL_CALL"]
    assert calls and calls[0]["status"] == "cancelled", dump(root)
    assert "cancelled by the user" in h.transcript(cid)


def test_token_budget_stops_the_run(harness: Harness) -> None:
    h = harness
    h.start_agent()
    h.mock.script(
        Reply(
            text="Step one.",
            tools=(h.cut.shell_call("echo one"),),
            usage=_usage(h, input=3000, output=100),
        ),
        Reply(
            text="Step two.",
            tools=(h.cut.shell_call("echo two"),),
            usage=_usage(h, input=3000, output=100),
        ),
        Reply(text="Done.", usage=_usage(h, input=3000, output=100)),
    )
    cid, view = h.run("Do the steps", "--token-budget", "2000")
    assert view["status"] == "FAILED", h.debug()
    run = h.run_row(cid)
    assert run["reason"] == "TOKEN_LIMIT_EXCEEDED", dump(dict(run))
    assert "token budget" in h.transcript(cid)
    if h.cut.cli == "claude":
        # Claude reports each message's usage as it streams: stopped after the first turn.
        assert len(h.mock.turns) < 3, h.debug()


def test_conversation_survives_agent_and_app_restarts(
    harness: Harness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    h = harness
    data = tmp_path_factory.mktemp("restart-app") / "data"
    data.mkdir()
    app = AppProcess(data, ["--heartbeat", "1", "--grace", "5"]).start()
    h.app, h.db = app, Db(app)
    try:
        h.start_agent()
        h.mock.script(
            Reply(text="Noted: the code word is heron.", usage=_usage(h, input=900, output=30))
        )
        first, view = h.run("The code word is heron.")
        assert view["status"] == "COMPLETED", h.debug()

        assert h.agent is not None
        h.agent.stop()  # the agent restarts: a new process, nothing in memory
        h.start_agent()
        mark = h.mock.mark()
        h.mock.script(Reply(text="It is heron.", usage=_usage(h, input=1800, output=20)))
        second, view = h.run("What is the code word?")
        assert view["status"] == "COMPLETED", h.debug()
        assert "The code word is heron." in json.dumps(h.mock.turns[-1].body)
        assert _tokens(h.run_row(second)) == h.cut.counted(h.mock.served_usage(mark)), h.debug()

        h.agent.stop()  # and the app too: what it knows comes from its database
        port = app.port
        app.stop()
        app = AppProcess(data, ["--heartbeat", "1", "--grace", "5"]).start(port=port)
        h.app, h.db = app, Db(app)
        h.start_agent()
        mark = h.mock.mark()
        h.mock.script(Reply(text="Still heron.", usage=_usage(h, input=2700, output=10)))
        third, view = h.run("Say the code word once more.")
        assert view["status"] == "COMPLETED", h.debug()
        sent = json.dumps(h.mock.turns[-1].body)
        assert "The code word is heron." in sent and "What is the code word?" in sent
        assert _tokens(h.run_row(third)) == h.cut.counted(h.mock.served_usage(mark)), h.debug()
        sessions = {h.run_row(c)["session_id"] for c in (first, second, third)}
        assert len(sessions) == 1, sessions
    finally:
        if h.agent is not None:
            h.agent.stop()
            h.agent = None
        app.stop()


def test_gemini_untrusted_folder_says_how_to_trust_it(harness: Harness) -> None:
    h = harness
    if h.cut.cli != "gemini":
        pytest.skip("folder trust is Gemini's")
    h.cut.prepare_home(h.home, trusted=[])  # nobody trusted the project folder
    h.start_agent()
    cid, view = h.run("Hello?")
    assert view["status"] == "FAILED", h.debug()
    run = h.run_row(cid)
    assert run["exit_code"] == 55, dump(dict(run))
    assert "\x1b" not in (run["error"] or "") and "trustedFolders.json" in run["error"]
    assert "trust" in h.transcript(cid) and "\x1b[31mGemini" not in h.db.output(uuid.UUID(cid))
    assert h.mock.turns == []  # it asked the model nothing


def test_retry_shows_live_and_can_be_stopped(harness: Harness) -> None:
    """Claude Code retries a failed API call for minutes by default: the transcript and the
    agent's card say so while it waits, and a cancel ends it."""
    h = harness
    if h.cut.cli != "claude":
        pytest.skip("Codex retries a request silently; Gemini says so on stderr only")
    h.start_agent()
    h.mock.script(
        Reply(status=500, error="overloaded for a moment"),
        Reply(text="late", usage=_usage(h, input=10, output=2), delay_s=120),
    )
    cid = h.send("Hello?")
    h.wait_output(cid, "retry 1 of 2")
    notice = wait_for(lambda: h.agent_view().get("notice"), 30, 0.2)
    assert "API error 500" in notice and "retry 1 of 2" in notice, notice
    assert h.app.ctl("cancel", cid).returncode == 0
    assert h.wait(cid, 30)["status"] == "CANCELLED", h.debug()
    wait_for(lambda: not h.agent_view().get("notice"), 15, 0.2)
    h.mock.release()  # (the delayed reply's thread)


def _estimate(provider: str, model: str, usage: Usage) -> float:
    from onsembl_desktop import pricing

    found = pricing.estimate(
        provider,
        model,
        input_tokens=usage.input + usage.cache_read,
        cached_tokens=usage.cache_read,
        output_tokens=usage.output,
    )
    assert found is not None, f"the price table does not know {model}"
    return found.cost_usd


def expected_cost(h: Harness, since: int = 0) -> float | None:
    """What the run's cost must be: for Codex and Gemini, the price table's for what the mock
    served, model by model; for Claude, None (its own figure: checked against its result)."""
    if h.cut.cli == "claude":
        return None
    total = 0.0
    for request in h.mock.requests[since:]:
        if request.reply is None or request.reply.status != 200:
            continue
        if h.cut.cli == "codex":
            total += _estimate("openai", CODEX_MODEL, request.reply.usage)
        else:
            model = request.path.split("?")[0].rsplit("/", 1)[-1].split(":")[0]
            total += _estimate("google", model, request.reply.usage)
    return total


def claude_reported_cost(h: Harness, command_id: str) -> float:
    """The run's cost as Claude Code printed it (this run's own share after a resume)."""
    (result,) = [
        json.loads(x) for x in h.raw_lines(command_id) if json.loads(x).get("type") == "result"
    ]
    since = result.get("model_usage_since_last_result")
    if isinstance(since, dict):
        return float(sum(v.get("costUSD", 0) for v in since.values()))
    return float(result["total_cost_usd"])


def check_cost(h: Harness, command_id: str, since: int = 0) -> None:
    row = h.run_row(command_id)
    expected = expected_cost(h, since)
    if expected is None:
        assert row["cost_usd"] == pytest.approx(claude_reported_cost(h, command_id))
        assert h.agent_view()["tokens"]["costEstimated"] is False
    else:
        assert row["cost_usd"] == pytest.approx(expected), h.debug()
        view = h.agent_view()["tokens"]
        assert view["costEstimated"] is True and "genai-prices" in view["costSource"], view
        assert "≈$" in h.transcript(command_id) and "estimate" in h.transcript(command_id)
