"""Push, pull, conflicts and natural keys between two local devices and one PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onsembl_desktop.store.outputs import OUTPUT_COLUMNS
from onsembl_desktop.sync import local
from tests.sync.conftest import remote_rows


async def test_rows_of_one_device_reach_the_other(
    devices: Callable[..., Any], remote_url: str
) -> None:
    a = await devices("a")
    b = await devices("b")
    agent = await a.agent("sh1")
    command = await a.command(agent)
    await a.output(command, agent, [f"line {i}\n" for i in range(1, 101)])
    await a.sync()
    assert remote_rows(remote_url, "SELECT count(*) FROM terminal_outputs") == [(100,)]
    await b.sync()
    assert b.rows("SELECT count(*) FROM terminal_outputs") == [(100,)]
    cols = ", ".join(OUTPUT_COLUMNS)
    assert sorted(a.rows(f"SELECT {cols} FROM terminal_outputs")) == sorted(
        b.rows(f"SELECT {cols} FROM terminal_outputs")
    )


async def test_incremental_changes_follow_and_nothing_echoes(
    devices: Callable[..., Any], remote_url: str
) -> None:
    a = await devices("a")
    b = await devices("b")
    agent = await a.agent("sh1")
    await a.sync()
    await b.sync()
    command = await a.command(agent, "second")
    await a.output(command, agent, ["x\n", "y\n"])
    await a.sync()
    await b.sync()
    assert b.rows("SELECT content FROM commands") == [("second",)]
    assert b.rows("SELECT count(*) FROM terminal_outputs") == [(2,)]
    # Pulled rows are not in B's outbox: nothing to push back.
    assert b.rows("SELECT count(*) FROM sync_outbox") == [(0,)]
    # Output was pushed once: one range entry in the log, by A.
    assert remote_rows(remote_url, "SELECT count(*) FROM onsembl_sync_log WHERE op = 'R'") == [(1,)]


async def test_a_batch_pushed_again_is_not_doubled(
    devices: Callable[..., Any], remote_url: str
) -> None:
    """As after a crash between the remote commit and marking the batch done locally."""
    a = await devices("a")
    agent = await a.agent("sh1")
    command = await a.command(agent)
    await a.output(command, agent, [f"{i}\n" for i in range(50)])
    await a.sync()
    log_before = remote_rows(remote_url, "SELECT count(*) FROM onsembl_sync_log")
    await a.store.write_wait(local.queue_everything)
    await a.output(command, agent, ["one more\n"], start=51)
    await a.sync()
    assert remote_rows(remote_url, "SELECT count(*) FROM terminal_outputs") == [(51,)]
    assert remote_rows(remote_url, "SELECT count(*) FROM commands") == [(1,)]
    # Rows that did not change log nothing new (only the new output's range).
    assert remote_rows(remote_url, "SELECT count(*) FROM onsembl_sync_log") == [
        (log_before[0][0] + 1,)
    ]
