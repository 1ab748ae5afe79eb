"""Health in heartbeats, and AGENT_CONTROL on a live agent, through ``ctl``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from tests.support import AgentProcess, AppProcess, wait_for

from .e2e import Db, standin


def _health(app: AppProcess, name: str) -> dict[str, Any]:
    health: dict[str, Any] = app.agents()[name]["health"]
    return health


def test_heartbeat_health(app: AppProcess, start_agent: Callable[..., AgentProcess]) -> None:
    start_agent("c1", "claude", **standin("claude"))
    app.wait_agent("c1")
    first = wait_for(lambda: _health(app, "c1") or None, 10)
    assert first["memory_usage"] > 0 and first["uptime"] >= 0
    assert first["commands_processed"] == 0
    for text in ("one", "two"):
        assert app.ctl("send", "--agent", "c1", "--wait", text).returncode == 0
    later = wait_for(lambda: (h := _health(app, "c1"))["commands_processed"] == 2 and h, 10)
    assert later["average_response_time"] > 0 and later["uptime"] > first["uptime"]
    assert later["memory_usage"] > 0 and later["cpu_usage"] >= 0


def _agent(app: AppProcess, action: str, name: str) -> None:
    result = app.ctl("agent", action, name)
    assert result.returncode == 0, result.stderr


def test_pause_resume_stop(
    app: AppProcess, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    argv_file = tmp_path / "argv.json"
    agent = start_agent(
        "c1", "claude", **standin("claude", mode="usage-forever", argv_file=str(argv_file))
    )
    app.wait_agent("c1")
    command_id = uuid.UUID(app.send("c1", "work"))
    cli = psutil.Process(
        wait_for(lambda: argv_file.exists() and json.loads(argv_file.read_text()))["pid"]
    )
    db = Db(app)
    wait_for(lambda: db.output(command_id))

    _agent(app, "pause", "c1")
    wait_for(lambda: cli.status() == psutil.STATUS_STOPPED, 5)
    assert app.show(str(command_id))["status"] == "EXECUTING"
    _agent(app, "resume", "c1")
    wait_for(lambda: cli.status() != psutil.STATUS_STOPPED, 5)
    seen = len(db.output(command_id))
    wait_for(lambda: len(db.output(command_id)) > seen, 5)  # it runs again

    _agent(app, "stop", "c1")
    assert agent.proc is not None and agent.proc.wait(10) == 0  # the agent exits
    assert not cli.is_running() or cli.status() == psutil.STATUS_ZOMBIE
    view = app.wait_status(str(command_id), timeout=10)
    assert view["status"] == "CANCELLED" and view["runs"][0]["reason"] == "AGENT_STOPPED"
    app.wait_agent("c1", "OFFLINE")


def test_restart_reconnects_the_same_process(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    agent = start_agent("c1", "claude", **standin("claude"))
    before = app.wait_agent("c1")
    _agent(app, "restart", "c1")

    def reconnected() -> dict[str, Any] | None:
        now = app.agents()["c1"]
        return (
            now
            if now["status"] == "ONLINE" and now["connectedAt"] != before["connectedAt"]
            else None
        )

    wait_for(reconnected, 15, 0.2)
    assert agent.proc is not None and agent.proc.poll() is None  # re-executed in place
    assert app.ctl("send", "--agent", "c1", "--wait", "still there?").returncode == 0
