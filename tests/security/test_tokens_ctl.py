"""``onsembl ctl tokens`` against the running app, with a real agent using a per-agent token:
created, listed (never shown again), and revoked — the agent is cut off and cannot come back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import AgentProcess, AppProcess


def test_create_list_revoke_with_a_real_agent(app: AppProcess, tmp_path: Path) -> None:
    made = app.ctl("tokens", "create", "--label", "ci runner", "--agent", "ci1", "--json")
    assert made.returncode == 0, made.stderr
    info = json.loads(made.stdout)
    token = info["token"]
    assert info["agent"] == "ci1" and info["label"] == "ci runner"
    log = tmp_path / "ci1.log"
    agent = AgentProcess(app.url, token, "ci1", log_path=log).start()
    try:
        app.wait_agent("ci1")
        listed = app.ctl_json("tokens", "list")
        assert listed[0]["id"] == "default"
        (mine,) = [t for t in listed if t["id"] == info["id"]]
        assert mine["connections"] == 1 and "token" not in mine
        assert token not in json.dumps(listed)
        plain = app.ctl("tokens", "list")
        assert info["id"] in plain.stdout and "ci runner" in plain.stdout
        revoked = app.ctl("tokens", "revoke", info["id"])
        assert revoked.returncode == 0 and "1 connection closed" in revoked.stdout
        assert agent.proc is not None and agent.proc.wait(20) == 2  # refused when it came back
        assert "refused the token" in log.read_text()
        assert app.agents()["ci1"]["status"] == "OFFLINE"
        again = app.ctl("tokens", "revoke", info["id"])
        assert again.returncode != 0 and "no token" in again.stderr
    finally:
        agent.stop()
