"""Fixtures of the real-CLI suite: the CLIs (installed once), the app, a mock model server and an
agent driving the real binary against it.

The suite is marked ``realcli`` and is not part of the default run: ``pytest -m realcli``
(``.ci/run`` runs it after the default suite). ``ONSEMBL_REALCLI_ONLY=claude@2.1.337,codex``
narrows it to some CLIs or versions.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent_e2e.e2e import ANSI, Db
from tests.support import AgentProcess, AppProcess, wait_for

from . import inventory
from .clis import PACKAGES, installed_binary, newest_version
from .mock_base import MockModelServer
from .setups import CliUnderTest, workspace

FINAL = ("COMPLETED", "FAILED", "CANCELLED")


def pinned_ids() -> list[str]:
    ids = [f"{p.cli}@{v}" for p in PACKAGES.values() for v in p.pinned]
    only = [x for x in os.environ.get("ONSEMBL_REALCLI_ONLY", "").split(",") if x]
    return [i for i in ids if not only or any(i == o or i.startswith(f"{o}@") for o in only)]


@pytest.fixture(scope="session")
def cli_binaries() -> dict[str, Path]:
    """Every pinned CLI, installed (or found in the cache) once per session."""
    out = {}
    for cli_id in pinned_ids():
        cli, version = cli_id.split("@")
        out[cli_id] = installed_binary(PACKAGES[cli], version)
    return out


@pytest.fixture(scope="module")
def realapp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    data = tmp_path_factory.mktemp("realcli-app") / "data"
    data.mkdir()
    proc = AppProcess(data, ["--heartbeat", "1", "--grace", "5"]).start()
    try:
        yield proc
    finally:
        proc.stop()


class Harness:
    """One agent of one real CLI against its mock, in the module's app."""

    def __init__(self, app: AppProcess, cut: CliUnderTest, root: Path) -> None:
        self.app = app
        self.cut = cut
        self.root = root
        self.db = Db(app)
        self.mock: MockModelServer = cut.mock().start()
        self.home = root / "home"
        self.cwd = workspace(root / "project")
        cut.prepare_home(self.home, trusted=[self.cwd])
        self.name = f"{cut.cli}-{uuid.uuid4().hex[:8]}"
        self.agent: AgentProcess | None = None
        self.test = ""  # the test's name (recordings are named after it)
        self.recorded = 0

    def start_agent(self, **extra_env: str) -> AgentProcess:
        env = {**self.cut.env(self.mock, self.home), **extra_env}
        self.agent = AgentProcess(
            self.app.url,
            self.app.agent_token,
            self.name,
            self.cut.cli,
            cwd=self.cwd,
            extra_args=self.cut.agent_args(self.mock),
            env=env,
            log_path=self.root / "agent.log",
        ).start()
        self.app.wait_agent(self.name, timeout=30)
        return self.agent

    def close(self) -> None:
        if self.agent is not None:
            self.agent.stop()
        self.mock.stop()

    # --- commands ---------------------------------------------------------------------------------

    def send(self, text: str, *extra: str) -> str:
        return self.app.send(self.name, text, *extra)

    def wait(self, command_id: str, timeout: float = 120.0) -> dict[str, Any]:
        return self.app.wait_status(command_id, *FINAL, timeout=timeout)

    def run(self, text: str, *extra: str, timeout: float = 120.0) -> tuple[str, dict[str, Any]]:
        command_id = self.send(text, *extra)
        view = self.wait(command_id, timeout)
        inventory.record(self.cut, self.raw_lines(command_id, "STDOUT"))
        self._record(command_id)
        return command_id, view

    def _record(self, command_id: str) -> None:
        """``ONSEMBL_REALCLI_RECORD=DIR``: keep what the CLI printed, for tests/data."""
        target = os.environ.get("ONSEMBL_REALCLI_RECORD")
        if not target:
            return
        self.recorded += 1
        folder = Path(target)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.cut.cli}-{self.cut.version}-{self.test}-{self.recorded}"
        for stream, suffix in (("STDOUT", "jsonl"), ("STDERR", "stderr")):
            lines = self.raw_lines(command_id, stream)
            if lines:
                (folder / f"{stem}.{suffix}").write_text("".join(f"{x}\n" for x in lines))

    def run_row(self, command_id: str) -> Any:
        return self.db.run(uuid.UUID(command_id))

    def transcript(self, command_id: str, stream: str | None = None) -> str:
        """What the terminal shows (of one stream: STDOUT, STDERR), without colours."""
        rows = self.db.rows(
            "SELECT content, stream_type FROM terminal_outputs WHERE command_id = ? "
            "ORDER BY sequence",
            uuid.UUID(command_id),
        )
        text = "".join(r["content"] for r in rows if stream is None or r["stream_type"] == stream)
        return ANSI.sub("", text).replace("\r\n", "\n")

    def raw_lines(self, command_id: str, stream: str = "STDOUT") -> list[str]:
        """What the CLI printed on one stream, line by line (the raw record)."""
        rows = self.db.rows(
            "SELECT raw FROM terminal_outputs WHERE command_id = ? AND raw IS NOT NULL "
            "AND stream_type = ? ORDER BY sequence",
            uuid.UUID(command_id),
            stream,
        )
        return [line for r in rows for line in r["raw"].split("\n") if line.strip()]

    def traces(self, command_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.app.ctl_json("traces", command_id)
        return result

    def agent_view(self) -> dict[str, Any]:
        return self.app.agents()[self.name]

    def wait_output(self, command_id: str, text: str, timeout: float = 60.0) -> str:
        return wait_for(
            lambda: (t := self.transcript(command_id)) and text in t and t, timeout, 0.2
        )

    def debug(self) -> str:
        log = (self.root / "agent.log").read_text() if (self.root / "agent.log").exists() else ""
        return f"mock:\n{self.mock.describe()}\nagent log:\n{log[-4000:]}"


def cli_under_test(cli_id: str, binaries: dict[str, Path]) -> CliUnderTest:
    cli, version = cli_id.split("@")
    return CliUnderTest(PACKAGES[cli], version, binaries[cli_id])


@pytest.fixture(params=pinned_ids())
def harness(
    request: pytest.FixtureRequest,
    realapp: AppProcess,
    cli_binaries: dict[str, Path],
    tmp_path: Path,
) -> Iterator[Harness]:
    cut = cli_under_test(request.param, cli_binaries)
    h = Harness(realapp, cut, tmp_path)
    h.test = request.node.originalname.removeprefix("test_")
    try:
        yield h
    finally:
        h.close()


@pytest.fixture(scope="session")
def newest() -> dict[str, str]:
    return {p.cli: newest_version(p.package) for p in PACKAGES.values()}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    report = inventory.summary()
    if report:
        terminalreporter.write_sep("=", "real CLIs: field inventory")
        terminalreporter.write_line(report)
        target = os.environ.get("ONSEMBL_REALCLI_REPORT")
        if target:
            Path(target).write_text(report + "\n")


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, default=str)[:6000]
