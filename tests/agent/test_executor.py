"""One command from request to COMMAND_COMPLETE, in a real PTY, through a real outbox and buffer."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.executor import AgentSettings, CommandRun
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import AgentType, CommandStatus, CompletionReason


def sent(buffer: ResumeBuffer) -> list[Any]:
    payloads = [codec.decode(e.data).payload for e in buffer.after(0, 1_000_000)]
    assert [p.seq for p in payloads] == list(range(1, len(payloads) + 1))
    return payloads


def output_of(payloads: list[Any]) -> str:
    return "".join(p.data for p in payloads if isinstance(p, m.TerminalOutput))


async def run_command(
    content: str,
    cwd: Path,
    *,
    time_limit_ms: int | None = None,
    stop_after: float | None = None,
    within: float = 10.0,
    agent_type: AgentType = AgentType.SHELL,
    cli: str | None = None,
) -> tuple[list[Any], m.CommandComplete]:
    buffer = ResumeBuffer()
    outbox = Outbox(buffer, lambda: None)
    request = m.CommandRequest(
        command_id=uuid.uuid4(),
        content=content,
        constraints=m.Constraints(time_limit_ms=time_limit_ms),
    )
    settings = AgentSettings(agent_type=agent_type, cwd=str(cwd), shell="/bin/sh", cli=cli)
    from onsembl_desktop.agent.adapters.registry import adapter_for

    run = CommandRun(request, settings, outbox, adapter_for(agent_type), None, lambda _s: None)
    task = asyncio.create_task(run.run())
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        run.stop(CompletionReason.CANCELLED, "stopped by the test")
    await asyncio.wait_for(task, within)
    payloads = sent(buffer)
    assert isinstance(payloads[0], m.CommandAck) and payloads[0].accepted
    done = payloads[-1]
    assert isinstance(done, m.CommandComplete) and done.command_id == request.command_id
    assert all(getattr(p, "command_id", None) == request.command_id for p in payloads)
    return payloads, done


async def test_success_with_colours(tmp_path: Path) -> None:
    payloads, done = await run_command("printf '\\033[32mgreen\\033[0m\\n'; echo done", tmp_path)
    assert (done.status, done.exit_code, done.error, done.reason) == (
        CommandStatus.COMPLETED,
        0,
        None,
        None,
    )
    assert output_of(payloads) == "\x1b[32mgreen\x1b[0m\r\ndone\r\n"


@pytest.mark.parametrize(
    ("content", "code", "error"),
    [
        ("exit 3", 3, "exited with code 3"),
        ("kill -KILL $$", -9, "killed by signal 9"),
        ("no-such-command-xyz", 127, "exited with code 127"),
    ],
)
async def test_failures_report_exit_code(
    tmp_path: Path, content: str, code: int, error: str
) -> None:
    payloads, done = await run_command(content, tmp_path)
    assert (done.status, done.exit_code, done.error) == (CommandStatus.FAILED, code, error)
    assert error in output_of(payloads)  # the shell view says why, in red


async def test_time_limit_stops_the_command(tmp_path: Path) -> None:
    # Safety net, as asked of the feature: `sleep 60` under a 1 s limit is over within 2 s.
    _, done = await run_command("sleep 60", tmp_path, time_limit_ms=1000, within=2.0)
    assert done.status is CommandStatus.FAILED
    assert done.reason is CompletionReason.TIME_LIMIT_EXCEEDED
    assert done.error is not None and "time limit of 1 s" in done.error


async def test_cancel_is_cancelled(tmp_path: Path) -> None:
    _, done = await run_command("echo start; sleep 60", tmp_path, stop_after=0.3)
    assert (done.status, done.reason) == (CommandStatus.CANCELLED, CompletionReason.CANCELLED)
    assert done.error == "stopped by the test"


async def test_stop_before_the_process_started_still_stops_it(tmp_path: Path) -> None:
    _, done = await run_command("sleep 60", tmp_path, stop_after=0.0, within=5)
    assert done.status is CommandStatus.CANCELLED


async def test_runs_in_its_cwd(tmp_path: Path) -> None:
    payloads, done = await run_command("pwd", tmp_path)
    assert done.status is CommandStatus.COMPLETED
    assert output_of(payloads).strip() == str(tmp_path)


async def test_missing_cwd_fails_with_a_clear_reason(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    _, done = await run_command("pwd", gone)
    assert done.status is CommandStatus.FAILED
    assert done.error is not None and str(gone) in done.error
    assert "directory" in done.error
    assert done.reason is CompletionReason.CLI_ERROR


async def test_missing_cli_is_cli_not_found(tmp_path: Path) -> None:
    payloads, done = await run_command(
        "hello", tmp_path, agent_type=AgentType.CLAUDE, cli="no-such-claude-xyz"
    )
    assert (done.status, done.reason) == (CommandStatus.FAILED, CompletionReason.CLI_NOT_FOUND)
    errors = [p for p in payloads if isinstance(p, m.AgentError)]
    assert errors and errors[0].code == "CLI_NOT_FOUND"


async def test_large_output_arrives_whole_and_in_order(tmp_path: Path) -> None:
    payloads, done = await run_command("seq 1 20000", tmp_path)
    assert done.status is CommandStatus.COMPLETED
    text = output_of(payloads)
    assert text.split("\r\n")[:-1] == [str(i) for i in range(1, 20001)]


async def test_output_before_completion_even_from_the_last_write(tmp_path: Path) -> None:
    payloads, _ = await run_command("printf 'no newline at the end'", tmp_path)
    assert output_of(payloads) == "no newline at the end"
    assert isinstance(payloads[-1], m.CommandComplete)
