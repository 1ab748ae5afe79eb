"""Limits end to end: token budget, time limit and cancel, as the app's database records them."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psutil

from tests.support import AgentProcess, AppProcess, wait_for

from .e2e import Db, standin

USAGE_STEP = 100
EVENT_TOKENS = USAGE_STEP + 1  # each stand-in event: a new message, USAGE_STEP in + 1 out


def _send(app: AppProcess, agent: str, *args: str) -> uuid.UUID:
    return uuid.UUID(app.send(agent, *args[-1:], *args[:-1]))


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def test_token_budget_stops_within_one_event(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent(
        "c1",
        "claude",
        **standin("claude", mode="usage-forever", usage_step=str(USAGE_STEP), interval="0.05"),
    )
    app.wait_agent("c1")
    command_id = _send(app, "c1", "--token-budget", "1000", "spend")
    view = app.wait_status(str(command_id), timeout=20)
    (run,) = view["runs"]
    assert view["status"] == "FAILED" and run["reason"] == "TOKEN_LIMIT_EXCEEDED"
    total = run["tokens"]["total"]
    assert 1000 < total <= 1000 + EVENT_TOKENS  # crossed, and stopped at the event that crossed
    db = Db(app)
    assert db.run(command_id)["total_tokens"] == total
    (root,) = [n for n in db.traces(command_id) if n["parent_id"] is None]
    assert root["tokens_used"] == total
    (entry,) = db.audit("TOKEN_LIMIT_EXCEEDED", command_id)
    assert json.loads(entry["details"])["tokens"] == total


def test_time_limit_ends_sleep_60_within_2_s(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    start_agent("sh1")
    app.wait_agent("sh1")
    command_id = _send(app, "sh1", "--time-limit", "1", "sleep 60")
    view = app.wait_status(str(command_id), timeout=10)
    (run,) = view["runs"]
    assert view["status"] == "FAILED" and run["reason"] == "TIME_LIMIT_EXCEEDED"
    assert 1.0 <= _seconds(run["startedAt"], run["completedAt"]) < 2.0
    assert Db(app).audit("TIME_LIMIT_EXCEEDED", command_id)


def _group(pgid: int) -> list[psutil.Process]:
    alive = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except (OSError, psutil.Error):
            continue
    return alive


def test_cancel_leaves_nothing_of_the_group(
    app: AppProcess, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    argv_file = tmp_path / "argv.json"
    # The CLI ignores SIGINT (the stop must escalate); its grandchild does not inherit that.
    start_agent(
        "c1",
        "claude",
        **standin(
            "claude", mode="sleep", child="1", argv_file=str(argv_file), ignore_signals="INT"
        ),
    )
    app.wait_agent("c1")
    command_id = _send(app, "c1", "wait for me")
    started = wait_for(lambda: argv_file.exists() and json.loads(argv_file.read_text()), 10)
    pgid = started["pid"]
    assert os.getpgid(started["child_pid"]) == pgid and len(_group(pgid)) == 2
    result = app.ctl("cancel", str(command_id))
    assert result.returncode == 0, result.stderr
    view = app.wait_status(str(command_id), timeout=15)
    assert view["status"] == "CANCELLED"
    assert _group(pgid) == []
    for pid in (started["pid"], started["child_pid"]):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
