from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Qt renders offscreen in tests (no display on CI).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.log_guard import expect_errors, log_guard  # noqa: F401 - fixtures for every test
from tests.support import AgentProcess, AppProcess


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def app(data_dir: Path) -> Iterator[AppProcess]:
    """A running headless app with fast heartbeats and a short disconnect grace period."""
    proc = AppProcess(data_dir, ["--heartbeat", "1", "--grace", "5"]).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def start_agent(app: AppProcess, tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    """Factory: start a real onsembl-agent connected to ``app``; all are stopped afterwards."""
    started: list[AgentProcess] = []

    def start(name: str, agent_type: str = "shell", **kw: object) -> AgentProcess:
        agent = AgentProcess(
            app.url,
            app.agent_token,
            name,
            agent_type,
            log_path=tmp_path / f"agent-{name}.log",
            **kw,  # type: ignore[arg-type]
        ).start()
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()
