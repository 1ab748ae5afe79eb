"""The supervisor's record of one local agent, its JSON form (``local_agents.json``), and the
process checks it needs (is this pid still the process we launched?)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]

from ..protocol.enums import AgentType
from .commands import CommandError
from .records import LocalAgentSpec
from .records import LocalAgentState as S

TAIL_BYTES = 16 * 1024  # how much of a run's log end is read for its last lines


@dataclass(eq=False, slots=True)
class Supervised:
    spec: LocalAgentSpec
    enabled: bool = True  # wanted running (saved: relaunched on the next app start)
    state: str = S.STOPPED
    pid: int | None = None
    pid_started: float | None = None  # the process's start time, to know it again after a crash
    url: str | None = None  # the app address it was launched with
    proc: asyncio.subprocess.Process | None = None  # None for a process taken over after a crash
    watcher: asyncio.Task[None] | None = None
    restarts: int = 0
    last_exit: int | None = None
    backoff_s: float = 0.0
    restart_at: float | None = None  # loop time of the next automatic restart
    restart_handle: asyncio.TimerHandle | None = None
    launched_at: float = 0.0
    deliberate: bool = False  # the coming exit was asked for: do not restart
    log_offset: int = 0  # where this run's lines start in its log file
    error: str | None = None  # FAILED: why, from the agent's last lines


def checked_spec(spec: LocalAgentSpec) -> LocalAgentSpec:
    """The spec with its directory made absolute; refuses a missing directory or CLI."""
    cwd = Path(spec.cwd).expanduser()
    if not cwd.is_dir():
        raise CommandError(f"the working directory {spec.cwd} does not exist")
    cli = spec.cli
    if cli:
        cli = str(Path(cli).expanduser()) if os.sep in cli else cli
        if shutil.which(cli) is None:
            raise CommandError(f"cannot find the CLI {spec.cli!r} (not a program on PATH)")
    return LocalAgentSpec(
        name=spec.name,
        type=spec.type,
        cwd=str(cwd.resolve()),
        cli=cli or None,
        cli_args=tuple(spec.cli_args),
        interactive=spec.interactive,
    )


def log_tail(path: Path, offset: int, lines: int) -> list[str]:
    """The last ``lines`` non-empty lines written to ``path`` from ``offset`` on (one run's:
    the log is appended to by every run), or fewer; [] if there are none or it cannot be read."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            start = offset if offset <= size else 0  # (replaced since: read what there is)
            start = max(start, size - TAIL_BYTES)
            f.seek(start)
            data = f.read(size - start)
    except OSError:
        return []
    text = data.decode(errors="replace").splitlines()
    if start > offset:
        text = text[1:]  # the first line was cut
    return [line.strip() for line in text if line.strip()][-lines:]


def send_signal(pid: int | None, sig: int) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def start_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def same_process(pid: int | None, started: float | None) -> bool:
    """Whether ``pid`` still runs and is the process that started at ``started`` (not a reuse)."""
    if pid is None or started is None:
        return False
    try:
        proc = psutil.Process(pid)
        same = abs(proc.create_time() - started) < 0.05
        return bool(same and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def to_json(agent: Supervised) -> dict[str, Any]:
    spec = agent.spec
    return {
        "name": spec.name,
        "type": spec.type.value,
        "cwd": spec.cwd,
        "cli": spec.cli,
        "cliArgs": list(spec.cli_args),
        "interactive": spec.interactive,
        "enabled": agent.enabled,
        "pid": agent.pid,
        "pidStarted": agent.pid_started,
        "url": agent.url,
    }


def from_json(item: dict[str, Any]) -> Supervised:
    spec = LocalAgentSpec(
        name=str(item["name"]),
        type=AgentType(str(item["type"]).upper()),
        cwd=str(item["cwd"]),
        cli=item.get("cli") or None,
        cli_args=tuple(str(a) for a in item.get("cliArgs") or ()),
        interactive=bool(item.get("interactive", False)),
    )
    pid = item.get("pid")
    started = item.get("pidStarted")
    return Supervised(
        spec,
        enabled=bool(item.get("enabled", True)),
        pid=int(pid) if pid is not None else None,
        pid_started=float(started) if started is not None else None,
        url=item.get("url"),
    )
