"""Schema 4, the local half of sync: the device id, the outbox and its triggers, output ranges,
agents scoped per device, and the migration from version 3."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from onsembl_desktop.store import migrations, queries
from onsembl_desktop.store.db import make_engine, open_database
from onsembl_desktop.store.errors import ConstraintViolation, explain
from onsembl_desktop.store.models import Agent
from onsembl_desktop.store.outbox import device_id
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import OutputRow
from tests.store.conftest import Seed, Writer, seed_rows
from tests.store.test_schema_v3 import make_v2_file
from tests.store.test_sqlite_schema import schema_of


def outbox(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT tbl, row_id, lo, hi FROM sync_outbox ORDER BY seq")
        return [tuple(r) for r in rows]


def record(engine: Engine, on: bool = True, applying: bool = False) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE sync_flags SET recording = ?, applying = ?", (int(on), int(applying))
        )


def test_changes_are_recorded_only_while_recording_and_not_while_applying(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.begin() as conn:
        seed = seed_rows(conn)
    assert outbox(sqlite_engine) == []  # sync not configured: nothing recorded
    record(sqlite_engine)
    with sqlite_engine.begin() as conn:
        queries.update_command(conn, seed.command_id, {"content": "echo changed"})
        conn.exec_driver_sql("DELETE FROM commands WHERE id = ?", (seed.command_id.hex,))
    assert outbox(sqlite_engine) == [
        ("commands", seed.command_id.hex, None, None),
        ("commands", seed.command_id.hex, None, None),
    ]
    record(sqlite_engine, applying=True)  # another device's change being applied: no echo
    with sqlite_engine.begin() as conn:
        seed_rows(conn)
    assert len(outbox(sqlite_engine)) == 2


def test_the_writer_records_one_range_per_bulk_insert(
    seeded_sqlite: tuple[Engine, Seed], writer: Writer
) -> None:
    engine, seed = seeded_sqlite
    record(engine)

    def chunk(seq: int) -> OutputRow:
        return OutputRow(
            queries.output_row(
                command_id=seed.command_id,
                agent_id=seed.agent_id,
                seq=seq,
                stream="STDOUT",
                data=f"line {seq}\n",
                timestamp=utcnow(),
            )
        )

    writer.writer.submit_many([chunk(seq) for seq in range(1, 501)])
    writer.commit()
    writer.writer.submit_many([chunk(seq) for seq in range(501, 511)])
    writer.commit()
    ranges = [(lo, hi) for tbl, _, lo, hi in outbox(engine) if tbl == "terminal_outputs"]
    with engine.connect() as conn:
        rowids = [r[0] for r in conn.exec_driver_sql("SELECT rowid FROM terminal_outputs")]
    covered = sorted(r for lo, hi in ranges for r in range(lo, hi + 1))
    assert covered == sorted(rowids) and len(rowids) == 510
    assert 2 <= len(ranges) <= 4  # per batch, not per row


def test_an_agent_belongs_to_this_device_and_names_are_unique_per_device(
    sqlite_engine: Engine,
) -> None:
    now = utcnow()
    with sqlite_engine.begin() as conn:
        here = device_id(conn)
        mine = uuid.uuid4()
        queries.upsert_agent(conn, mine, {"name": "claude", "type": "CLAUDE"})
        # Another app's agent of the same name (pulled by sync) is fine...
        conn.execute(
            insert(Agent).values(
                id=uuid.uuid4(),
                name="claude",
                type="CLAUDE",
                device_id=uuid.uuid4(),
                created_at=now,
                updated_at=now,
            )
        )
        assert [r.id for r in queries.load_agents(conn)] == [mine]  # ...but not this app's
        stamped = conn.exec_driver_sql(
            "SELECT device_id FROM agents WHERE id = ?", (mine.hex,)
        ).scalar()
        assert stamped == here and len(here) == 32
    # ...while a second "claude" of this app is refused, in words.
    with pytest.raises(Exception) as refused, sqlite_engine.begin() as conn:
        queries.upsert_agent(conn, uuid.uuid4(), {"name": "claude", "type": "CLAUDE"})
    violation = explain(refused.value)
    assert isinstance(violation, ConstraintViolation)
    assert "an agent with that name already exists" in str(violation)


def test_another_devices_open_commands_are_not_this_apps_work(sqlite_engine: Engine) -> None:
    now = utcnow()
    with sqlite_engine.begin() as conn:
        ours = seed_rows(conn)
        theirs_agent = uuid.uuid4()
        conn.execute(
            insert(Agent).values(
                id=theirs_agent,
                name="far",
                type="SHELL",
                device_id=uuid.uuid4(),
                created_at=now,
                updated_at=now,
            )
        )
        theirs = uuid.uuid4()
        queries.insert_command(
            conn,
            {"id": theirs, "user_id": ours.user_id, "content": "x", "status": "EXECUTING"},
            [{"id": uuid.uuid4(), "command_id": theirs, "agent_id": theirs_agent}],
        )
        queries.insert_command(
            conn,
            {"id": uuid.uuid4(), "user_id": ours.user_id, "content": "y", "status": "QUEUED"},
            [],  # no run at all: kept (whose it is cannot be told)
        )
        work = queries.load_open_work(conn)
        assert theirs not in {c.id for c in work.commands}
        assert ours.command_id in {c.id for c in work.commands}
        assert queries.mark_all_agents_offline(conn) == 0  # (theirs is left to its app)


def test_a_version_3_file_migrates_to_one_identical_to_a_new_one(tmp_path: Path) -> None:
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    open_database(new).dispose()
    make_v2_file(old)
    engine = make_engine(old)
    with engine.begin() as conn:
        migrations._step_2_to_3(conn)
        conn.exec_driver_sql("PRAGMA user_version = 3")
    engine.dispose()
    con = sqlite3.connect(old)
    before = con.execute("SELECT rowid, id, name FROM agents").fetchall()
    con.close()
    engine = open_database(old)
    try:
        assert schema_of(old) == schema_of(new)
        with engine.connect() as conn:
            here = device_id(conn)
            after = conn.exec_driver_sql("SELECT rowid, id, name, device_id FROM agents").all()
            # Every row still refers to an existing agent (the table was rebuilt beneath them).
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("SELECT count(*) FROM trace_entries").scalar() == 1
        assert [tuple(r[:3]) for r in after] == before
        assert {r[3] for r in after} == {here}
        with sqlite3.connect(new) as con:
            assert con.execute("SELECT value FROM sync_state").fetchone()[0] != here
    finally:
        engine.dispose()
