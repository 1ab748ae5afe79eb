"""Running the real app and real agents as processes, for black-box tests.

Everything here starts real processes on real ports (port 0) with a temp data dir: no mocks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STANDINS = ROOT / "tests" / "standins"


def env_for_children(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ONSEMBL_DATA_DIR", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


@dataclass
class AppProcess:
    """``onsembl --headless`` in a subprocess."""

    data_dir: Path
    extra_args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    log_path: Path | None = None
    _log: Any = None

    def start(self, port: int = 0) -> AppProcess:
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-app.log"
        self._log = log = open(self.log_path, "a")  # noqa: SIM115 - closed in _reap
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onsembl_desktop",
                "--headless",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(port),
                *self.extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env_for_children(),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            self._reap()
            raise RuntimeError(f"app did not start: {line!r}\n{self.log_path.read_text()}")
        self.url = line.split()[-1]
        return self

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def agent_token(self) -> str:
        return (self.data_dir / "agent_token").read_text().strip()

    def endpoint(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.data_dir / "endpoint.json").read_text())
        return data

    def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reap()
        return self.proc.returncode

    def ctl(
        self, *args: str, timeout: float = 30.0, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "onsembl_desktop",
                "ctl",
                "--data-dir",
                str(self.data_dir),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env_for_children(),
            check=check,
        )

    def ctl_json(self, *args: str, timeout: float = 30.0) -> Any:
        result = self.ctl(*args, "--json", timeout=timeout)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def agents(self) -> dict[str, dict[str, Any]]:
        return {a["name"]: a for a in self.ctl_json("agents")}

    def wait_agent(
        self, name: str, status: str = "ONLINE", timeout: float = 15.0
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            agent = self.agents().get(name)
            return agent if agent and agent["status"] == status else None

        result: dict[str, Any] = wait_for(check, timeout, 0.2)
        return result

    def send(self, agent: str, text: str, *extra: str) -> str:
        result = self.ctl("send", "--agent", agent, *extra, text)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()[0].strip()

    def show(self, command_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.ctl_json("show", command_id)
        return result

    def wait_status(self, command_id: str, *statuses: str, timeout: float = 30.0) -> dict[str, Any]:
        wanted = statuses or ("COMPLETED", "FAILED", "CANCELLED")

        def check() -> dict[str, Any] | None:
            view = self.show(command_id)
            return view if view["status"] in wanted else None

        result: dict[str, Any] = wait_for(check, timeout, 0.2)
        return result


@dataclass
class AgentProcess:
    """``onsembl-agent`` in a subprocess."""

    url: str
    token: str
    name: str
    agent_type: str = "shell"
    cwd: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    proc: subprocess.Popen[str] | None = None
    _log: Any = None

    def start(self) -> AgentProcess:
        args = [
            sys.executable,
            "-m",
            "onsembl_desktop.agent",
            "--server",
            self.url,
            f"--token={self.token}",  # (a token may start with "-")
            "--name",
            self.name,
            "--type",
            self.agent_type,
            *self.extra_args,
        ]
        if self.cwd is not None:
            args += ["--cwd", str(self.cwd)]
        log = open(self.log_path, "a") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = log if self.log_path else None
        self.proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=log,
            text=True,
            env=env_for_children(**self.env),
            start_new_session=True,
        )
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._close_log()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
