"""The engine as the app runs it: in the background, heard within seconds, clear about bad
configuration, one maintenance lease holder, a copy that resumes, a device away too long."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from onsembl_desktop.store import pg_migrate, queries
from onsembl_desktop.sync import maintenance, remote
from onsembl_desktop.sync.status import SyncState
from tests.store.conftest import PgServer
from tests.sync.conftest import remote_rows


async def until(check: Callable[[], Any], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {within} s: {check}"
        await asyncio.sleep(0.05)


async def test_running_engines_hear_each_other_within_seconds(
    devices: Callable[..., Any],
) -> None:
    a, b = await devices("a"), await devices("b")
    a.engine.start()
    b.engine.start()
    await until(lambda: a.engine.status.state is b.engine.status.state is SyncState.ONLINE)
    agent = await a.agent("sh1")
    command = await a.command(agent, "heard?")
    started = time.monotonic()
    await a.output(command, agent, ["one\n", "two\n"])
    await until(lambda: b.rows("SELECT count(*) FROM terminal_outputs") == [(2,)], 5)
    assert time.monotonic() - started < 3  # a push within 0.25 s, a NOTIFY, a pull
    await until(lambda: {"commands", "terminal_outputs"} <= set().union(*b.applied), 2)
    status = await until(lambda: a.statuses and a.statuses[-1], 2)
    assert status.device_id == a.engine.device_id
    now = await a.engine.sync_now(within=10)
    assert now.state is SyncState.ONLINE and now.backlog == 0 and now.last_pull


@pytest.mark.parametrize(
    ("problem", "words"),
    [
        ("no-database", "does not exist"),
        ("no-role", "does not exist"),
        ("no-permission", "permission denied"),
        ("newer-schema", "newer than this Onsembl Desktop knows"),
    ],
)
async def test_a_bad_configuration_is_an_error_in_words_and_local_work_goes_on(
    devices: Callable[..., Any], pg: PgServer, remote_url: str, problem: str, words: str
) -> None:
    url = remote_url
    if problem == "no-database":
        url = pg.url("onsembl_no_such_database")
    elif problem == "no-role":
        url = remote_url.replace("postgres@", "onsembl_nobody@")
    elif problem == "no-permission":
        url = _unprivileged(remote_url)
    else:
        pg_migrate.upgrade(remote_url)
        with psycopg.connect(remote_url) as conn:
            conn.execute(
                f"INSERT INTO {pg_migrate.MIGRATIONS_TABLE} (version, name, checksum, "
                "app_version) VALUES (9999, 'future', 'x', '99')"
            )
    device = await devices("a", url)
    device.engine.start()
    status = await until(lambda: device.engine.status.state is SyncState.ERROR, 15)
    assert words in (device.engine.status.error or ""), device.engine.status
    assert device.engine.status.retry_in_s and status
    await device.agent("still works")  # local work is not held up
    assert device.rows("SELECT name FROM agents") == [("still works",)]


def _unprivileged(url: str) -> str:
    """A role that may connect but not create anything (PostgreSQL 15: public is the owner's)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'onsembl_ro') "
            "THEN CREATE ROLE onsembl_ro LOGIN; END IF; END $$"
        )
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    return url.replace("postgres@", "onsembl_ro@")


async def test_an_unreachable_server_is_offline_and_retried_with_backoff(
    devices: Callable[..., Any],
) -> None:
    device = await devices("a", "postgresql://postgres@127.0.0.1:1/nothing")
    device.engine.BACKOFF = (0.2, 0.4)
    device.engine.start()
    await device.agent("sh1")
    await until(lambda: sum(s.state is SyncState.OFFLINE for s in device.statuses) >= 2, 15)
    status = device.engine.status
    assert status.state is SyncState.OFFLINE and status.error
    assert status.backlog >= 1 and status.summary().startswith("offline — ")


async def test_one_device_at_a_time_holds_the_lease_and_runs_remote_retention(
    devices: Callable[..., Any], remote_url: str
) -> None:
    a, b = await devices("a"), await devices("b")
    agent = await a.agent("sh1")
    command = await a.command(agent)
    await a.output(command, agent, ["old\n", "new\n"])
    await a.sync()
    await b.sync()
    assert [a.engine.status.lease, b.engine.status.lease] == [True, False]
    with psycopg.connect(remote_url) as conn:  # one row 100 days old
        conn.execute(
            "UPDATE terminal_outputs SET timestamp = now() - interval '100 days' "
            "WHERE content = 'old\n'"
        )
        conn.execute("DELETE FROM onsembl_sync_meta WHERE key = 'maintained_at'")
    await b.sync()  # not the holder: nothing happens
    assert remote_rows(remote_url, "SELECT count(*) FROM terminal_outputs") == [(2,)]
    await a.sync()
    assert remote_rows(remote_url, "SELECT content FROM terminal_outputs") == [("new\n",)]
    assert a.rows("SELECT count(*) FROM terminal_outputs") == [(2,)]  # local copies stay
    partitions = remote_rows(
        remote_url, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'audit_logs_2%'"
    )
    assert partitions[0][0] >= 2


async def test_a_device_away_longer_than_the_log_copies_everything_again(
    devices: Callable[..., Any], remote_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await devices("a"), await devices("b")
    agent = await a.agent("sh1")
    await a.sync()
    await b.sync()
    command = await a.command(agent, "while b was away")
    await a.output(command, agent, ["x\n"])
    await a.sync()
    # The log is pruned past B's cursor (everything is "old" now).
    monkeypatch.setattr(maintenance, "LOG_RETENTION", timedelta(seconds=-1))
    conn = await remote.connect(remote_url)
    try:
        report = await maintenance.run(conn)
    finally:
        await conn.close()
    assert report.log_pruned > 0
    await b.sync()
    assert b.rows("SELECT content FROM commands") == [("while b was away",)]
    assert b.rows("SELECT count(*) FROM terminal_outputs") == [(1,)]


async def test_a_copy_cut_short_resumes_where_it_stopped(
    devices: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await devices("a")
    agent = await a.agent("sh1")
    command = await a.command(agent)
    await a.output(command, agent, [f"{i}\n" for i in range(3000)])
    await a.sync()
    b = await devices("b")
    real = remote.Remote.table_page
    calls = {"outputs": 0}

    async def flaky(self: remote.Remote, name: str, after: Any, limit: int) -> Any:
        if name == "terminal_outputs":
            calls["outputs"] += 1
            if calls["outputs"] == 2:
                raise remote.Offline("cut in the middle of the copy")
        return await real(self, name, after, 1000 if name == "terminal_outputs" else limit)

    monkeypatch.setattr(remote.Remote, "table_page", flaky)
    with pytest.raises(remote.Offline):
        await b.sync()
    assert b.rows("SELECT count(*) FROM terminal_outputs") == [(1000,)]
    assert b.rows("SELECT count(*) FROM sync_state WHERE key = 'pull.full'") == [(1,)]
    await b.sync()
    assert b.rows("SELECT count(*), count(DISTINCT sequence) FROM terminal_outputs") == [
        (3000, 3000)
    ]
    assert await b.store.read(queries.load_agents) == []  # A's agent, not B's
