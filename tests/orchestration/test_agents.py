"""Agent control (pause, resume, restart, stop) and local agents the app launches and supervises:
restarted after a crash, not after a stop, stopped with the app and relaunched when it starts,
taken over after an app crash."""

from __future__ import annotations

import os
import re
import signal
import stat
import time
from typing import Any

import psutil

from tests.orchestration.conftest import Orch, details
from tests.support import AppProcess, wait_for


def gone(pid: int) -> bool:
    """Exited (a zombie no one has reaped yet counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def group_statuses(pgid: int) -> set[str]:
    statuses = set()
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid:
                statuses.add(proc.info["status"])
        except (OSError, psutil.Error):
            continue
    return statuses


def test_pause_resume_restart_stop_an_agent(orch: Orch) -> None:
    [agent] = orch.start_agents("ac1")
    marker = orch.tmp_path / "after.txt"
    running = orch.send("ac1", 'echo "PGID $$"; sleep 2; echo done')
    match = wait_for(lambda: re.search(r"PGID (\d+)", orch.output(running)), 15)
    pgid = int(match.group(1))

    assert orch.app.ctl("agent", "pause", "ac1").returncode == 0
    wait_for(lambda: group_statuses(pgid) == {psutil.STATUS_STOPPED}, 5)
    queued = orch.send("ac1", f"echo after >> {marker}")
    time.sleep(2.5)  # longer than the command would have run
    assert orch.show(running)["status"] == "EXECUTING"
    assert orch.show(queued)["status"] == "QUEUED"
    assert orch.queue("ac1")["paused"] is True

    assert orch.app.ctl("agent", "resume", "ac1").returncode == 0
    assert orch.wait_status(running)["status"] == "COMPLETED"
    assert orch.wait_status(queued)["status"] == "COMPLETED"

    # Restart with a command running and one waiting: the running one is stopped, the waiting
    # one is not handed to the leaving agent but runs once it is back.
    pid = agent.proc.pid  # type: ignore[union-attr]
    stopped = orch.send("ac1", "sleep 30")
    orch.wait_status(stopped, "EXECUTING")
    after_restart = orch.send("ac1", f"echo again >> {marker}")
    assert orch.app.ctl("agent", "restart", "ac1").returncode == 0
    wait_for(lambda: len(orch.audit("AGENT_CONNECT", agent="ac1")) == 2, 15)
    orch.wait_online("ac1")
    assert agent.proc.pid == pid and agent.proc.poll() is None  # type: ignore[union-attr]
    view = orch.wait_status(stopped)
    assert (view["status"], view["runs"][0]["reason"]) == ("CANCELLED", "AGENT_STOPPED")
    assert orch.wait_status(after_restart)["status"] == "COMPLETED"
    assert marker.read_text().split() == ["after", "again"]

    assert orch.app.ctl("agent", "stop", "ac1").returncode == 0
    assert agent.proc.wait(10) == 0  # type: ignore[union-attr]
    orch.wait_online("ac1", status="OFFLINE")
    offline = orch.app.ctl("agent", "stop", "ac1")
    assert offline.returncode == 2 and "not connected" in offline.stderr

    actions = [details(e)["action"] for e in reversed(orch.audit("AGENT_CONTROL", agent="ac1"))]
    assert actions == ["PAUSE", "RESUME", "RESTART", "STOP"]


def local(orch: Orch, name: str) -> dict[str, Any]:
    result: dict[str, Any] = next(a for a in orch.call("localAgents.list") if a["name"] == name)
    return result


def test_local_agents_are_supervised(orch: Orch) -> None:
    ctl = orch.app.ctl
    added = ctl("agent", "add", "loc1", "--cwd", str(orch.tmp_path))
    assert added.returncode == 0, added.stderr
    assert ctl("agent", "add", "loc2", "--cwd", str(orch.tmp_path), "--no-start").returncode == 0
    bad = ctl("agent", "add", "loc3", "--cwd", str(orch.tmp_path / "missing"))
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    orch.wait_online("loc1")
    assert orch.wait_status(orch.send("loc1", "echo hi"))["status"] == "COMPLETED"
    first = local(orch, "loc1")
    assert first["state"] == "RUNNING" and first["pid"]
    assert local(orch, "loc2")["state"] == "STOPPED"
    saved = orch.app.data_dir / "local_agents.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    # A crash: restarted after the backoff.
    os.kill(first["pid"], signal.SIGKILL)
    wait_for(lambda: local(orch, "loc1")["restarts"] == 1, 15)
    orch.wait_online("loc1")
    second = local(orch, "loc1")
    assert second["pid"] != first["pid"] and second["lastExit"] == -signal.SIGKILL
    [crash] = orch.audit("AGENT_ERROR")
    assert details(crash)["code"] == "LOCAL_AGENT_CRASHED"
    assert any(details(e).get("automatic") for e in orch.audit("AGENT_CONTROL"))

    # A deliberate stop: not restarted.
    assert ctl("agent", "stop", "loc1").returncode == 0
    assert gone(second["pid"])
    time.sleep(1.5)  # past the first backoff
    assert local(orch, "loc1")["state"] == "STOPPED" and local(orch, "loc1")["pid"] is None
    orch.wait_online("loc1", status="OFFLINE")
    assert ctl("agent", "start", "loc1").returncode == 0
    orch.wait_online("loc1")

    # The app quits: its local agents stop; it starts: they are launched again (not loc2).
    running = local(orch, "loc1")["pid"]
    orch.app.stop()
    assert gone(running)
    orch.app = AppProcess(orch.app.data_dir, orch.app.extra_args).start()
    orch.wait_online("loc1")
    assert local(orch, "loc2")["state"] == "STOPPED"
    assert orch.wait_status(orch.send("loc1", "echo back"))["status"] == "COMPLETED"

    # The app crashes: the agent outlives it and the next start takes it over (same address).
    survivor = local(orch, "loc1")["pid"]
    port = orch.app.port
    orch.app.kill()
    time.sleep(0.3)
    assert psutil.Process(survivor).is_running()
    orch.app = AppProcess(orch.app.data_dir, orch.app.extra_args).start(port=port)
    orch.wait_online("loc1")
    assert local(orch, "loc1")["pid"] == survivor

    log = orch.app.data_dir / "logs" / "agent-loc1.log"
    assert "connected to" in log.read_text()
    assert ctl("agent", "rm", "loc1").returncode == 0
    assert [a["name"] for a in orch.call("localAgents.list")] == ["loc2"]
    wait_for(lambda: gone(survivor), 10)


def test_a_local_agent_refused_for_good_is_not_restarted(orch: Orch) -> None:
    """``onsembl-agent`` exits 2 when the app refuses it in a way retrying cannot fix: here its
    name belongs to a token of its own. The supervisor does not restart it (it would be refused
    again, forever): the agent is FAILED with the agent's own last words as the reason, until
    the user fixes the cause and starts it again. A crash is still restarted."""
    ctl = orch.app.ctl
    bound = orch.call("tokens.create", label="its own", agent="bound1")
    added = ctl("agent", "add", "bound1", "--cwd", str(orch.tmp_path))
    assert added.returncode == 0, added.stderr

    failed = wait_for(lambda: (a := local(orch, "bound1"))["state"] == "FAILED" and a, 20)
    assert failed["lastExit"] == 2 and failed["pid"] is None and failed["restarts"] == 0
    assert "refused the name 'bound1'" in failed["error"]
    assert "has a token of its own" in failed["error"]
    time.sleep(2.5)  # past the first backoffs (1 s, then 2 s)
    still = local(orch, "bound1")
    assert (still["state"], still["restarts"], still["nextRestartInS"]) == ("FAILED", 0, None)
    log = orch.app.data_dir / "logs" / "agent-bound1.log"
    assert log.read_text().count("refused the name") == 1  # launched once
    [error] = orch.audit("AGENT_ERROR")
    assert details(error)["code"] == "LOCAL_AGENT_FAILED"
    assert details(error)["message"] == failed["error"] and details(error)["exit_code"] == 2
    assert not any(details(e).get("automatic") for e in orch.audit("AGENT_CONTROL"))
    listed = ctl("agent", "list")
    assert "FAILED" in listed.stdout and "has a token of its own" in listed.stdout

    # The user fixes the cause (the token that holds the name goes) and starts it again.
    orch.call("tokens.revoke", id=bound["id"])
    assert ctl("agent", "start", "bound1").returncode == 0
    orch.wait_online("bound1")
    running = local(orch, "bound1")
    assert running["state"] == "RUNNING" and running["error"] is None

    # A crash of the same agent is still restarted.
    os.kill(running["pid"], signal.SIGKILL)
    wait_for(lambda: local(orch, "bound1")["restarts"] == 1, 15)
    orch.wait_online("bound1")
    assert local(orch, "bound1")["state"] == "RUNNING"
    codes = [details(e)["code"] for e in reversed(orch.audit("AGENT_ERROR"))]
    assert codes == ["LOCAL_AGENT_FAILED", "LOCAL_AGENT_CRASHED"]
