"""The demo agents: real ``onsembl-agent`` processes whose CLI is the stand-in, and a driver that
keeps them busy (Qt-free)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shlex
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..core.audit import DEMO_ORIGIN, acting_as
from ..core.events import AgentChanged
from ..core.service import Core
from ..launcher import agent_command, bundled_executable, is_frozen
from ..protocol.enums import ActivityState, AgentStatus
from .recordings import manifest

log = logging.getLogger("onsembl.demo")

STANDIN_MODULE = "onsembl_desktop.demo.standin"
AGENTS = (("demo-claude", "claude"), ("demo-codex", "codex"), ("demo-gemini", "gemini"))
DEMO_DIR = "demo"


def demo_data_dir(data_dir: Path) -> Path:
    return data_dir / DEMO_DIR


def standin_command() -> list[str]:
    """The argv prefix that runs the stand-in, from a pip install or a frozen bundle."""
    if is_frozen():
        return [str(bundled_executable("onsembl")), "-m", STANDIN_MODULE]
    return [sys.executable, "-m", STANDIN_MODULE]


def write_launcher(folder: Path, cli: str) -> Path:
    """An executable named like the CLI that runs the stand-in for it."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = [*standin_command(), cli]
    if sys.platform == "win32":
        path = folder / f"{cli}.cmd"
        path.write_text("@" + " ".join(f'"{a}"' for a in argv) + " %*\r\n")
        return path
    path = folder / cli
    path.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in argv) + ' "$@"\n')
    path.chmod(0o755)
    return path


@dataclass
class DemoAgents:
    core: Core
    url: str
    token: str
    folder: Path  # the demo data dir
    fingerprint: str | None = None  # the app's certificate, when it serves TLS
    delay_s: float = 0.35  # between replayed lines
    pause_s: tuple[float, float] = (6.0, 14.0)  # between an agent's commands
    procs: list[asyncio.subprocess.Process] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _unsubscribe: list[object] = field(default_factory=list)
    _next: dict[str, int] = field(default_factory=dict)
    _waiting: set[str] = field(default_factory=set)

    def _prepare(self) -> tuple[dict[str, str], list[tuple[list[str], int]]]:
        """Folders, launchers and log files (quick file work, done before spawning)."""
        bin_dir = self.folder / "bin"
        work = self.folder / "workspace"
        state = self.folder / "state"
        logs = self.folder / "logs"
        for d in (work, state, logs):
            d.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["ONSEMBL_DEMO_DELAY"] = str(self.delay_s)
        env["ONSEMBL_DEMO_STATE"] = str(state)
        env.pop("ONSEMBL_DATA_DIR", None)
        plans = []
        for name, cli in AGENTS:
            launcher = write_launcher(bin_dir, cli)
            argv = [
                *agent_command(),
                "--server", self.url,
                f"--token={self.token}",  # a token may start with "-"
                "--name", name,
                "--type", cli,
                "--cli", str(launcher),
                "--cwd", str(work),
            ]  # fmt: skip
            if self.fingerprint:
                argv += ["--fingerprint", self.fingerprint]
            fd = os.open(logs / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            plans.append((argv, fd))
        return env, plans

    async def start(self) -> None:
        env, plans = self._prepare()
        for argv, fd in plans:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=fd,
                    stderr=fd,
                    env=env,
                    start_new_session=True,
                )
            finally:
                os.close(fd)  # the agent has its own copy
            self.procs.append(proc)
        self._unsubscribe.append(self.core.bus.subscribe(AgentChanged, self._agent_changed))
        for agent in self.core.agents.all():
            self._agent_changed(AgentChanged(agent))

    def prompts(self, cli: str) -> list[str]:
        return [e["prompt"] for e in manifest() if e["cli"] == cli]

    def _agent_changed(self, ev: AgentChanged) -> None:
        agent = ev.agent
        cli = dict(AGENTS).get(agent.name)
        if cli is None or agent.status is not AgentStatus.ONLINE:
            return
        idle = agent.activity is ActivityState.IDLE and not agent.queue_length
        if idle and agent.name not in self._waiting:
            self._waiting.add(agent.name)
            first = agent.name not in self._next
            delay = 0.5 if first else random.uniform(*self.pause_s)
            self._tasks.append(asyncio.ensure_future(self._send_later(agent.name, cli, delay)))

    async def _send_later(self, name: str, cli: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self._waiting.discard(name)
        agent = self.core.agents.by_name(name)
        if agent is None or agent.status is not AgentStatus.ONLINE:
            return
        if agent.activity is not ActivityState.IDLE or agent.queue_length:
            return  # the user gave it work meanwhile
        prompts = self.prompts(cli)
        n = self._next.get(name, 0)
        self._next[name] = n + 1
        with acting_as(DEMO_ORIGIN):  # the audit says the demo sent these, not the user
            self.core.commands.submit(prompts[n % len(prompts)], agent_ids=[agent.id])
            if n == 0 and len(prompts) > 1:
                # A second one waits in the queue, so the queue view has something to show.
                self.core.commands.submit(prompts[1], agent_ids=[agent.id], priority=40)
                self._next[name] = 2

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()  # type: ignore[operator]
        for task in self._tasks:
            task.cancel()
        for proc in self.procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
