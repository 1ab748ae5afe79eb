"""Checkpoints happen off the writer's commits, and the WAL still stops growing."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest

from onsembl_desktop.store import queries
from onsembl_desktop.store.checkpoint import Checkpointer
from onsembl_desktop.store.store import Store
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import OutputRow


def test_sustained_writes_keep_the_wal_bounded_and_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small figures so a couple of seconds of writing cross them many times.
    monkeypatch.setattr(Checkpointer, "INTERVAL_S", 0.05)
    monkeypatch.setattr(Checkpointer, "FINISH_FRAMES", 300)

    async def scenario() -> tuple[int, int, int, int]:
        store = await Store.open(tmp_path)
        try:
            agent_id, command_id, now = uuid.uuid4(), uuid.uuid4(), utcnow()
            store.call(queries.upsert_agent, agent_id, {"name": "a", "type": "SHELL"})
            store.call(
                queries.insert_command,
                {
                    "id": command_id,
                    "user_id": store.user_id,
                    "content": "x",
                    "created_at": now,
                    "updated_at": now,
                },
                [],
            )
            await store.flush()
            checkpointer = store.writer._checkpointer
            assert checkpointer is not None
            finished = 0
            original = checkpointer.finished_by_writer

            def count() -> None:
                nonlocal finished
                finished += 1
                original()

            checkpointer.finished_by_writer = count  # type: ignore[method-assign]
            wal = tmp_path / "onsembl.db-wal"
            largest, seq = 0, 0
            line = "\x1b[32mok\x1b[0m " + "x" * 200 + "\r\n"
            for _ in range(400):
                for _ in range(100):
                    seq += 1
                    store.submit(
                        OutputRow(
                            queries.output_row(
                                command_id=command_id,
                                agent_id=agent_id,
                                seq=seq,
                                stream="STDOUT",
                                data=line,
                                timestamp=now,
                            )
                        )
                    )
                await asyncio.sleep(0.005)
                if wal.exists():
                    largest = max(largest, wal.stat().st_size)
            await store.flush()
            return seq, largest, finished, checkpointer.runs
        finally:
            store.close()

    sent, largest_wal, finished, runs = asyncio.run(scenario())
    stored = (
        sqlite3.connect(tmp_path / "onsembl.db")
        .execute("SELECT count(*) FROM terminal_outputs")
        .fetchone()[0]
    )
    assert stored == sent
    assert runs > 0 and finished > 0  # the thread copied pages; the writer finished the job
    # ~12 MB of output plus its search index went through; without restarts the WAL would hold
    # all of it. Restarted, it stays within a few finishing thresholds (300 pages ~ 1.2 MB).
    assert largest_wal < 8 * 1024 * 1024, largest_wal


def test_the_writer_connection_never_checkpoints_by_itself(tmp_path: Path) -> None:
    async def scenario() -> int:
        store = await Store.open(tmp_path)
        try:

            def pragma(conn: object) -> int:
                raw = conn.connection.driver_connection  # type: ignore[attr-defined]
                return int(raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

            # Through the writer: the writer's own connection.
            return await store.write_wait(pragma)
        finally:
            store.close()

    assert asyncio.run(scenario()) == 0
