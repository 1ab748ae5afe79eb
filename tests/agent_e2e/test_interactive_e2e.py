"""Interactive mode end to end: a real program in the agent's PTY, driven through the app.

The session is a command: sending one to an ``--interactive`` agent starts the program; what it
prints is that command's output (stored and streamed live); ``ctl input`` / ``ctl resize`` reach
the PTY as TERMINAL_INPUT / TERMINAL_RESIZE; the command ends when the program exits.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.executor import AgentSettings, CommandRun
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import AgentType
from tests.support import AgentProcess, AppProcess, env_for_children, wait_for

from .e2e import Db, flat

FAKE_TUI = """\
import os, sys
print("ARGV " + " ".join(sys.argv[1:]), flush=True)
for line in sys.stdin:
    line = line.strip()
    if line == "quit":
        break
    cols, rows = os.get_terminal_size(0)
    print(f"got {line} at {cols}x{rows}", flush=True)
"""


def _watch(app: AppProcess, agent: str, text: str) -> tuple[subprocess.Popen[str], uuid.UUID]:
    """``ctl send --wait`` in the background: it streams the session's output live."""
    ctl = [sys.executable, "-m", "onsembl_desktop", "ctl", "--data-dir", str(app.data_dir)]
    proc = subprocess.Popen(
        [*ctl, "send", "--agent", agent, "--wait", text],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for_children(),
    )
    assert proc.stdout is not None
    return proc, uuid.UUID(proc.stdout.readline().strip())


def _ctl(app: AppProcess, *args: str) -> None:
    result = app.ctl(*args)
    assert result.returncode == 0, result.stderr


def _wait_output(db: Db, command_id: uuid.UUID, text: str) -> str:
    result: str = wait_for(lambda: text in db.output(command_id) and db.output(command_id), 10)
    return result


def test_shell_session_takes_input_resizes_and_ends(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent(
        "term",
        "shell",
        extra_args=["--interactive", "--cli", "bash", "--cli-arg=--norc", "--cli-arg=--noprofile"],
    )
    assert app.wait_agent("term")["interactive"] is True
    db = Db(app)
    watcher, command_id = _watch(app, "term", "echo hi-$((6*7))")
    _wait_output(db, command_id, "hi-42")
    assert app.show(str(command_id))["status"] == "EXECUTING"  # the session lasts

    _ctl(app, "input", "term", "echo again-$((1+1))", "--enter")
    _wait_output(db, command_id, "again-2")
    _ctl(app, "resize", "term", "100", "30")
    _ctl(app, "input", "term", r"stty size\r")
    _wait_output(db, command_id, "30 100")
    # A program that was already running when the size changed sees the new size too: no
    # COLUMNS / LINES in its environment pin the size it started with (ncurses' use_env).
    _ctl(app, "input", "term", r"sh -c 'read x; echo size-$(tput cols)x$(tput lines)'\r")
    _ctl(app, "resize", "term", "90", "25")
    _ctl(app, "input", "term", r"\r")
    _wait_output(db, command_id, "size-90x25")
    _ctl(app, "input", "term", "exit", "--enter")

    out, err = watcher.communicate(timeout=15)
    assert watcher.returncode == 0, err  # the session command COMPLETED
    for shown in ("hi-42", "again-2", "30 100"):
        assert shown in out  # published live to the watcher...
        assert shown in db.output(command_id)  # ...and stored
    assert app.show(str(command_id))["status"] == "COMPLETED"
    assert app.wait_agent("term")["activity"] == "IDLE"


def test_cli_session_gets_the_prompt_as_its_argument(
    app: AppProcess, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    tui = tmp_path / "fake-claude"
    tui.write_text(f"#!{sys.executable}\n{FAKE_TUI}")
    tui.chmod(0o755)
    start_agent(
        "cl", "claude", extra_args=["--interactive", "--cli", str(tui), "--cli-arg=--model=x"]
    )
    app.wait_agent("cl")
    _ctl(app, "input", "cl", "typed before any session", "--enter")  # no session: ignored
    db = Db(app)
    watcher, command_id = _watch(app, "cl", "explain the repo")
    _wait_output(db, command_id, "ARGV --model=x explain the repo")
    _ctl(app, "resize", "cl", "90", "20")
    _ctl(app, "input", "cl", "hello", "--enter")
    _wait_output(db, command_id, "got hello at 90x20")
    _ctl(app, "input", "cl", "quit", "--enter")
    _, err = watcher.communicate(timeout=15)
    assert watcher.returncode == 0, err
    assert "typed before" not in flat(db.output(command_id)).replace("ARGV", "")


async def test_keystrokes_sent_before_the_process_starts_are_kept(tmp_path: Path) -> None:
    # The app may forward typing as soon as it has sent the command: the PTY is not there yet.
    buffer = ResumeBuffer()
    outbox = Outbox(buffer, lambda: None)
    request = m.CommandRequest(command_id=uuid.uuid4(), content="read x; echo got-$x")
    settings = AgentSettings(agent_type=AgentType.SHELL, cwd=str(tmp_path), shell="/bin/sh")
    run = CommandRun(request, settings, outbox, None, None, lambda _s: None)
    run.write_input("early\r")
    await asyncio.wait_for(run.run(), 10)
    payloads = [codec.decode(e.data).payload for e in buffer.after(0, 10_000)]
    assert "got-early" in "".join(p.data for p in payloads if isinstance(p, m.TerminalOutput))
    assert isinstance(payloads[-1], m.CommandComplete) and payloads[-1].exit_code == 0
