"""How a CLI run that was stopped, or that exited oddly, ends: the command's status, the
transcript's last line and the trace tree, from real stand-in processes through the real runner.

A stopped run reads as stopped everywhere: CANCELLED (a cancel, the emergency stop) or FAILED with
the limit's reason (time, tokens), a last line saying who stopped it and after how long, a trace
root without an error unless a limit failed it, the nodes it interrupted closed as cancelled, and
the tokens used so far.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.agent.adapters.registry import adapter_for
from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.executor import AgentSettings, CommandRun
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import AgentType, CommandStatus, CompletionReason, TraceType
from tests.agent_adapters.samples import STREAMS
from tests.support import STANDINS

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# A recorded run cut right after a tool call started, the CLI then busy in that call until stopped.
MID_TOOL = {
    "claude": ("claude/agentclisdk-1760716800040-1-research-extracted.jsonl", 3, "Glob"),
    "codex": ("codex/agentcmd-doc-cat-sample-command.jsonl", 4, "bash -lc 'cat sample.txt'"),
    "gemini": ("gemini/simmer-probe-shell-and-read-file.jsonl", 5, "run_shell_command"),
}


class Run:
    def __init__(self, payloads: list[Any]) -> None:
        self.payloads = payloads
        done = payloads[-1]
        assert isinstance(done, m.CommandComplete)
        self.done = done
        text = "".join(p.data for p in payloads if isinstance(p, m.TerminalOutput))
        self.transcript = ANSI.sub("", text)
        self.last_line = self.transcript.rstrip("\r\n").rsplit("\r\n", 1)[-1]
        nodes: dict[uuid.UUID, m.TraceNode] = {}
        for p in payloads:
            if isinstance(p, m.TraceEvent):
                nodes[p.entry.id] = p.entry  # the last version of each node
        self.nodes = list(nodes.values())
        (self.root,) = [n for n in self.nodes if n.parent_id is None]
        self.usage = [p.usage for p in payloads if isinstance(p, m.UsageUpdate)]


async def run_cli(
    cli: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    stop: CompletionReason | None = None,
    stop_message: str | None = None,
    stop_when: str | None = None,
    constraints: m.Constraints | None = None,
    **env: str,
) -> Run:
    """One command of the stand-in ``cli``; with ``stop``, stopped once its output holds
    ``stop_when``."""
    for key, value in env.items():
        monkeypatch.setenv(f"ONSEMBL_STANDIN_{key.upper()}", value)
    buffer = ResumeBuffer()
    outbox = Outbox(buffer, lambda: None)
    request = m.CommandRequest(
        command_id=uuid.uuid4(),
        content="list the files",
        constraints=constraints or m.Constraints(),
    )
    agent_type = AgentType(cli.upper())
    settings = AgentSettings(agent_type=agent_type, cwd=str(tmp_path), cli=str(STANDINS / cli))
    run = CommandRun(request, settings, outbox, adapter_for(agent_type), None, lambda _s: None)
    task = asyncio.create_task(run.run())

    def payloads() -> list[Any]:
        return [codec.decode(e.data).payload for e in buffer.after(0, 1_000_000)]

    if stop is not None:
        assert stop_when is not None

        for _ in range(500):  # up to 10 s
            if any(isinstance(p, m.TerminalOutput) and stop_when in p.data for p in payloads()):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError(f"{stop_when!r} never appeared")
        await asyncio.sleep(0.1)
        run.stop(stop, stop_message)
    await asyncio.wait_for(task, 15)
    return Run(payloads())


def _mid_tool(cli: str) -> dict[str, str]:
    sample, lines, _ = MID_TOOL[cli]
    return {"sample": str(STREAMS / sample), "truncate": str(lines), "hang": "60"}


def _seconds(line: str) -> float:
    found = re.search(r"after (\d+\.\d) s", line)
    assert found, line
    return float(found.group(1))


@pytest.mark.parametrize("cli", ["claude", "codex", "gemini"])
@pytest.mark.parametrize("ignore", ["", "INT"], ids=["sigint", "sigterm"])
async def test_cancel_mid_tool_call_reads_as_cancelled(
    cli: str, ignore: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "sigint": the CLI ends on SIGINT with what its real self prints (Claude and Gemini an error
    # result); "sigterm": it ignores SIGINT and the stop's SIGTERM kills it (exit -15, no result).
    run = await run_cli(
        cli,
        tmp_path,
        monkeypatch,
        stop=CompletionReason.CANCELLED,
        stop_message="cancelled by the user",
        stop_when=MID_TOOL[cli][2],
        ignore_signals=ignore,
        **_mid_tool(cli),
    )
    done = run.done
    assert (done.status, done.reason) == (CommandStatus.CANCELLED, CompletionReason.CANCELLED)
    assert done.error == "cancelled by the user"
    if ignore:
        assert done.exit_code == -15
    assert f"■ {cli} cancelled by the user after " in run.last_line
    assert 0.1 <= _seconds(run.last_line) < 10
    assert "failed" not in run.last_line and "exited with code" not in run.transcript
    # The trace: nothing failed; the root and the interrupted tool call closed as cancelled.
    assert [n.name for n in run.nodes if n.error] == []
    assert all(n.completed_at is not None for n in run.nodes)
    assert run.root.metadata is not None
    assert run.root.metadata["status"] == "CANCELLED"
    assert run.root.metadata["reason"] == "CANCELLED"
    (tool,) = [n for n in run.nodes if n.type is TraceType.TOOL_CALL]
    assert tool.metadata is not None and tool.metadata["status"] == "CANCELLED"
    if cli == "claude":  # Codex and Gemini report tokens only at the end of a turn or run
        assert done.usage is not None and done.usage.total_tokens > 0
        assert run.root.tokens_used == done.usage.total_tokens
        assert run.usage and run.usage[-1] == done.usage
        assert "tokens in " in run.last_line


async def test_emergency_stop_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = await run_cli(
        "claude",
        tmp_path,
        monkeypatch,
        stop=CompletionReason.EMERGENCY_STOP,
        stop_message="emergency stop",
        stop_when="Glob",
        **_mid_tool("claude"),
    )
    assert run.done.status is CommandStatus.CANCELLED
    assert run.done.reason is CompletionReason.EMERGENCY_STOP
    assert "■ claude stopped by the emergency stop after " in run.last_line
    assert [n.name for n in run.nodes if n.error] == []
    assert run.root.metadata is not None and run.root.metadata["reason"] == "EMERGENCY_STOP"


async def test_token_budget_stop_says_which_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = await run_cli(
        "claude",
        tmp_path,
        monkeypatch,
        constraints=m.Constraints(token_budget=1000),
        mode="usage-forever",
        usage_step="100",
        interval="0.02",
    )
    done = run.done
    # A limit stop is what the protocol says of it: FAILED, with the limit as its reason.
    assert (done.status, done.reason) == (
        CommandStatus.FAILED,
        CompletionReason.TOKEN_LIMIT_EXCEEDED,
    )
    assert done.usage is not None and 1000 < done.usage.total_tokens <= 1101
    line = run.last_line
    assert "■ claude stopped by its token budget after " in line
    assert f"token budget of 1000 exceeded ({done.usage.total_tokens} tokens)" in line
    assert "exited with code" not in run.transcript and "claude failed" not in run.transcript
    # The root carries the limit's failure, and only the root.
    assert run.root.error == done.error
    assert run.root.metadata is not None
    assert (run.root.metadata["status"], run.root.metadata["reason"]) == (
        "FAILED",
        "TOKEN_LIMIT_EXCEEDED",
    )
    assert run.root.tokens_used == done.usage.total_tokens
    assert [n for n in run.nodes if n.error] == [run.root]


@pytest.mark.parametrize("cli", ["claude", "codex", "gemini"])
async def test_time_limit_stop_says_which_limit(
    cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = await run_cli(
        cli,
        tmp_path,
        monkeypatch,
        constraints=m.Constraints(time_limit_ms=1000),
        **_mid_tool(cli),
    )
    done = run.done
    assert (done.status, done.reason) == (
        CommandStatus.FAILED,
        CompletionReason.TIME_LIMIT_EXCEEDED,
    )
    assert f"■ {cli} stopped by its time limit after " in run.last_line
    assert "time limit of 1 s exceeded" in run.last_line
    assert 1.0 <= _seconds(run.last_line) < 3
    assert run.root.error == "time limit of 1 s exceeded"
    (tool,) = [n for n in run.nodes if n.type is TraceType.TOOL_CALL]
    assert tool.error is None and tool.metadata is not None
    assert (tool.metadata["status"], tool.metadata["reason"]) == (
        "CANCELLED",
        "TIME_LIMIT_EXCEEDED",
    )


async def test_success_result_then_exit_1_is_completed_and_keeps_the_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Claude's verdict is its result event (is_error / subtype), not its exit code
    # (FORMATS.md 1.4, 1.9): a success result followed by exit 1 is a completed command.
    run = await run_cli("claude", tmp_path, monkeypatch, mode="echo", exit="1")
    done = run.done
    assert (done.status, done.exit_code, done.error, done.reason) == (
        CommandStatus.COMPLETED,
        1,
        None,
        None,
    )
    # The transcript says what the footer's "completed · exit 1" means.
    assert "■ claude completed (exited with code 1 after its final result)" in run.last_line
    assert run.root.error is None and run.root.metadata is not None
    assert (run.root.metadata["status"], run.root.metadata["exit_code"]) == ("COMPLETED", 1)


async def test_error_result_with_exit_0_is_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other way round: an is_error result fails the command though the CLI exits 0.
    sample = "claude/single-events/testembedded-2.1.233-result-error_max_turns.jsonl"
    assert (STREAMS / sample).exists()
    run = await run_cli("claude", tmp_path, monkeypatch, sample=str(STREAMS / sample))
    done = run.done
    assert (done.status, done.exit_code, done.reason) == (
        CommandStatus.FAILED,
        0,
        CompletionReason.CLI_ERROR,
    )
    assert run.last_line.startswith("■ claude failed")
    assert run.root.error == done.error and run.root.metadata is not None
    assert run.root.metadata["status"] == "FAILED"
