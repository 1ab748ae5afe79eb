"""The database's environment failing under a running app: a full disk (a tiny tmpfs, really
full), a lock held by another program (a real exclusive SQLite lock), a read-only file system (a
real read-only remount). Each is reported as a StorageStatus error and a Notice the UI shows,
nothing already acknowledged is lost, and once the fault is gone everything is stored once.

The tmpfs cases need root (mount); they are skipped where mounting is not allowed.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from onsembl_desktop.core.events import Notice, StorageStatus
from onsembl_desktop.launcher import app_command
from onsembl_desktop.protocol import messages as m
from tests.gateway.conftest import Live, RawAgent, start_app, submit
from tests.support import AppProcess, env_for_children

from .conftest import stored


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "fs"
    point.mkdir()
    if os.geteuid() != 0 or not _mount(
        "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(point)
    ):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        yield point
    finally:
        _mount("-o", "remount,rw", str(point))
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


class Watch:
    """The storage events the UI would get."""

    def __init__(self, live: Live) -> None:
        self.status: list[str | None] = []
        self.notices: list[Notice] = []
        live.core.bus.subscribe(StorageStatus, lambda e: self.status.append(e.error))
        live.core.bus.subscribe(
            Notice, lambda e: self.notices.append(e) if e.key == "storage" else None
        )

    async def until(self, predicate: Any, within: float = 20) -> None:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110
                await asyncio.sleep(0.02)


@pytest.fixture
async def live_on(small_fs: Path) -> AsyncIterator[Live]:
    data_dir = small_fs / "data"
    app = await start_app(data_dir, supervise_local_agents=False)
    state = Live(app, data_dir)
    try:
        yield state
    finally:
        for agent in state.agents:
            await agent.close()
        _mount("-o", "remount,rw", str(small_fs))
        await state.app.stop()


async def _stream_until(
    agent: RawAgent, command_id: uuid.UUID, watch: Watch, acked: list[int]
) -> int:
    """Send 8 KB chunks until the store reports trouble; returns the last seq sent."""
    chunk = "d" * 8000 + "\n"
    for _ in range(3000):
        await agent.output(command_id, chunk)
        while True:  # collect acks as they come, without waiting for them
            try:
                msg = await agent.recv(0.001)
            except TimeoutError:
                break
            if isinstance(msg, m.OutputAck):
                acked.append(msg.seq)
        if any(watch.status):
            return agent.seq
    raise AssertionError("the store never reported a problem")


async def _all_stored_once(live: Live, agent: RawAgent, command_id: uuid.UUID, before: int) -> None:
    await agent.ack_reaching(agent.seq, within=30)
    seqs = live.stored_seqs(command_id)
    assert seqs == list(range(1, agent.seq + 1))
    assert before <= agent.seq


@pytest.mark.expected_error(r"disk holding the database is full", logger="onsembl.store.writer")
async def test_disk_full(live_on: Live, small_fs: Path) -> None:
    live = live_on
    watch = Watch(live)
    agent = await live.agent("full1")
    command_id = await submit(live, "full1", "fill the disk")
    await agent.expect(m.CommandRequest)
    # Leave ~400 KB free: a real ENOSPC comes soon after.
    filler = small_fs / "filler"
    free = os.statvfs(small_fs).f_bavail * os.statvfs(small_fs).f_frsize
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, free - 400_000))
    acked: list[int] = []
    await _stream_until(agent, command_id, watch, acked)
    error = next(s for s in watch.status if s)
    assert "full" in error.lower() and "nothing is lost" in error
    assert watch.notices and watch.notices[-1].level == "error"
    # What was acknowledged before the disk filled is in the database, readable now.
    if acked:
        stored_now = set(live.stored_seqs(command_id))
        assert set(range(1, max(acked) + 1)) <= stored_now
    filler.unlink()  # space again
    await _all_stored_once(live, agent, command_id, max(acked, default=0))
    await watch.until(lambda: watch.status[-1] is None)
    assert watch.notices[-1].level == "info" and "writable again" in watch.notices[-1].message


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A small ext4 file system on a loop device (errors=remount-ro, as most distributions)."""
    image, point = tmp_path / "disk.img", tmp_path / "disk"
    point.mkdir()
    with image.open("wb") as f:
        f.truncate(64 << 20)
    if os.geteuid() != 0 or subprocess.run(["mkfs.ext4", "-q", str(image)]).returncode != 0:
        pytest.skip("needs root and mkfs.ext4")
    if not _mount("-o", "loop,errors=remount-ro", str(image), str(point)):
        pytest.skip("cannot mount a loop device here")
    try:
        yield image, point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _fail_disk(point: Path) -> None:
    """What a failing disk does: ext4 hits an error and the kernel remounts it read-only, with
    the app's files open (ext4's own test hook for exactly that)."""
    dev = Path(
        subprocess.run(
            ["findmnt", "-n", "-o", "SOURCE", str(point)], capture_output=True, text=True
        ).stdout.strip()
    ).name
    Path(f"/sys/fs/ext4/{dev}/trigger_fs_error").write_text("onsembl test\n")


