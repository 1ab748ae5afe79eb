"""Limits: the app's time-limit backstop, constraint profiles and how a command's limits are
resolved, and the CPU limit applied to a command's process group."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime

from onsembl_desktop.agent.executor import IGNORE_TIME_LIMIT_ENV
from tests.orchestration.conftest import Orch, details
from tests.support import STANDINS


def test_the_app_stops_a_command_its_agent_lets_overrun(orch: Orch) -> None:
    # This agent ignores time limits (a test hook standing in for an old or broken agent), so
    # only the app's backstop (limit + 2 s) can stop the command.
    orch.start_agents("t1", env={IGNORE_TIME_LIMIT_ENV: "1"})
    command_id = orch.send("t1", "sleep 30", timeLimitMs=1000)
    view = orch.wait_status(command_id, timeout=15)
    run = view["runs"][0]
    assert view["status"] == "FAILED"
    assert run["reason"] == "TIME_LIMIT_EXCEEDED"
    assert run["error"] == "time limit exceeded"  # the app's words (the agent's name the limit)
    [entry] = orch.audit("TIME_LIMIT_EXCEEDED", commandId=command_id)
    assert details(entry)["constraints"]["time_limit_ms"] == 1000
    assert entry["agentId"] == run["agentId"]


def test_the_backstop_keeps_counting_while_a_dead_agent_has_its_grace_period(
    orch_factory: Callable[..., Orch],
) -> None:
    """A 3 s limit on an agent that died stayed EXECUTING for the whole 60 s grace period: the
    agent went away, the grace period's timer replaced the backstop's. The grace here is far
    longer than any wait below, so only the backstop can end the command."""
    orch = orch_factory("--heartbeat", "1", "--grace", "600")
    (agent,) = orch.start_agents("t3", env={IGNORE_TIME_LIMIT_ENV: "1"})
    command_id = orch.send("t3", "sleep 300", timeLimitMs=3000)
    orch.wait_status(command_id, "EXECUTING")
    agent.kill()  # SIGKILL: the app sees the connection drop, and waits for the agent
    orch.wait_online("t3", status="OFFLINE")
    view = orch.wait_status(command_id, timeout=60)
    (run,) = view["runs"]
    assert (view["status"], run["reason"]) == ("FAILED", "TIME_LIMIT_EXCEEDED")
    assert run["error"] == "time limit exceeded"
    started = datetime.fromisoformat(run["startedAt"])
    ended = datetime.fromisoformat(run["completedAt"])
    assert (ended - started).total_seconds() >= 3  # not before the limit (+ the app's slack)


def test_the_agent_enforces_its_own_time_limit_first(orch: Orch) -> None:
    orch.start_agents("t2")
    command_id = orch.send("t2", "sleep 30", timeLimitMs=500)
    run = orch.wait_status(command_id, timeout=15)["runs"][0]
    assert (run["reason"], run["error"]) == ("TIME_LIMIT_EXCEEDED", "time limit of 0.5 s exceeded")


def test_profiles_and_how_a_command_gets_its_limits(orch: Orch) -> None:
    ctl = orch.app.ctl
    assert (
        ctl("profiles", "add", "quick", "--time-limit", "60", "--token-budget", "1000").returncode
        == 0
    )
    result = ctl(
        "profiles", "add", "long", "--time-limit", "3600", "--cpu-limit", "150", "--default"
    )
    assert result.returncode == 0, result.stderr
    profiles = {p["name"]: p for p in orch.call("profiles.list")}
    assert profiles["long"]["isDefault"] and not profiles["quick"]["isDefault"]
    refused = ctl("profiles", "add", "bad", "--time-limit", "-5")
    assert refused.returncode == 2 and "timeLimitMs" in refused.stderr
    again = ctl("profiles", "add", "quick")
    assert again.returncode == 2 and "already exists" in again.stderr

    orch.start_agents("c1")

    def constraints(command_id: str) -> tuple[dict[str, object], str | None]:
        orch.show(command_id)  # (flushes the app's writes)
        [(stored, profile_id)] = orch.db(
            "SELECT execution_constraints, constraint_id FROM commands WHERE id = ?",
            command_id.replace("-", ""),  # SQLite keeps UUIDs as 32 hex digits
        )
        return json.loads(stored), profile_id

    by_default = orch.send("c1", "true")
    named = orch.send("c1", "true", profile="quick")
    own = orch.send("c1", "true", profile="quick", timeLimitMs=5000)
    default_only_own = orch.send("c1", "true", tokenBudget=7)
    assert constraints(by_default)[0] == {
        "time_limit_ms": 3_600_000,
        "cpu_limit_percent": 150,
        "profile": "long",
    }
    assert constraints(named)[0] == {
        "time_limit_ms": 60_000,
        "token_budget": 1000,
        "profile": "quick",
    }
    assert constraints(own)[0] == {"time_limit_ms": 5000, "token_budget": 1000, "profile": "quick"}
    assert constraints(default_only_own)[0] == {
        "time_limit_ms": 3_600_000,
        "cpu_limit_percent": 150,
        "token_budget": 7,
        "profile": "long",
    }
    ids = {p["name"]: p["id"].replace("-", "") for p in orch.call("profiles.list")}
    assert constraints(named)[1] == ids["quick"]
    assert constraints(by_default)[1] == ids["long"]
    unknown = orch.app.ctl("send", "--agent", "c1", "--profile", "nope", "true")
    assert unknown.returncode == 2 and "no constraint profile named 'nope'" in unknown.stderr

    # Edit (a limit removed, one changed), move the default, then no default at all.
    result = ctl("profiles", "edit", "long", "--cpu-limit", "none", "--time-limit", "10")
    assert result.returncode == 0, result.stderr
    assert ctl("profiles", "default", "quick").returncode == 0
    profiles = {p["name"]: p for p in orch.call("profiles.list")}
    assert profiles["quick"]["isDefault"] and not profiles["long"]["isDefault"]
    assert profiles["long"]["limits"]["cpuLimitPercent"] is None
    assert profiles["long"]["limits"]["timeLimitMs"] == 10_000
    assert ctl("profiles", "default", "--none").returncode == 0
    assert constraints(orch.send("c1", "true"))[0] == {}
    assert ctl("profiles", "rm", "long").returncode == 0
    assert [p["name"] for p in orch.call("profiles.list")] == ["quick"]

    actions = [details(e)["action"] for e in reversed(orch.audit("CONSTRAINT_CHANGED"))]
    assert actions == ["created", "created", "updated", "default", "default", "deleted"]


def test_a_cpu_limit_holds_a_busy_command_to_its_share(orch: Orch) -> None:
    orch.start_agents("cpu1")
    # Spin for 2 s of wall time, then print the CPU time used: about 2 s unthrottled.
    spin = (
        "python3 -c 'import time\nt=time.time()\nwhile time.time()-t<2: pass\n"
        'print("cpu", time.process_time())\''
    )
    command_id = orch.send("cpu1", spin, cpuLimitPercent=25)
    assert orch.wait_status(command_id, timeout=20)["status"] == "COMPLETED"
    match = re.search(r"cpu ([0-9.]+)", orch.output(command_id))
    assert match is not None
    assert float(match.group(1)) < 1.0  # held to about a quarter of the 2 s


def test_a_token_budget_stops_an_ai_cli(orch: Orch) -> None:
    orch.start_agents(
        "claude1",
        agent_type="claude",
        extra_args=["--cli", str(STANDINS / "claude")],
        env={"ONSEMBL_STANDIN_MODE": "usage-forever", "ONSEMBL_STANDIN_USAGE_STEP": "100"},
    )
    command_id = orch.send("claude1", "count forever", tokenBudget=500)
    view = orch.wait_status(command_id, timeout=20)
    run = view["runs"][0]
    assert (view["status"], run["reason"]) == ("FAILED", "TOKEN_LIMIT_EXCEEDED")
    assert run["tokens"]["total"] > 500
    [entry] = orch.audit("TOKEN_LIMIT_EXCEEDED", commandId=command_id)
    assert details(entry)["constraints"]["token_budget"] == 500
