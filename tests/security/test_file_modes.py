"""Every file Onsembl writes in its data dir is 0600 and every folder 0700: walk a data dir after
real use (database and its WAL, logs, tokens, TLS key, JSON state, archives, local agent logs)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from onsembl_desktop.launcher import app_command
from onsembl_desktop.secrets import SecretStore
from tests.support import AgentProcess, AppProcess, env_for_children


def _loose(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            mode = stat.S_IMODE((Path(folder) / name).stat().st_mode)
            if mode != 0o700:
                found.append(f"{Path(folder, name).relative_to(root)}/ {oct(mode)}")
        for name in files:
            mode = stat.S_IMODE((Path(folder) / name).stat().st_mode)
            if mode != 0o600:
                found.append(f"{Path(folder, name).relative_to(root)} {oct(mode)}")
    return found


def test_a_used_data_dir_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    work = tmp_path / "work"
    work.mkdir()
    app = AppProcess(data, ["--tls", "--heartbeat", "1"]).start()
    agent = None
    try:
        assert app.ctl("agent", "add", "local1", "--cwd", str(work)).returncode == 0
        app.wait_agent("local1", timeout=20)
        made = app.ctl("tokens", "create", "--label", "remote box", "--agent", "remote1")
        assert made.returncode == 0, made.stderr
        agent = AgentProcess(
            app.url,
            made.stdout.strip(),
            "remote1",
            extra_args=["--fingerprint", app.endpoint()["fingerprint"]],
        ).start()
        app.wait_agent("remote1")
        result = app.ctl("send", "--agent", "remote1", "--wait", "echo private")
        assert result.returncode == 0, result.stderr
        assert app.ctl("agent", "pause", "local1").returncode == 0
        # Output "older than 30 days" as of 2099: archived (by the running app).
        cleanup = subprocess.run(
            [*app_command(), "db", "cleanup", "--data-dir", str(data), "--now", "2099-01-01"],
            capture_output=True,
            text=True,
            env=env_for_children(),
            timeout=60,
        )
        assert cleanup.returncode == 0, cleanup.stderr
        SecretStore(data, allow_file=True).set("sync-password", "x")  # (file: no keyring here)
        names = {p.name for p in data.rglob("*")}
        assert {"onsembl.db-wal", "onsembl.db-shm", "endpoint.json"} <= names  # while it runs
        assert any(n.endswith(".jsonl.gz") for n in names), names
        assert _loose(data) == []
    finally:
        if agent is not None:
            agent.stop()
        app.stop()
    names = {p.relative_to(data).as_posix() for p in data.rglob("*")}
    expected = {
        "onsembl.db",
        "agent_token",
        "control_token",
        "agent_tokens.json",
        "tls_cert.pem",
        "tls_key.pem",
        "onsembl.lock",
        "local_agents.json",
        "queues.json",
        "logs/onsembl.log",
        "logs/agent-local1.log",
    }
    assert expected <= names, expected - names
    assert _loose(data) == []
