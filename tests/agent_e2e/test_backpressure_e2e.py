"""Back-pressure: while the app is down, a full resume buffer stops the agent reading its command,
so the program blocks on write instead of the agent's memory growing; nothing is dropped.

The program below prints numbered lines once told to go and records how many it has written;
the agent's buffer is bounded to 64 KB (the hidden ``--buffer-max-mb``). With the app killed, the
count must stall far below the total; once the app is back it must finish, every line stored once.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.protocol import messages as m
from tests.support import AgentProcess, AppProcess, wait_for

from .e2e import Db, wait_final

# 1 MB, sixteen times the bound, in few long lines: over pipes each line is several messages
# (output and trace events), and the agent's pacer sends at most 90 a second.
LINES = 100
WIDTH = 10_000  # characters a line
BOUND_MB = "0.0625"
PROGRAM = """\
import json, os, sys, time
go, progress, lines = sys.argv[-3], sys.argv[-2], int(sys.argv[-1])
as_json = "--output-format" in sys.argv
while not os.path.exists(go):
    time.sleep(0.02)
def say(obj):
    sys.stdout.write((json.dumps(obj) if as_json else obj) + "\\n")
    sys.stdout.flush()
sid = "bac4e55e-0000-4000-8000-000000000001"
if as_json:
    say({"type": "system", "subtype": "init", "session_id": sid})
for i in range(lines):
    text = f"L{i:06d} " + "x" * (WIDTH - 8)
    if as_json:
        content = [{"type": "text", "text": text}]
        message = {"id": f"m{i}", "role": "assistant", "content": content}
        say({"type": "assistant", "session_id": sid, "message": message})
    else:
        say(text)
    with open(progress, "w") as f:
        f.write(str(i + 1))
if as_json:
    say({"type": "result", "subtype": "success", "is_error": False, "result": "done",
         "session_id": sid, "usage": {"input_tokens": 1, "output_tokens": 1}})
"""


def test_buffer_pressure_has_hysteresis() -> None:
    changes: list[bool] = []
    buffer = ResumeBuffer(max_bytes=10_000, on_pressure=changes.append)
    command_id = uuid.uuid4()
    while not changes:
        buffer.add(lambda seq: m.TerminalOutput(seq=seq, command_id=command_id, data="y" * 500))
    assert changes == [True] and buffer.size_bytes >= 10_000
    buffer.add(lambda seq: m.TerminalOutput(seq=seq, command_id=command_id, data="more"))
    buffer.ack(3)  # still above half the bound: no change
    assert changes == [True] and buffer.size_bytes > buffer.low_bytes
    buffer.ack(buffer.last_seq - 2)
    assert changes == [True, False] and buffer.size_bytes <= buffer.low_bytes
    assert len(buffer) == 2  # nothing unacknowledged was dropped


@pytest.fixture
def restarted(app: AppProcess) -> Iterator[list[AppProcess]]:
    started: list[AppProcess] = []
    yield started
    for proc in started:
        proc.stop()


def _progress(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (OSError, ValueError):
        return 0


def _stalled(path: Path, quiet_s: float = 0.5) -> int | None:
    """The count once it has not moved for ``quiet_s``."""
    before = _progress(path)
    time.sleep(quiet_s)
    return before if before and _progress(path) == before else None


@pytest.mark.parametrize("agent_type", ["shell", "claude"], ids=["pty", "pipes"])
def test_full_buffer_blocks_the_program_and_loses_nothing(
    app: AppProcess,
    start_agent: Callable[..., AgentProcess],
    restarted: list[AppProcess],
    tmp_path: Path,
    agent_type: str,
) -> None:
    program, go, progress = tmp_path / "prog", tmp_path / "go", tmp_path / "progress"
    program.write_text(f"#!{sys.executable}\nWIDTH = {WIDTH}\n{PROGRAM}")
    program.chmod(0o755)
    args = ["--buffer-max-mb", BOUND_MB, "--reconnect-initial", "0.1", "--reconnect-max", "0.5"]
    if agent_type == "claude":  # the "CLI" is the program; the command's text its prompt
        args += ["--cli", str(program)] + [f"--cli-arg={a}" for a in (go, progress, LINES)]
        content = "go"
    else:
        content = f"{program} {go} {progress} {LINES}"
    start_agent("a1", agent_type, extra_args=args)
    app.wait_agent("a1")
    command_id = uuid.UUID(app.send("a1", content))
    wait_for(lambda: app.show(str(command_id))["status"] == "EXECUTING", 10)
    time.sleep(0.3)  # (the program is started and waiting for its go)

    app.kill()
    go.touch()
    stalled = wait_for(lambda: _stalled(progress), 20, 0)
    assert stalled < LINES // 4, f"{stalled} lines written with the app down"

    again = AppProcess(app.data_dir, app.extra_args)
    restarted.append(again)
    again.start(port=app.port)
    db = Db(again)  # (polled directly: `ctl show` would load the whole output every time)
    assert wait_final(db, [command_id], timeout=60) == {command_id: "COMPLETED"}
    text = db.output(command_id)
    numbers = [int(n) for n in re.findall(r"L(\d{6}) x", text)]
    assert numbers == list(range(LINES))  # every line, once, in order
    assert _progress(progress) == LINES
