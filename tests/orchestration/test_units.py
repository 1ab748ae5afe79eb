"""The pure parts of orchestration, without an app: queue insertion, preset filling, limits, the
agent's fast stop hurrying a slow one, and a failed local agent's last words."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import pytest

from onsembl_desktop.agent.process import FAST_KILL_AFTER_S, PtyProcess
from onsembl_desktop.core.model import AgentQueue, Command, Run
from onsembl_desktop.core.presets import PresetError, fill, placeholders
from onsembl_desktop.core.records import Limits, PresetInfo, PresetVariable
from onsembl_desktop.core.supervised import TAIL_BYTES, log_tail
from onsembl_desktop.protocol.enums import CommandType
from onsembl_desktop.store.types import utcnow


def run(priority: int, name: str = "") -> Run:
    command = Command(uuid.uuid4(), name, CommandType.NATURAL, priority, utcnow())
    return Run(command, uuid.uuid4(), "a", utcnow(), 0)


def test_a_failed_runs_reason_comes_from_its_own_lines_of_the_log(tmp_path: Path) -> None:
    log = tmp_path / "agent-x.log"
    log.write_bytes(b"earlier run: refused\n")
    offset = log.stat().st_size
    assert log_tail(log, offset, 3) == []  # this run wrote nothing (yet)
    with log.open("ab") as f:
        f.write(b"INFO connecting\n\n  onsembl-agent: refused for good  \n\n")
    assert log_tail(log, offset, 3) == ["INFO connecting", "onsembl-agent: refused for good"]
    assert log_tail(log, offset, 1) == ["onsembl-agent: refused for good"]
    with log.open("ab") as f:  # a long run: only its end is read, and no cut line is kept
        f.write(b"x" * TAIL_BYTES + b"\nlast words\n")
    assert log_tail(log, offset, 3) == ["last words"]
    assert log_tail(tmp_path / "missing.log", 0, 3) == []


def test_insertion_is_priority_then_arrival_and_respects_moves() -> None:
    queue = AgentQueue()
    for p, n in [(10, "low"), (90, "h1"), (50, "mid"), (90, "h2")]:
        queue.insert(run(p, n))
    assert [r.command.content for r in queue.waiting] == ["h1", "h2", "mid", "low"]
    low = queue.waiting[3]
    assert queue.move(low, 1) == 1  # the user's order: low first
    assert queue.insert(run(60, "new")) == 4  # after h2 (90), before mid (50)
    assert queue.insert(run(95, "top")) == 1
    assert queue.insert(run(5, "last")) == 7
    names = [r.command.content for r in queue.waiting]
    assert names == ["top", "low", "h1", "h2", "new", "mid", "last"]
    assert queue.move(low, 99) == 7  # clamped


def test_fill_values_defaults_and_clear_errors() -> None:
    preset = PresetInfo(
        uuid.uuid4(),
        "p",
        "{{a}} and {{ b }} and {{a}} {{c}}",
        variables=(PresetVariable("a"), PresetVariable("b", "the b", default="B")),
    )
    assert placeholders(preset.content) == ["a", "b", "c"]
    assert fill(preset, {"a": "A", "c": "{{a}}"}) == "A and B and A {{a}}"  # values not re-read
    with pytest.raises(PresetError, match=r"needs a value for a, c \(give --var a=VALUE"):
        fill(preset, {})
    with pytest.raises(PresetError, match="has no variable z"):
        fill(preset, {"a": "1", "c": "2", "z": "3"})


def test_limits_override_one_by_one() -> None:
    profile = Limits(time_limit_ms=60_000, token_budget=1000, cpu_limit_percent=50)
    own = Limits(time_limit_ms=5000, memory_limit_mb=256)
    assert own.over(profile).as_dict() == {
        "time_limit_ms": 5000,
        "token_budget": 1000,
        "memory_limit_mb": 256,
        "cpu_limit_percent": 50,
    }
    assert Limits().as_dict() == {}


async def test_a_fast_stop_hurries_a_slow_one_under_way() -> None:
    chunks: list[str] = []
    proc = PtyProcess(chunks.append)
    # Ignores SIGINT and SIGTERM: only SIGKILL ends it.
    await proc.start(
        ["/bin/sh", "-c", 'trap "" INT TERM; echo ready; sleep 30'], cwd="/", env=dict(os.environ)
    )
    async with asyncio.timeout(5):
        while "ready" not in "".join(chunks):  # noqa: ASYNC110 - polling the child's output
            await asyncio.sleep(0.02)
    slow = proc.stop(escalate_after_s=60.0)
    await asyncio.sleep(0.1)
    assert proc.stop(fast=True) is slow  # the same stop, now hurried
    # At the slow pace SIGTERM would come only after 60 s; hurried, SIGKILL ends it at once.
    await asyncio.wait_for(slow, 30 * FAST_KILL_AFTER_S)
    assert await proc.wait() == -signal.SIGKILL
