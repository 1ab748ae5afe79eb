"""Composition root: builds the store, the core and the gateway, and runs them on an asyncio loop.

Qt-free: ``onsembl --headless`` runs exactly this; the window (``ui.launch``) runs the same thing
on the Qt event loop through qasync and adds the widgets on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import __version__, tls
from .core.commands import Timing
from .core.events import Notice
from .core.service import Core
from .core.supervisor import Supervisor
from .errors import KnownError
from .gateway.auth import agent_token, control_token
from .gateway.probe import LatencyProbe
from .gateway.server import AGENT_PATH, Gateway
from .gateway.tokens import AgentTokens
from .paths import ENDPOINT_FILE, ensure_data_dir, write_private
from .protocol.enums import AuditEventType
from .store.db import DB_FILENAME
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
    tls: bool = False  # wss even on a loopback address (other addresses get it anyway)
    insecure: bool = False  # plain ws on a non-loopback address: warned about, loudly
    probe_file: Path | None = None  # benchmarks: output latency samples (gateway.probe)


# The loop thread takes the GIL back from the store writer after at most this long (Python's
# default is 5 ms). Every Qt callback into Python (socket ready, timer, paint) takes it anew, so
# under heavy output each one waited up to the whole interval behind the writer, and the waits of
# one loop iteration added up to a lag of 100 ms and more.
GIL_SWITCH_INTERVAL_S = 0.001


def settle_heap() -> None:
    """Exempt what start-up built from the garbage collector's full passes (``gc.freeze``).

    The modules, classes and functions of Qt, SQLAlchemy and the rest are over 100,000 objects
    that live as long as the app; every full collection walked them all, holding the GIL (and so
    the loop) for 100-175 ms under load. Called once start-up is over: after ``listening on``
    headless, and after the window's first paint (``ui.launch``) with one.
    """
    gc.collect()
    gc.freeze()


FINGERPRINT_ENV = "ONSEMBL_FINGERPRINT"  # onsembl-agent's default for --fingerprint
INSECURE_WARNING = (
    "The agent gateway listens on {host} without TLS (--insecure): agent tokens and everything "
    "agents send cross the network in clear text, readable and forgeable by anyone on it. "
    "Restart without --insecure to use TLS with a pinned certificate."
)


class AlreadyRunningError(KnownError):
    pass


class InstanceLock:
    """One app per data dir. An OS file lock, so a killed app never leaves a stale lock behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        f = os.fdopen(fd, "a+")
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
        self.tokens: AgentTokens | None = None
        self.host = config.host
        self.port = config.port
        # Set by start(): the certificate's fingerprint when serving wss, and warnings the UI
        # must show for as long as the app runs (published as Notices too, before it subscribes).
        self.fingerprint: str | None = None
        self.warnings: list[Notice] = []
        self._probe: LatencyProbe | None = None
        self._set_env = False
        self._lock = InstanceLock(config.data_dir / "onsembl.lock")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.fingerprint else 'ws'}://{host}:{self.port}"

    def agent_command_line(self, name: str = "sh1", *, token: str | None = None) -> str:
        """The command that connects an agent to this app (for the UI to copy), with
        ``--fingerprint`` when it serves TLS. ``token``: a per-agent token instead of the
        default one."""
        token = token or agent_token(self.config.data_dir)
        pin = f" --fingerprint {self.fingerprint}" if self.fingerprint else ""
        return f"onsembl-agent --server {self.url}{pin} --token={token} --type shell --name {name}"

    async def start(self) -> None:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        try:
            data_dir = ensure_data_dir(self.config.data_dir)
            self._lock.acquire()
        except OSError as exc:  # a read-only or foreign data folder: say so, not a traceback
            raise KnownError(
                f"cannot use the data folder {self.config.data_dir}: {exc.strerror or exc}. "
                "It must be writable (check its permissions, or whether its disk is mounted "
                "read-only), or start with another --data-dir."
            ) from None
        loop = asyncio.get_running_loop()
        try:
            default_token, ctl_token = agent_token(data_dir), control_token(data_dir)
            ssl_context = await loop.run_in_executor(None, self._tls_setup)
            await loop.run_in_executor(None, private_database, data_dir)
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
            self.tokens = AgentTokens(data_dir, default_token, self.core.bus, self.core.audit)
            await self.tokens.load()
            if self.config.probe_file is not None:
                self._probe = LatencyProbe(self.core.bus, self.config.probe_file)
            self.gateway = Gateway(self.core, self.tokens, ctl_token, ssl_context=ssl_context)
            try:
                self.host, self.port = await self.gateway.start(self.config.host, self.config.port)
            except OSError as exc:
                raise KnownError(
                    f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}"
                    " (is another program using the port? try --port 0)"
                ) from None
            self._warn_if_insecure()
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
                if self.fingerprint:
                    # Local agents inherit the app's environment (core.supervisor); a
                    # fingerprint is public, so the environment is a fine way to pass it.
                    os.environ[FINGERPRINT_ENV] = self.fingerprint
                    self._set_env = True
                await self.supervisor.start(self.url, default_token)
        except BaseException:
            await self.stop()
            raise

    def _tls_setup(self) -> ssl.SSLContext | None:
        """The server's SSL context when TLS applies, making the certificate on first use."""
        cfg = self.config
        if not tls.needs_tls(cfg.host, tls=cfg.tls, insecure=cfg.insecure):
            return None
        self.fingerprint = tls.ensure_certificate(cfg.data_dir, (cfg.host,))
        return tls.server_context(cfg.data_dir)

    def _warn_if_insecure(self) -> None:
        if self.fingerprint or tls.is_loopback(self.config.host):
            return
        text = INSECURE_WARNING.format(host=self.config.host)
        print(f"onsembl: WARNING: {text}", file=sys.stderr, flush=True)
        log.warning("%s", text)
        notice = Notice("warning", text, key="insecure")
        self.warnings.append(notice)
        assert self.core is not None
        self.core.bus.publish(notice)

    def _write_endpoint(self) -> None:
        info: dict[str, Any] = {
            "url": self.url,
            "agent_url": self.url + AGENT_PATH,
            "host": self.host,
            "port": self.port,
            "pid": os.getpid(),
            "version": __version__,
            "fingerprint": self.fingerprint,
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
        if self.tokens is not None:
            await self.tokens.flush()
        if self._probe is not None:
            await self._probe.close()
            self._probe = None
        if self.core is not None:
            try:
                # Waits for the last writes; bounded when the disk is failing, since they would
                # never come (what was not stored was not acknowledged: agents still hold it).
                await asyncio.wait_for(
                    self.core.stop(),
                    None if self.store is None or self.store.error is None else 5.0,
                )
            except TimeoutError:
                log.error(
                    "stopping without the last writes: %s", self.store.error if self.store else ""
                )
            self.core = None
        if self.store is not None:
            store, self.store = self.store, None
            await asyncio.get_running_loop().run_in_executor(None, store.close)
        with contextlib.suppress(FileNotFoundError):
            (self.config.data_dir / ENDPOINT_FILE).unlink()
        if self._set_env:
            os.environ.pop(FINGERPRINT_ENV, None)
            self._set_env = False
        self._lock.release()


def private_database(data_dir: Path) -> None:
    """Create the database file 0600 before SQLite does, so its WAL and shared-memory files, which
    SQLite gives the database's mode, are private from the start; tighten ones left by older
    versions."""
    db = data_dir / DB_FILENAME
    with contextlib.suppress(FileExistsError):
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(OSError):
            path.chmod(0o600)


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
    settle_heap()
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