def _repair(image: Path, point: Path) -> None:
    subprocess.run(["umount", "-l", str(point)], check=True)
    subprocess.run(["e2fsck", "-fy", str(image)], capture_output=True)  # (exit 1: fixed)
    assert _mount("-o", "loop,errors=remount-ro", str(image), str(point))


async def test_file_system_turns_read_only_under_the_app(ext4: tuple[Path, Path]) -> None:
    """The data dir's disk goes read-only while an agent streams: the app says so and keeps the
    rest unacknowledged; after the disk is repaired and the app restarted, the agent's resend
    fills the gap and everything acknowledged before the fault is still there, once."""
    image, point = ext4
    data = point  # (so that the app's own stderr log, beside it, is on another disk)
    app = AppProcess(data, ["--heartbeat", "1"]).start()
    instance = uuid.uuid4()
    agent = await _raw_agent(app, instance)
    command_id = uuid.UUID(app.send("raw1", "stream"))
    await agent.expect(m.CommandRequest)
    sent: list[int] = []
    for i in range(20):
        sent.append(await agent.output(command_id, f"before {i}\n"))
    acked = (await agent.ack_reaching(sent[-1])).seq
    _fail_disk(point)
    for i in range(20):
        sent.append(await agent.output(command_id, f"after {i}\n"))
    assert app.log_path is not None
    await _wait_for_text(app.log_path, "The disk holding the database has become read-only")
    late_acks = [a.seq for a in agent.inbox if isinstance(a, m.OutputAck)]
    assert max([acked, *late_acks]) < sent[-1]  # the later ones were not acknowledged
    await agent.close()
    app.kill()
    _repair(image, point)
    again = AppProcess(data, ["--heartbeat", "1"]).start(port=app.port)
    try:
        agent = await _raw_agent(again, instance)
        assert agent.welcome is not None and agent.welcome.acked_seq >= acked
        for seq in sent:
            if seq > agent.welcome.acked_seq:  # what a real agent resends
                await agent.send(m.TerminalOutput(seq=seq, command_id=command_id, data=f"{seq}"))
        await agent.ack_reaching(sent[-1])
        rows = stored(data, command_id)
        assert [s for s, _ in rows] == sent
        await agent.close()
    finally:
        again.stop()


async def _raw_agent(app: AppProcess, instance: uuid.UUID) -> RawAgent:
    ws = await connect(
        app.url + "/ws/agent",
        additional_headers={"Authorization": f"Bearer {app.agent_token}"},
        open_timeout=10,
    )
    agent = RawAgent(ws, "raw1", instance)
    agent.welcome = await agent.hello()
    agent.seq = agent.welcome.acked_seq
    agent.start_beating()
    return agent


async def _wait_for_text(path: Path, text: str, within: float = 20) -> str:
    async with asyncio.timeout(within):
        while text not in (content := path.read_text()):  # noqa: ASYNC110, ASYNC240
            await asyncio.sleep(0.05)
    return content


def test_a_read_only_data_dir_at_start_is_a_clear_error(small_fs: Path) -> None:
    data = small_fs / "data"
    first = AppProcess(data).start()
    first.stop()
    assert _mount("-o", "remount,ro", str(small_fs))
    result = subprocess.run(
        [*app_command(), "--headless", "--data-dir", str(data), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env_for_children(),
    )
    assert result.returncode == 1
    assert "Read-only file system" in result.stderr and "must be writable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.expected_error(r"database is locked", logger="onsembl.store.writer")
async def test_database_locked_by_another_program(live: Live) -> None:
    watch = Watch(live)
    agent = await live.agent("lock1")
    command_id = await submit(live, "lock1", "write")
    await agent.expect(m.CommandRequest)
    first = await agent.output(command_id, "before\n")
    await agent.ack_reaching(first)
    other = sqlite3.connect(live.data_dir / "onsembl.db", timeout=10)
    other.execute("BEGIN EXCLUSIVE")  # held past the app's 5 s busy timeout
    try:
        for i in range(5):
            await agent.output(command_id, f"while locked {i}\n")
        await watch.until(lambda: any(watch.status), within=30)
        error = next(s for s in watch.status if s)
        assert "locked" in error.lower()
        assert watch.notices[-1].level == "error" and watch.notices[-1].key == "storage"
    finally:
        other.rollback()
        other.close()
    await _all_stored_once(live, agent, command_id, first)
    await watch.until(lambda: watch.status[-1] is None)
