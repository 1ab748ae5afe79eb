"""Orchestration tests: the real headless app and real ``onsembl-agent`` processes.

``Orch`` wraps one app: ``call`` talks to its control endpoint in-process (a real WebSocket client,
but no Python start-up per call, which keeps the suite fast); ``app.ctl(...)`` runs the real
``onsembl ctl`` where the command line itself is under test. Agents start in parallel.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onsembl_desktop.ctl.client import ControlClient
from tests.support import AgentProcess, AppProcess, wait_for

FAST_RECONNECT = ["--reconnect-initial", "0.1", "--reconnect-max", "0.5"]


class Orch:
    def __init__(self, app: AppProcess, tmp_path: Path) -> None:
        self.app = app
        self.tmp_path = tmp_path
        self.agents: list[AgentProcess] = []

    # --- the control endpoint --------------------------------------------------------------------

    def call(self, method: str, **params: Any) -> Any:
        async def go() -> Any:
            async with ControlClient(self.app.data_dir) as client:
                return await client.call(method, **params)

        return asyncio.run(go())

    def send(self, agents: list[str] | str, content: str, **options: Any) -> str:
        names = [agents] if isinstance(agents, str) else agents
        view = self.call("commands.send", content=content, agents=names, **options)
        return str(view["id"])

    def show(self, command_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("commands.show", commandId=command_id)
        return result

    def wait_status(self, command_id: str, *statuses: str, timeout: float = 20.0) -> dict[str, Any]:
        wanted = statuses or ("COMPLETED", "FAILED", "CANCELLED")

        def check() -> dict[str, Any] | None:
            view = self.show(command_id)
            return view if view["status"] in wanted else None

        result: dict[str, Any] = wait_for(check, timeout, 0.05)
        return result

    def queue(self, agent: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("queue.list", agent=agent)["queues"][0]
        return result

    def waiting_ids(self, agent: str) -> list[str]:
        return [e["commandId"] for e in self.queue(agent)["waiting"]]

    def agent_view(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.call("agents.list") if a["name"] == name), None)

    def wait_online(self, *names: str, status: str = "ONLINE", timeout: float = 20.0) -> None:
        def check() -> bool:
            agents = {a["name"]: a for a in self.call("agents.list")}
            return all(n in agents and agents[n]["status"] == status for n in names)

        wait_for(check, timeout, 0.05)

    def audit(self, event_type: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("audit.list", type=event_type, **filters)
        return result

    def output(self, command_id: str) -> str:
        """All the command's stored output (``commands.show`` gives it a page at a time)."""
        view = self.show(command_id)
        parts = [o["data"] for o in view["output"]]
        while view.get("next"):
            view = self.call("commands.show", commandId=command_id, **view["next"])
            parts += [o["data"] for o in view["output"]]
        return "".join(parts)

    def db(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(self.app.data_dir / "onsembl.db")
        try:
            return list(con.execute(sql, args))
        finally:
            con.close()

    # --- agents ----------------------------------------------------------------------------------

    def start_agents(
        self, *names: str, agent_type: str = "shell", wait: bool = True, **kw: Any
    ) -> list[AgentProcess]:
        extra = list(kw.pop("extra_args", [])) + FAST_RECONNECT
        started = [
            AgentProcess(
                self.app.url,
                self.app.agent_token,
                name,
                agent_type,
                log_path=self.tmp_path / f"agent-{name}.log",
                extra_args=extra,
                cwd=kw.get("cwd", self.tmp_path),
                env=kw.get("env", {}),
            ).start()
            for name in names
        ]
        self.agents += started
        if wait:
            self.wait_online(*names)
        return started

    def stop_agents(self) -> None:
        for agent in self.agents:
            agent.stop()


@pytest.fixture
def orch_factory(
    tmp_path: Path,
) -> Iterator[Callable[..., Orch]]:
    """Start an app with the given flags (fast heartbeats by default) and its agents."""
    made: list[Orch] = []

    def make(*flags: str, name: str = "data") -> Orch:
        data_dir = tmp_path / name
        data_dir.mkdir(exist_ok=True)
        args = list(flags) or ["--heartbeat", "1", "--grace", "5"]
        orch = Orch(AppProcess(data_dir, args).start(), tmp_path)
        made.append(orch)
        return orch

    yield make
    for orch in made:
        orch.stop_agents()
        orch.app.stop()


@pytest.fixture
def orch(orch_factory: Callable[..., Orch]) -> Orch:
    return orch_factory()


def lines_of(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def details(entry: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = entry["details"]
    return result
