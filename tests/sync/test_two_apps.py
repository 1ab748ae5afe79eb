"""Two real apps (processes, separate data dirs) and one PostgreSQL: each sees the other's
commands with identical output, traces and reports; a preset edited on both ends the same on
both; agents of the same name on each stay two agents."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from onsembl_desktop.store.db import DB_FILENAME
from onsembl_desktop.store.models import Base
from onsembl_desktop.store.types import utcnow
from tests.agent_e2e.e2e import claude_run, standin
from tests.orchestration.conftest import Orch
from tests.store.test_pg_schema import onsembl
from tests.support import AppProcess, wait_for
from tests.sync.conftest import remote_rows

pytestmark = pytest.mark.postgres

REPORT = {
    "title": "Why the build is slow",
    "summary": "The cache is cold.",
    "sections": [{"title": "Context", "content": "CI only"}],
    "findings": [{"description": "no cache", "severity": "high", "evidence": ["ci.yml:3"]}],
    "recommendations": [],
}
COMPARED = (
    "commands",
    "command_runs",
    "terminal_outputs",
    "trace_entries",
    "investigation_reports",
    "command_presets",
    "execution_constraints",
)


@pytest.fixture
def apps(tmp_path: Path, remote_url: str) -> Iterator[list[Orch]]:
    made: list[Orch] = []
    for name in ("a", "b"):
        data_dir = tmp_path / name
        configured = onsembl("sync", "configure", "--url", remote_url, "--data-dir", str(data_dir))
        assert configured.returncode == 0, configured.stderr
        app = AppProcess(data_dir, ["--heartbeat", "1", "--grace", "5"]).start()
        made.append(Orch(app, tmp_path / f"{name}-work"))
        (tmp_path / f"{name}-work").mkdir()
    yield made
    for orch in made:
        orch.stop_agents()
        orch.app.stop()


def rows_of(data_dir: Path, table: str) -> list[dict[str, Any]]:
    """A table as the app reads it (decoded: JSON key order and the like do not matter)."""
    engine = create_engine(f"sqlite:///{data_dir / DB_FILENAME}")
    try:
        tbl = Base.metadata.tables[table]
        with engine.connect() as conn:
            rows = conn.execute(select(tbl).order_by(*tbl.primary_key.columns)).all()
        return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def synced(orch: Orch) -> dict[str, Any]:
    view: dict[str, Any] = orch.call("sync.now", timeout=60)
    assert view["state"] == "online", view
    return view


def test_two_apps_see_each_others_work(apps: list[Orch], tmp_path: Path, remote_url: str) -> None:
    a, b = apps
    for orch in (a, b):
        orch.start_agents("sh1", wait=False)  # the same name in both apps
        orch.start_agents(
            "claude-1", agent_type="claude", wait=False, **standin("claude", mode="prompt-sample")
        )
    a.wait_online("sh1", "claude-1")
    b.wait_online("sh1", "claude-1")

    answer = "Found it.\n\n```json\n" + json.dumps(REPORT) + "\n```"
    commands: dict[str, list[str]] = {"a": [], "b": []}
    for orch, name in ((a, "a"), (b, "b")):
        commands[name].append(orch.send("sh1", f"echo from-{name}; seq 1 300"))
        sample = tmp_path / f"{name}-run.jsonl"  # the stand-in replays it: a trace and a report
        sample.write_text(claude_run(answer, str(uuid.uuid4()), tool_call=True))
        commands[name].append(orch.send("claude-1", str(sample), type="INVESTIGATE"))
    for orch, name in ((a, "a"), (b, "b")):
        for command_id in commands[name]:
            assert orch.wait_status(command_id, timeout=30)["status"] == "COMPLETED"

    # Each app sees the other's commands, with the same output, runs and traces.
    for here, there, name in ((b, a, "a"), (a, b, "b")):
        for command_id in commands[name]:
            wait_for(lambda o=here, cid=command_id: _has(o, cid), timeout=20, interval=0.2)
            mine, theirs = there.show(command_id), here.show(command_id)
            assert theirs["output"] == mine["output"] and theirs["status"] == mine["status"]
            assert here.call("traces.get", commandId=command_id) == there.call(
                "traces.get", commandId=command_id
            )
        assert len(here.call("reports.list")) == 2

    # A preset made on one, then edited on both: the later edit wins everywhere.
    a.call("presets.add", name="review", content="review {{x}}")
    wait_for(lambda: _preset(b, "review") is not None, timeout=20, interval=0.2)
    a.call("presets.edit", name="review", content="edited on a")
    b.call("presets.edit", name="review", content="edited on b")
    wait_for(
        lambda: _preset(a, "review") == _preset(b, "review") == "edited on b",
        timeout=20,
        interval=0.2,
    )

    # Quiet now: push and pull on both, then the tables match, here and in PostgreSQL.
    before = utcnow()
    for orch in (a, b, a):
        synced(orch)
    for table in COMPARED:
        left, right = rows_of(a.app.data_dir, table), rows_of(b.app.data_dir, table)
        assert left == right, table
        assert remote_rows(remote_url, f"SELECT count(*) FROM {table}") == [(len(left),)], table
    # The audit logs too (up to the final rounds: agents keep connecting meanwhile).
    audit = [
        {r["id"] for r in rows_of(orch.app.data_dir, "audit_logs") if r["created_at"] < before}
        for orch in (a, b)
    ]
    assert audit[0] == audit[1] and len(audit[0]) > 10
    # Two agents named sh1, one per app; each app lists only its own.
    assert remote_rows(remote_url, "SELECT count(*) FROM agents WHERE name = 'sh1'") == [(2,)]
    assert [x["name"] for x in a.call("agents.list")].count("sh1") == 1
    # One person: B adopted A's user.
    assert rows_of(a.app.data_dir, "users") == rows_of(b.app.data_dir, "users")


def _has(orch: Orch, command_id: str) -> bool:
    try:
        view = orch.show(command_id)
    except Exception:
        return False
    return bool(view["status"] == "COMPLETED" and view["output"])


def _preset(orch: Orch, name: str) -> str | None:
    found = [p for p in orch.call("presets.list") if p["name"] == name]
    return str(found[0]["content"]) if found else None
