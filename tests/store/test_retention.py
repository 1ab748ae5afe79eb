"""Retention jobs: exactly the rows due are archived or removed, and archives restore exactly."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from onsembl_desktop.protocol.enums import AuditEventType
from onsembl_desktop.store import queries, search
from onsembl_desktop.store.archive import ArchiveError, read_archive, restore_archive
from onsembl_desktop.store.db import DB_FILENAME, local_user_id, open_database
from onsembl_desktop.store.models import Agent, AuditLog, Command, CommandQueueEntry, CommandRun
from onsembl_desktop.store.retention import run_cleanup
from onsembl_desktop.store.types import sqlite_datetime, utcnow
from tests.store.conftest import seed_rows
from tests.support import AgentProcess, AppProcess, env_for_children

DAY = timedelta(days=1)


@dataclass
class Scenario:
    """Rows of every age around a cleanup run 40 days after ``t0`` (t0: the real clock)."""

    t0: datetime
    now: datetime
    outputs: dict[str, uuid.UUID]  # age label -> row id
    audits: dict[str, uuid.UUID]
    queue: dict[str, uuid.UUID]
    agents: dict[str, uuid.UUID]


def build(engine: Engine) -> Scenario:
    t0 = utcnow() - timedelta(minutes=1)
    now = t0 + 40 * DAY
    with engine.begin() as conn:
        seed = seed_rows(conn, local_user_id(engine))
        outputs = {}
        # Ages at the run: 140, 100, 91 days (deleted), 89 and 41 days (archived, kept).
        for seq, (label, stamp) in enumerate(
            [
                ("140d", t0 - 100 * DAY),
                ("100d", t0 - 60 * DAY),
                ("91d", t0 - 51 * DAY),
                ("89d", t0 - 49 * DAY),
                ("41d", t0 - DAY),
            ],
            start=1,
        ):
            row = queries.output_row(
                command_id=seed.command_id,
                agent_id=seed.agent_id,
                seq=seq,
                stream="STDOUT",
                data=f"\x1b[32m{label}\x1b[0m line ünïcödé {label}word\n",
                timestamp=stamp,
                # The CLI's own line: archived and restored with the row (every other one).
                raw=f'{{"type": "text", "n": {seq}, "s": "ünï\\n"}}' if seq % 2 else None,
            )
            conn.execute(insert(queries.TerminalOutput).values(**row))
            search.index_outputs(
                conn,
                [(seed.command_id.hex, seed.agent_id.hex, row["content"], sqlite_datetime(stamp))],
            )
            outputs[label] = row["id"]
        audits = {}
        for label, stamp in [("31d", now - 31 * DAY), ("29d", now - 29 * DAY)]:
            audits[label] = uuid.uuid4()
            conn.execute(
                insert(AuditLog).values(
                    id=audits[label], event_type="COMMAND_SENT", created_at=stamp
                )
            )
        queue = {
            "finished-command": _queued(
                conn, seed.user_id, seed.agent_id, "COMPLETED", "EXECUTING"
            ),
            "finished-run": _queued(conn, seed.user_id, seed.agent_id, "EXECUTING", "FAILED"),
            "no-run": _queued(conn, seed.user_id, seed.agent_id, "QUEUED", None),
            "live": _queued(conn, seed.user_id, seed.agent_id, "QUEUED", "QUEUED"),
        }
        agents = {
            "silent": _agent(conn, "ONLINE", now - timedelta(minutes=61)),
            "recent": _agent(conn, "ONLINE", now - timedelta(minutes=59)),
            "offline": _agent(conn, "OFFLINE", now - 10 * DAY),
        }
    return Scenario(t0, now, outputs, audits, queue, agents)


def _queued(
    conn: Any, user_id: uuid.UUID, agent_id: uuid.UUID, status: str, run: str | None
) -> uuid.UUID:
    command_id, entry_id = uuid.uuid4(), uuid.uuid4()
    conn.execute(insert(Command).values(id=command_id, user_id=user_id, content="q", status=status))
    if run is not None:
        conn.execute(
            insert(CommandRun).values(
                id=uuid.uuid4(), command_id=command_id, agent_id=agent_id, status=run
            )
        )
    position = conn.execute(select(CommandQueueEntry.id)).all()
    conn.execute(
        insert(CommandQueueEntry).values(
            id=entry_id,
            command_id=command_id,
            agent_id=agent_id,
            position=len(position) + 1,
            priority=50,
        )
    )
    return entry_id


def _agent(conn: Any, status: str, last_seen: datetime) -> uuid.UUID:
    agent_id = uuid.uuid4()
    conn.execute(
        insert(Agent).values(
            id=agent_id,
            name=f"agent-{agent_id.hex[:6]}",
            type="CODEX",
            status=status,
            last_seen_at=last_seen,
            created_at=last_seen,
            updated_at=last_seen,
        )
    )
    return agent_id


def raw_outputs(path: Path) -> dict[str, tuple[Any, ...]]:
    """terminal_outputs as stored, byte for byte (content as a BLOB), keyed by id."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT id, command_id, agent_id, stream_type, CAST(content AS BLOB), ansi_codes, "
            "timestamp, sequence, created_at, CAST(raw AS BLOB) FROM terminal_outputs"
        ).fetchall()
        return {r[0]: r for r in rows}
    finally:
        con.close()


