"""Reliability tests: the real app and real agents as processes, killed and cut off on purpose."""

from __future__ import annotations

import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.conftest import live
from tests.support import AppProcess, wait_for

__all__ = ["live"]

# A numbered line every ``pause`` seconds, printed by Python so the pace does not depend on forks.
TICKER = (
    f"{sys.executable} -u -c "
    "'import sys, time\n"
    "n, pause = int(sys.argv[1]), float(sys.argv[2])\n"
    "for i in range(1, n + 1):\n"
    '    print(f"line {i}", flush=True); time.sleep(pause)\' '
)
FAST_RECONNECT = ["--reconnect-initial", "0.1", "--reconnect-max", "0.5"]


def ticker(lines: int, pause: float = 0.01) -> str:
    return f"{TICKER}{lines} {pause}"


class Restarts:
    """Apps started again on one data dir and port; all stopped at the end."""

    def __init__(self, first: AppProcess) -> None:
        self.current = first
        self.started: list[AppProcess] = []

    def kill_and_restart(self, *, hard: bool = True) -> AppProcess:
        if hard:
            self.current.kill()
        else:
            self.current.stop()
        again = AppProcess(self.current.data_dir, self.current.extra_args)
        self.started.append(again)
        again.start(port=self.current.port)  # the same port: the agents know no other
        self.current = again
        return again


@pytest.fixture
def restarts(app: AppProcess) -> Iterator[Restarts]:
    r = Restarts(app)
    yield r
    for proc in r.started:
        proc.stop()


def stored(data_dir: Path, command_id: str | uuid.UUID) -> list[tuple[int, str]]:
    """(sequence, content) of a command's stored output, read as another process would."""
    con = sqlite3.connect(f"file:{data_dir / 'onsembl.db'}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute(
            "SELECT sequence, content FROM terminal_outputs WHERE command_id = ? ORDER BY sequence",
            (uuid.UUID(str(command_id)).hex,),
        )
        return [(int(s), str(c)) for s, c in rows]
    finally:
        con.close()


def wait_final(data_dir: Path, command_id: str, timeout: float = 60) -> str:
    """The command's final status, read from the database (``ctl show`` would load all output)."""
    key = uuid.UUID(str(command_id)).hex

    def status() -> str | None:
        con = sqlite3.connect(f"file:{data_dir / 'onsembl.db'}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute("SELECT status FROM commands WHERE id = ?", (key,)).fetchone()
        finally:
            con.close()
        return row[0] if row and row[0] in ("COMPLETED", "FAILED", "CANCELLED") else None

    result: str = wait_for(status, timeout, 0.2)
    return result


def lines_of(rows: list[tuple[int, str]]) -> list[str]:
    seqs = [s for s, _ in rows]
    assert len(seqs) == len(set(seqs)), "a chunk stored twice"
    return "".join(c for _, c in rows).replace("\r\n", "\n").splitlines()
