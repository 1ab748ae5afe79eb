"""Child processes: PTY output, exit codes, group stop escalation, bounded draining."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from onsembl_desktop.agent.process import PipeProcess, PtyProcess

ENV = {**os.environ, "TERM": "xterm-256color"}
# A Python child that reports and ignores SIGINT and SIGTERM, and starts a grandchild that
# ignores them too; both sleep for a minute.
STUBBORN = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    def report(sig, _frame):
        print("got", signal.Signals(sig).name, flush=True)
    signal.signal(signal.SIGINT, report)
    signal.signal(signal.SIGTERM, report)
    child = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('grandchild', flush=True); "
        "time.sleep(60)"])
    print("ready", child.pid, flush=True)
    while True:
        time.sleep(0.05)
    """
)


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent (or an init that does not reap) to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - polling a process's output
            await asyncio.sleep(0.02)


class Collect:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def __call__(self, text: str) -> None:
        self.parts.append(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


async def start_pty(script: str, cwd: Path | None = None) -> tuple[PtyProcess, Collect]:
    out = Collect()
    proc = PtyProcess(out, cols=100, rows=30)
    await proc.start(["/bin/sh", "-c", script], cwd=str(cwd or Path.cwd()), env=ENV)
    return proc, out


async def test_pty_output_keeps_colours_and_is_a_terminal() -> None:
    proc, out = await start_pty(
        "printf '\\033[31mred\\033[0m\\n'; test -t 1 && echo tty; stty size; printf 'é€😀\\n'"
    )
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert "\x1b[31mred\x1b[0m\r\n" in out.text  # the terminal turns \n into \r\n
    assert "tty\r\n" in out.text
    assert "30 100\r\n" in out.text
    assert "é€😀" in out.text


async def test_pty_utf8_split_across_reads_is_decoded() -> None:
    # Write a 4-byte character one byte at a time, with pauses, so reads split it.
    proc, out = await start_pty(
        "for b in '\\360' '\\237' '\\230' '\\200'; do printf \"$b\"; sleep 0.05; done; echo"
    )
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert out.text == "😀\r\n"


@pytest.mark.parametrize(
    ("script", "code"),
    [("true", 0), ("exit 3", 3), ("exit 255", 255), ("kill -TERM $$", -signal.SIGTERM)],
)
async def test_exit_codes(script: str, code: int) -> None:
    proc, _ = await start_pty(script)
    assert await asyncio.wait_for(proc.wait(), 10) == code


async def test_pty_runs_in_the_given_directory(tmp_path: Path) -> None:
    proc, out = await start_pty("pwd", cwd=tmp_path)
    await asyncio.wait_for(proc.wait(), 10)
    assert out.text.strip() == str(tmp_path)


async def test_stop_escalates_and_leaves_nothing_of_the_group() -> None:
    out = Collect()
    proc = PtyProcess(out)
    await proc.start([sys.executable, "-c", STUBBORN], cwd=str(Path.cwd()), env=ENV)
    await until(lambda: "grandchild" in out.text and "ready" in out.text)
    leader = proc.pid
    assert leader is not None
    grandchild = int(out.text.split("ready", 1)[1].split()[0])
    members = {leader, grandchild}
    assert all(alive(p) for p in members)
    assert os.getpgid(grandchild) == leader  # same group, so a group signal reaches it

    waiter = asyncio.create_task(proc.wait())
    await asyncio.wait_for(proc.stop(escalate_after_s=0.3), 10)
    assert not any(alive(p) for p in members)
    assert await asyncio.wait_for(waiter, 5) == -signal.SIGKILL
    # SIGINT first, then SIGTERM, and only then SIGKILL.
    text = out.text
    assert text.index("got SIGINT") < text.index("got SIGTERM")


async def test_stop_is_quick_when_the_command_obeys_sigint() -> None:
    proc, _ = await start_pty("sleep 60")
    await asyncio.sleep(0.1)
    await asyncio.wait_for(proc.stop(escalate_after_s=30), 5)  # never had to escalate
    assert await asyncio.wait_for(proc.wait(), 5) == -signal.SIGINT


async def test_stop_is_idempotent_and_safe_after_exit() -> None:
    proc, _ = await start_pty("exit 0")
    assert await proc.wait() == 0
    first = proc.stop()
    assert proc.stop() is first
    await asyncio.wait_for(first, 5)


async def test_stop_reaches_a_paused_group() -> None:
    proc, _ = await start_pty("sleep 60")
    await asyncio.sleep(0.1)
    assert proc.signal_group(signal.SIGSTOP)
    await asyncio.wait_for(proc.stop(escalate_after_s=5), 5)
    assert await asyncio.wait_for(proc.wait(), 5) == -signal.SIGINT


async def test_pty_wait_is_bounded_when_a_background_child_keeps_printing() -> None:
    # The shell exits at once; its background child ignores the hangup, holds the terminal and
    # prints forever.
    proc, out = await start_pty(
        "(trap '' HUP; while :; do echo tick; sleep 0.05; done) & echo started"
    )
    try:
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        assert "started" in out.text
    finally:
        proc.kill_group_now()


# --- pipes ---------------------------------------------------------------------------------------


async def test_pipe_lines_and_stderr() -> None:
    lines: list[str] = []
    err = Collect()
    proc = PipeProcess(lines.append, err)
    await proc.start(
        ["/bin/sh", "-c", "echo one; echo two >&2; printf 'three\\r\\nno-newline'; exit 4"],
        cwd=str(Path.cwd()),
        env=ENV,
    )
    assert await asyncio.wait_for(proc.wait(), 10) == 4
    assert lines == ["one", "three", "no-newline"]
    assert err.text == "two\n"


async def test_pipe_stdin_text() -> None:
    lines: list[str] = []
    proc = PipeProcess(lines.append, Collect())
    await proc.start(["cat"], cwd=str(Path.cwd()), env=ENV, stdin_text="hello\nworld")
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert lines == ["hello", "world"]


async def test_pipe_wait_is_bounded_when_a_grandchild_keeps_the_pipe_open() -> None:
    lines: list[str] = []
    proc = PipeProcess(lines.append, Collect())
    await proc.start(["/bin/sh", "-c", "sleep 60 & echo done"], cwd=str(Path.cwd()), env=ENV)
    try:
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        assert lines == ["done"]
    finally:
        proc.kill_group_now()


async def test_pipe_stop_kills_the_group() -> None:
    lines: list[str] = []
    proc = PipeProcess(lines.append, Collect())
    await proc.start(
        ["/bin/sh", "-c", "trap '' INT TERM; sleep 60 & echo $!; wait"],
        cwd=str(Path.cwd()),
        env=ENV,
    )
    await until(lambda: bool(lines))
    grandchild = int(lines[0])
    await asyncio.wait_for(proc.stop(escalate_after_s=0.2), 10)
    assert not alive(grandchild)
    assert await asyncio.wait_for(proc.wait(), 5) == -signal.SIGKILL
