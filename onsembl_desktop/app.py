"""Composition root: builds the store, the core and the gateway, and runs them on an asyncio loop.

Qt-free: ``onsembl --headless`` runs exactly this; the window (``ui.launch``) runs the same thing
on the Qt event loop through qasync and adds the widgets on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import __version__
from .core.commands import Timing
from .core.service import Core
from .core.supervisor import Supervisor
from .errors import KnownError
from .gateway.auth import agent_token, control_token
from .gateway.server import AGENT_PATH, Gateway, Tokens
from .paths import ENDPOINT_FILE, ensure_data_dir, write_private
from .protocol.enums import AuditEventType
from .store.store import Store

log = logging.getLogger("onsembl.app")


@dataclass(slots=True)
class AppConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    heartbeat_interval_s: float = 10.0
    grace_s: float = 60.0
    time_limit_slack_s: float = 2.0  # the app's time-limit backstop acts this much after the agent
    cancel_timeout_s: float = 10.0  # a cancel the agent does not confirm is closed by the app
    supervise_local_agents: bool = True  # launch the user's local agents (core.supervisor)


class AlreadyRunningError(KnownError):
    pass


class InstanceLock:
    """One app per data dir. An OS file lock, so a killed app never leaves a stale lock behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        f = open(self.path, "a+")  # noqa: SIM115 - held open for the app's lifetime
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise AlreadyRunningError(
                f"Onsembl is already running with data dir {self.path.parent}. "
                "Use that window, or start this one with another --data-dir."
            ) from None
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class OnsemblApp:
    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.store: Store | None = None
        self.core: Core | None = None
        self.gateway: Gateway | None = None
        self.supervisor: Supervisor | None = None
        self.host = config.host
        self.port = config.port
        self._lock = InstanceLock(config.data_dir / "onsembl.lock")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    async def start(self) -> None:
        data_dir = ensure_data_dir(self.config.data_dir)
        self._lock.acquire()
        try:
            tokens = Tokens(agent=agent_token(data_dir), control=control_token(data_dir))
            self.store = await Store.open(data_dir)
            self.core = Core(
                self.store,
                heartbeat_interval_s=self.config.heartbeat_interval_s,
                timing=Timing(
                    grace_s=self.config.grace_s,
                    cancel_timeout_s=self.config.cancel_timeout_s,
                    time_limit_slack_s=self.config.time_limit_slack_s,
                ),
                server_version=__version__,
            )
            await self.core.start()
            self.gateway = Gateway(self.core, tokens)
            try:
                self.host, self.port = await self.gateway.start(self.config.host, self.config.port)
            except OSError as exc:
                raise KnownError(
                    f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}"
                    " (is another program using the port? try --port 0)"
                ) from None
            self._write_endpoint()
            # The local user's session: the data model's USER_LOGIN / USER_LOGOUT.
            self.core.audit.record(
                AuditEventType.USER_LOGIN, version=__version__, pid=os.getpid(), url=self.url
            )
            if self.config.supervise_local_agents:
                self.supervisor = Supervisor(
                    data_dir, self.core.bus, self.core.audit, self.core.agents
                )
                self.core.control.local = self.supervisor
                await self.supervisor.start(self.url, tokens.agent)
        except BaseException:
            await self.stop()
            raise

    def _write_endpoint(self) -> None:
        info: dict[str, Any] = {
            "url": self.url,
            "agent_url": self.url + AGENT_PATH,
            "host": self.host,
            "port": self.port,
            "pid": os.getpid(),
            "version": __version__,
        }
        write_private(self.config.data_dir / ENDPOINT_FILE, json.dumps(info, indent=2) + "\n")

    async def stop(self) -> None:
        if self.supervisor is not None:
            # While the gateway still runs, so the agents can hand in their last results.
            await self.supervisor.close()
            self.supervisor = None
        if self.core is not None and self.gateway is not None:
            self.core.audit.record(AuditEventType.USER_LOGOUT, pid=os.getpid())
        if self.gateway is not None:
            await self.gateway.stop()
            self.gateway = None
        if self.core is not None:
            await self.core.stop()
            self.core = None
        if self.store is not None:
            store, self.store = self.store, None
            await asyncio.get_running_loop().run_in_executor(None, store.close)
        with contextlib.suppress(FileNotFoundError):
            (self.config.data_dir / ENDPOINT_FILE).unlink()
        self._lock.release()


async def run_until_signalled(app: OnsemblApp, *, announce: bool = True) -> None:
    """Start the app, print where it listens, and run until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C raises instead
            loop.add_signal_handler(sig, stop.set)
    await app.start()
    if announce:
        print(f"listening on {app.url}", flush=True)
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await app.stop()


def run_headless(config: AppConfig) -> int:
    app = OnsemblApp(config)
    try:
        asyncio.run(run_until_signalled(app))
    except KnownError as exc:
        print(f"onsembl: {exc}", file=sys.stderr)
        return 1
    return 0
