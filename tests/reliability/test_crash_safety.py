"""Crash safety: the app SIGKILLed at random moments during heavy output. After every kill,
before anything restarts, the database passes ``PRAGMA integrity_check`` and holds every chunk
the agent had been told was stored (the agent logs each acknowledged message: the hidden
``--ack-log``). In the end the command completes with everything stored once."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import AgentProcess, AppProcess, wait_for

from .conftest import FAST_RECONNECT, Restarts, lines_of, stored, wait_final

# ~200-byte lines as fast as the pipe takes them: MB/s of output.
FLOOD = (
    f"{sys.executable} -u -c "
    "'import sys\n"
    "n = int(sys.argv[1])\n"
    'pad = "x" * 180\n'
    "for i in range(1, n + 1):\n"
    '    sys.stdout.write(f"line {i} {pad}\\n")\' '
)


def acked_outputs(ack_log: Path) -> dict[int, tuple[str, str]]:
    """seq -> (command id hex, SHA-256 of the text) of each acknowledged TERMINAL_OUTPUT."""
    acked = {}
    if ack_log.exists():
        for line in ack_log.read_text().splitlines():
            seq, kind, command, digest = line.split()
            if kind == "TERMINAL_OUTPUT":
                acked[int(seq)] = (uuid.UUID(command).hex, digest)
    return acked


def check_database(data_dir: Path, ack_log: Path) -> int:
    """integrity_check is ok and every acknowledged chunk is stored as sent; returns how many."""
    con = sqlite3.connect(data_dir / "onsembl.db", timeout=10)  # (may recover the WAL)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = con.execute("SELECT sequence, command_id, content FROM terminal_outputs")
        stored_rows = {
            int(seq): (cmd if isinstance(cmd, str) else uuid.UUID(bytes=cmd).hex, content)
            for seq, cmd, content in rows
        }
    finally:
        con.close()
    acked = acked_outputs(ack_log)
    for seq, (command, digest) in acked.items():
        assert seq in stored_rows, f"acknowledged seq {seq} is not in the database"
        cmd, content = stored_rows[seq]
        assert cmd.replace("-", "") == command
        assert hashlib.sha256(content.encode()).hexdigest() == digest, seq
    return len(acked)


def run_kills(
    app: AppProcess,
    start_agent: Callable[..., AgentProcess],
    restarts: Restarts,
    tmp_path: Path,
    *,
    lines: int,
    kills: int,
    seed: int,
) -> None:
    rng = random.Random(seed)
    ack_log = tmp_path / "acks.log"
    start_agent("heavy", extra_args=[*FAST_RECONNECT, "--ack-log", str(ack_log)])
    app.wait_agent("heavy")
    command_id = app.send("heavy", f"{FLOOD}{lines}")
    wait_for(lambda: stored(app.data_dir, command_id), 15)
    checked = 0
    for _ in range(kills):
        time.sleep(rng.uniform(0.05, 0.8))
        restarts.current.kill()
        checked = max(checked, check_database(app.data_dir, ack_log))
        restarts.kill_and_restart()  # (already dead: starts the next one)
    assert checked > 0, "nothing was acknowledged before the kills"
    assert wait_final(app.data_dir, command_id, timeout=180) == "COMPLETED"
    got = lines_of(stored(app.data_dir, command_id))
    assert [line.split()[1] for line in got] == [str(i) for i in range(1, lines + 1)]
    restarts.current.stop()
    check_database(app.data_dir, ack_log)


def test_sigkill_during_heavy_output(
    app: AppProcess,
    start_agent: Callable[..., AgentProcess],
    restarts: Restarts,
    tmp_path: Path,
) -> None:
    run_kills(app, start_agent, restarts, tmp_path, lines=60_000, kills=3, seed=3)


@pytest.mark.slow
def test_sigkill_during_heavy_output_many_times(
    app: AppProcess,
    start_agent: Callable[..., AgentProcess],
    restarts: Restarts,
    tmp_path: Path,
) -> None:
    run_kills(app, start_agent, restarts, tmp_path, lines=400_000, kills=20, seed=20)
