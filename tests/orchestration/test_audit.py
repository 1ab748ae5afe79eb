"""The audit trail through ``onsembl ctl audit``: filters by type, time and agent; the local
user's sessions (USER_LOGIN / USER_LOGOUT)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.orchestration.conftest import Orch, details
from tests.orchestration.test_restart import restart


def test_ctl_audit_filters_and_user_sessions(orch: Orch) -> None:
    orch.start_agents("au1", "au2")
    first = orch.send("au1", "true")
    orch.wait_status(first)
    ctl = orch.app.ctl

    sent = ctl("audit", "--type", "command_sent", "--json")
    assert sent.returncode == 0, sent.stderr
    [entry] = json.loads(sent.stdout)
    assert entry["type"] == "COMMAND_SENT" and entry["commandId"] == first
    assert entry["userId"] is not None and details(entry)["agent"] == "au1"
    au1 = orch.agent_view("au1")
    assert au1 is not None and entry["agentId"] == au1["id"] and details(entry)["targets"] == 1

    text = ctl("audit", "--agent", "au2")
    assert text.returncode == 0, text.stderr
    assert "AGENT_CONNECT" in text.stdout and "COMMAND_SENT" not in text.stdout
    assert "COMMAND_SENT" in ctl("audit", "--agent", "au1").stdout  # the send, by its target

    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert json.loads(ctl("audit", "--since", later, "--json").stdout) == []
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    everything = json.loads(ctl("audit", "--since", earlier, "--json").stdout)
    types = {e["type"] for e in everything}
    assert {"USER_LOGIN", "AGENT_CONNECT", "COMMAND_SENT", "COMMAND_COMPLETED"} <= types
    bad = ctl("audit", "--since", "yesterday")
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr

    restart(orch)
    sessions = [e["type"] for e in reversed(orch.audit()) if e["type"].startswith("USER_")]
    assert sessions == ["USER_LOGIN", "USER_LOGOUT", "USER_LOGIN"]