def ids_in(engine: Engine, table: Any) -> set[uuid.UUID]:
    with engine.connect() as conn:
        return set(conn.execute(select(table.id)).scalars())


def test_cleanup_40_days_later_removes_and_archives_exactly_the_rows_due(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    engine = open_database(path)
    try:
        s = build(engine)
        before = raw_outputs(path)
        report = run_cleanup(engine, tmp_path / "archive", s.now)

        gone = {s.outputs[k].hex for k in ("140d", "100d", "91d")}
        kept = {s.outputs[k].hex for k in ("89d", "41d")}
        assert set(raw_outputs(path)) == kept
        assert report.outputs_deleted == 3
        assert report.outputs_archived == 5  # everything older than 30 days
        assert report.audit_logs_removed == 1
        assert ids_in(engine, AuditLog) >= {s.audits["29d"]}
        assert s.audits["31d"] not in ids_in(engine, AuditLog)
        assert ids_in(engine, CommandQueueEntry) == {s.queue["live"]}
        assert report.queue_entries_removed == 3
        with engine.connect() as conn:
            status = {r.id: r.status for r in conn.execute(select(Agent.id, Agent.status))}
            jobs = {
                row.details["job"]: row.details
                for row in queries.audit_rows(conn, event_type=AuditEventType.RETENTION_CLEANUP)
            }
            found = {e.command.content for e in search.history(conn, search="100dword")}
            kept_found = search.history(conn, search="41dword")
        assert status[s.agents["silent"]] == "OFFLINE"
        assert status[s.agents["recent"]] == "ONLINE"
        assert report.agents_marked_offline == [f"agent-{s.agents['silent'].hex[:6]}"]
        assert set(jobs) == {
            "audit_logs",
            "archive_outputs",
            "delete_outputs",
            "command_queue",
            "silent_agents",
        }
        assert jobs["delete_outputs"]["deleted"] == 3 and jobs["archive_outputs"]["archived"] == 5
        assert found == set()  # deleted output leaves the search index too
        assert kept_found[0].lines[0][1] == "41d line ünïcödé 41dword"

        # The archive holds the five rows exactly as stored; restoring brings the deleted back.
        [archive] = report.archive_files
        header, rows = read_archive(tmp_path / "archive" / archive)
        assert header["table"] == "terminal_outputs" and len(rows) == 5
        with engine.begin() as conn:
            result = restore_archive(conn, tmp_path / "archive" / archive)
        assert (result.restored, result.present, result.orphaned) == (3, 2, 0)
        assert raw_outputs(path) == before
        assert {r[0] for r in before.values()} == gone | kept

        # Running again changes nothing and keeps the restored rows. (Only the first run's own
        # audit records go: stamped with the real clock, they are 40 days old as of ``now``.)
        again = run_cleanup(engine, tmp_path / "archive", s.now)
        assert again.as_dict() | {"now": None} == {
            "now": None,
            "auditLogsRemoved": len(jobs),
            "outputsArchived": 0,
            "archiveFiles": [],
            "outputsDeleted": 0,
            "queueEntriesRemoved": 0,
            "agentsMarkedOffline": [],
        }
        assert raw_outputs(path) == before
        with engine.connect() as conn:
            assert search.history(conn, search="100dword")[0].lines[0][1].endswith("100dword")
    finally:
        engine.dispose()


def test_a_damaged_archive_is_refused(tmp_path: Path) -> None:
    engine = open_database(tmp_path / DB_FILENAME)
    try:
        build(engine)
        report = run_cleanup(engine, tmp_path / "archive", utcnow() + 40 * DAY)
    finally:
        engine.dispose()
    path = tmp_path / "archive" / report.archive_files[0]
    import gzip

    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    path.write_bytes(gzip.compress(b"".join(lines[:-2] + lines[-1:])))  # a row lost
    with pytest.raises(ArchiveError, match="incomplete or damaged"):
        read_archive(path)


def onsembl(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onsembl_desktop", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env_for_children(),
    )


def test_db_cleanup_and_restore_archive_on_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    engine = open_database(data / DB_FILENAME)
    try:
        s = build(engine)
    finally:
        engine.dispose()
    before = raw_outputs(data / DB_FILENAME)
    result = onsembl("db", "cleanup", "--data-dir", str(data), "--now", s.now.isoformat(), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["outputsArchived"], report["outputsDeleted"]) == (5, 3)
    archive = data / "archive" / report["archiveFiles"][0]
    result = onsembl("db", "restore-archive", "--data-dir", str(data), str(archive))
    assert result.returncode == 0, result.stderr
    assert "3 of 5 rows restored, 2 already present" in result.stdout
    assert raw_outputs(data / DB_FILENAME) == before
    bad = onsembl("db", "cleanup", "--data-dir", str(data), "--now", "yesterday")
    assert bad.returncode == 1 and "not an ISO 8601 time" in bad.stderr


def test_db_cleanup_goes_through_the_running_app(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent("sh1")
    app.wait_agent("sh1")
    command_id = app.send("sh1", "echo archived-soon", "--wait")
    assert app.wait_status(command_id)["status"] == "COMPLETED"
    now = (utcnow() + 40 * DAY).isoformat()
    result = onsembl("db", "cleanup", "--data-dir", str(app.data_dir), "--now", now, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outputsArchived"] >= 1 and report["outputsDeleted"] == 0
    assert report["agentsMarkedOffline"] == []  # sh1 is connected: never marked offline
    assert app.agents()["sh1"]["status"] == "ONLINE"
    archive = app.data_dir / "archive" / report["archiveFiles"][0]
    _, rows = read_archive(archive)
    assert any("archived-soon" in str(r) for r in rows)
    restored = onsembl("db", "restore-archive", "--data-dir", str(app.data_dir), str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "0 of" in restored.stdout and "already present" in restored.stdout


def test_ctl_history_searches_commands_and_output(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent("sh1")
    start_agent("sh2")
    app.wait_agent("sh1")
    app.wait_agent("sh2")
    first = app.send("sh1", 'printf "\\033[31mneedle\\033[0m in a hay"; sleep 0.3; echo stack')
    app.wait_status(first)
    second = app.send("sh2", "echo plain needle; echo other")
    app.wait_status(second)
    found = app.ctl_json("history", "--search", "needle")
    assert [e["id"] for e in found] == [second, first]
    assert found[1]["matches"] == [{"agent": "sh1", "line": "needle in a haystack"}]
    assert found[0]["matches"] == [{"agent": "sh2", "line": "plain needle"}]
    only = app.ctl_json("history", "--search", "needle", "--agent", "sh1")
    assert [e["id"] for e in only] == [first]
    text = app.ctl("history", "--search", "haystack")
    assert text.returncode == 0, text.stderr
    assert first[:8] in text.stdout and "    sh1: needle in a haystack" in text.stdout
    everything = app.ctl_json("history")
    assert [e["id"] for e in everything][:2] == [second, first]
    assert everything[0]["status"] == "COMPLETED"


def test_an_archive_never_replaces_an_earlier_one(tmp_path: Path) -> None:
    from onsembl_desktop.store.retention import _archive

    engine = open_database(tmp_path / DB_FILENAME)
    try:
        build(engine)
        end = utcnow()
        with engine.connect() as conn:
            first = _archive(conn, tmp_path / "archive", None, end, end)
            again = _archive(conn, tmp_path / "archive", None, end, end)  # its mark was lost
    finally:
        engine.dispose()
    assert first is not None and again is not None
    assert again[0] == first[0].replace(".jsonl.gz", "-2.jsonl.gz")
    assert (
        read_archive(tmp_path / "archive" / first[0])[1]
        == read_archive(tmp_path / "archive" / again[0])[1]
    )
