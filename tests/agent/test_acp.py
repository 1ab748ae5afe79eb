"""ACP agents through ``CommandRun``: a real agent process (the scripted one in tests/standins, on
the ACP SDK's agent side) spoken to through the SDK, with real files and terminals, and the
approvals it asks for answered as the app would (APPROVAL_DECISION into the broker)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.agent.adapters.registry import adapter_for
from onsembl_desktop.agent.approvals import ApprovalBroker
from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.executor import AgentSettings, CommandRun
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import (
    AgentType,
    ApprovalKind,
    ApprovalMode,
    ApprovalOutcome,
    ApprovalSource,
    CommandStatus,
    CompletionReason,
    RuleEffect,
    TraceType,
)
from tests.agent_e2e.e2e import flat
from tests.support import STANDINS

ACP_AGENT = STANDINS / "acp_agent.py"


class Harness:
    def __init__(
        self,
        tmp: Path,
        script: list[dict[str, Any]],
        env: pytest.MonkeyPatch,
        *,
        answers: bool = True,
    ) -> None:
        self.cwd = tmp / "project"
        self.cwd.mkdir()
        self.state = tmp / "state"
        self.state.mkdir()
        self.script = tmp / "script.json"
        self.script.write_text(json.dumps(script))
        env.setenv("ONSEMBL_ACP_SCRIPT", str(self.script))
        env.setenv("ONSEMBL_ACP_STATE", str(self.state))
        self.buffer = ResumeBuffer()
        self.outbox = Outbox(self.buffer, lambda: None)
        self.broker = ApprovalBroker(self.outbox, "acp-1", str(self.cwd))
        features = ["approvals"] if answers else []
        self.broker.connected(
            m.AgentWelcome(
                agent_id=uuid.uuid4(),
                acked_seq=0,
                heartbeat_interval_ms=1000,
                protocol_version=2,
                features=features,
            )
        )
        self.session_id: str | None = None
        self.settings = AgentSettings(
            agent_type=AgentType.ACP,
            cwd=str(self.cwd),
            cli=sys.executable,
            cli_args=[str(ACP_AGENT)],
        )

    def run(
        self, text: str = "do it", policy: m.ApprovalPolicy | None = None, **limits: Any
    ) -> CommandRun:
        request = m.CommandRequest(
            command_id=uuid.uuid4(),
            content=text,
            approvals=policy,
            constraints=m.Constraints(**limits),
        )
        return CommandRun(
            request,
            self.settings,
            self.outbox,
            adapter_for(AgentType.ACP),
            self.session_id,
            self._session,
            self.broker.for_command(request),
        )

    def _session(self, sid: str) -> None:
        self.session_id = sid

    def sent(self, command_id: uuid.UUID | None = None) -> list[Any]:
        out = [codec.decode(e.data).payload for e in self.buffer.after(0, 1_000_000)]
        return [
            p for p in out if command_id is None or getattr(p, "command_id", None) == command_id
        ]

    def requests(self, run: CommandRun) -> list[m.ApprovalRequest]:
        return [p for p in self.sent(run.command_id) if isinstance(p, m.ApprovalRequest)]

    async def next_request(self, run: CommandRun, count: int = 1) -> m.ApprovalRequest:
        for _ in range(400):
            asking = [r for r in self.requests(run) if r.decision is None]
            if len(asking) >= count:
                return asking[count - 1]
            await asyncio.sleep(0.025)
        raise AssertionError(f"no approval request {count}: {self.transcript(run)}")

    def answer(self, request: m.ApprovalRequest, answer: m.ApprovalAnswer) -> None:
        self.broker.decided(
            m.ApprovalDecision(
                command_id=request.command_id, request_id=request.request_id, answer=answer
            )
        )

    def transcript(self, run: CommandRun) -> str:
        return flat(
            "".join(p.data for p in self.sent(run.command_id) if isinstance(p, m.TerminalOutput))
        )

    def complete(self, run: CommandRun) -> m.CommandComplete:
        done = [p for p in self.sent(run.command_id) if isinstance(p, m.CommandComplete)]
        assert len(done) == 1
        return done[0]

    def traces(self, run: CommandRun) -> dict[uuid.UUID, m.TraceNode]:
        nodes: dict[uuid.UUID, m.TraceNode] = {}
        for p in self.sent(run.command_id):
            if isinstance(p, m.TraceEvent):
                nodes[p.entry.id] = p.entry
        return nodes


def allow(always: bool = False, rule: m.ApprovalRule | None = None) -> m.ApprovalAnswer:
    return m.ApprovalAnswer(
        outcome=ApprovalOutcome.ALLOWED,
        source=ApprovalSource.USER,
        option_id="always" if always else "allow",
        always=always,
        rule=rule,
    )


DENY = m.ApprovalAnswer(
    outcome=ApprovalOutcome.DENIED, source=ApprovalSource.USER, message="not this one"
)
ASK = m.ApprovalPolicy(mode=ApprovalMode.ASK_WRITES)


async def test_transcript_trace_tokens_and_a_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(
        tmp_path,
        [
            {"think": "Let me look."},
            {"plan": [["read the file", "completed"], ["answer", "pending"]]},
            {"say": "The answer is forty-two."},
            {"usage": [120, 30]},
        ],
        monkeypatch,
    )
    run = h.run()
    await asyncio.wait_for(run.run(), 30)
    done = h.complete(run)
    assert done.status is CommandStatus.COMPLETED, done.error
    assert done.exit_code == 0  # the agent was ended by us after its answer
    assert done.usage is not None and done.usage.total_tokens == 150
    text = h.transcript(run)
    assert "scripted-acp 1.0 (ACP)" in text
    assert "◦ Let me look." in text
    assert "■ read the file □ answer" in text
    assert "The answer is forty-two." in text  # the chunks joined into one line
    assert "■ acp completed" in text
    nodes = h.traces(run)
    root = next(n for n in nodes.values() if n.parent_id is None)
    assert root.content["agent"] == "scripted-acp" and root.content["session_id"] == h.session_id
    assert root.tokens_used == 150
    response = next(n for n in nodes.values() if n.type is TraceType.RESPONSE)
    assert response.content["text"] == "The answer is forty-two."


async def test_an_edit_allowed_by_the_user_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(
        tmp_path, [{"edit": "src/a.py", "text": "print('hi')\n"}, {"say": "done"}], monkeypatch
    )
    run = h.run(policy=ASK)
    task = asyncio.create_task(run.run())
    request = await h.next_request(run)
    assert request.kind is ApprovalKind.EDIT
    assert request.paths == [str(h.cwd / "src/a.py")]
    assert request.diff is not None and "+print('hi')" in request.diff
    assert [(o.id, o.choice.value) for o in request.options] == [
        ("allow", "ALLOW_ONCE"),
        ("always", "ALLOW_ALWAYS"),
        ("reject", "DENY"),
    ]
    assert not (h.cwd / "src/a.py").exists()  # nothing happens before the answer
    assert "waiting for approval: Edit src/a.py" in h.transcript(run)
    h.answer(request, allow())
    await asyncio.wait_for(task, 30)
    assert h.complete(run).status is CommandStatus.COMPLETED
    assert (h.cwd / "src/a.py").read_text() == "print('hi')\n"
    tool = next(n for n in h.traces(run).values() if n.type is TraceType.TOOL_CALL)
    assert tool.metadata is not None and tool.metadata["approval"]["outcome"] == "ALLOWED"
    assert tool.metadata["approval"]["requestId"] == str(request.request_id)
    assert request.trace_id is None or request.trace_id == tool.id
    assert "√ allowed (by you)" in h.transcript(run)


async def test_a_denied_edit_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, [{"edit": "b.txt", "text": "x"}, {"say": "ok"}], monkeypatch)
    run = h.run(policy=ASK)
    task = asyncio.create_task(run.run())
    h.answer(await h.next_request(run), DENY)
    await asyncio.wait_for(task, 30)
    assert not (h.cwd / "b.txt").exists()
    assert "× denied (by you): not this one" in h.transcript(run)


async def test_allowed_always_is_not_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(
        tmp_path, [{"run": "echo one > one.txt"}, {"run": "echo one > one.txt"}], monkeypatch
    )
    run = h.run(policy=ASK)
    task = asyncio.create_task(run.run())
    first = await h.next_request(run)
    assert first.shell_command == "echo one > one.txt"
    rule = m.ApprovalRule(
        id=uuid.uuid4(),
        effect=RuleEffect.ALLOW,
        kind=ApprovalKind.EXECUTE,
        pattern=first.shell_command,
        agent="acp-1",
    )
    h.answer(first, allow(always=True, rule=rule))
    await asyncio.wait_for(task, 30)
    assert h.complete(run).status is CommandStatus.COMPLETED
    requests = h.requests(run)
    assert len(requests) == 2
    assert requests[1].decision is not None  # decided locally by the rule, and reported
    assert requests[1].decision.source is ApprovalSource.RULE
    assert requests[1].decision.rule == rule
    assert (h.cwd / "one.txt").read_text() == "one\n"


async def test_the_policy_decides_without_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, [{"edit": "c.txt", "text": "c"}], monkeypatch)
    run = h.run(policy=m.ApprovalPolicy(mode=ApprovalMode.ALLOW_ALL))
    await asyncio.wait_for(run.run(), 30)
    assert (h.cwd / "c.txt").read_text() == "c"
    assert h.requests(run) == []  # the mode allowing is not news
    run = h.run(policy=m.ApprovalPolicy(mode=ApprovalMode.DENY_ALL))
    (h.cwd / "c.txt").unlink()
    await asyncio.wait_for(run.run(), 30)
    assert not (h.cwd / "c.txt").exists()
    [request] = h.requests(run)
    assert request.decision is not None and request.decision.source is ApprovalSource.POLICY


async def test_an_app_that_cannot_answer_means_denied_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, [{"edit": "d.txt", "text": "d"}], monkeypatch, answers=False)
    run = h.run(policy=ASK)
    await asyncio.wait_for(run.run(), 30)
    assert not (h.cwd / "d.txt").exists()
    assert h.requests(run) == []
    assert "needs approval, and the app does not answer approval requests" in h.transcript(run)


@pytest.mark.slow  # (~10 s: the wait must outlast a time limit longer than the start)
async def test_waiting_is_not_charged_and_a_cancel_ends_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, [{"edit": "e.txt", "text": "e"}], monkeypatch)
    # The limit must outlast the agent's start (a Python ACP agent takes seconds on a busy
    # machine) so that it is the wait that outlasts the limit.
    limit_s = 8.0
    run = h.run(policy=ASK, time_limit_ms=int(limit_s * 1000))
    task = asyncio.create_task(run.run())
    await h.next_request(run)
    while time.monotonic() - run.started < limit_s + 1.5:  # past the limit, waiting
        assert not task.done(), h.transcript(run)
        await asyncio.sleep(0.1)
    assert run.approvals is not None and run.approvals.waited_s() > 1.5
    run.stop(CompletionReason.CANCELLED, "cancelled by the test")
    await asyncio.wait_for(task, 30)
    done = h.complete(run)
    assert done.status is CommandStatus.CANCELLED
    assert not (h.cwd / "e.txt").exists()


async def test_files_and_terminals_stay_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    h = Harness(tmp_path, [{"read": str(outside)}], monkeypatch)
    (h.cwd / "link").symlink_to(outside)
    run = h.run(policy=m.ApprovalPolicy(mode=ApprovalMode.ALLOW_ALL))
    await asyncio.wait_for(run.run(), 30)
    assert "secret" not in h.transcript(run).replace("secret.txt", "")
    assert "outside the agent's working folder" in h.transcript(run)
    h.script.write_text(json.dumps([{"edit": str(h.cwd / "link"), "text": "pwned"}]))
    run = h.run(policy=m.ApprovalPolicy(mode=ApprovalMode.ALLOW_ALL))
    await asyncio.wait_for(run.run(), 30)
    assert outside.read_text() == "secret"


async def test_the_conversation_resumes_with_session_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, [{"say": "hello"}], monkeypatch)
    first = h.run("first")
    await asyncio.wait_for(first.run(), 30)
    sid = h.session_id
    second = h.run("second")
    await asyncio.wait_for(second.run(), 30)
    assert h.session_id == sid
    assert "(earlier)" not in h.transcript(second)  # the replay is not this command's
    log = [json.loads(x) for x in (h.state / "prompts.log").read_text().splitlines()]
    assert [x["session"] for x in log] == [sid, sid]


@pytest.mark.parametrize("env", [{"ONSEMBL_ACP_NO_LOAD": "1"}])
async def test_an_agent_without_session_load_says_so(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    h = Harness(tmp_path, [{"say": "hello"}], monkeypatch)
    await asyncio.wait_for(h.run().run(), 30)
    second = h.run()
    await asyncio.wait_for(second.run(), 30)
    assert "cannot resume a conversation" in h.transcript(second)
