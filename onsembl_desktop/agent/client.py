"""The agent's connection to the app: connect, say hello, resend what is unacknowledged, serve.

Survives the app going away: commands keep running, their messages wait in the resume buffer, and
the client reconnects with exponential backoff (with jitter) until the app is back. Everything the
app had not acknowledged is sent again; the app drops what it already has.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import platform
import random
import ssl
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .. import __version__, pricing, tls
from ..logs import websockets_logger
from ..protocol import PROTOCOL_VERSION, codec
from ..protocol import messages as m
from ..protocol.codec import Direction, ErrorCode, ProtocolError
from ..protocol.enums import (
    ActivityState,
    AgentType,
    CommandStatus,
    CompletionReason,
    ControlAction,
)
from .adapters.registry import adapter_for
from .approvals import ApprovalBroker
from .buffer import ResumeBuffer
from .cli_probe import codex_configured_model, probe_version
from .executor import AgentSettings, CommandRun
from .health import HealthSampler
from .outbox import Outbox
from .pacer import Pacer
from .process import CAN_THROTTLE_CPU

log = logging.getLogger("onsembl.agent")

WELCOME_TIMEOUT_S = 10.0
SEND_BATCH = 256
# Limits this agent enforces itself (the app enforces time limits and budgets too, as a backstop).
CAPABILITIES = ["time-limit", "token-budget", "memory-limit"] + (
    ["cpu-limit"] if CAN_THROTTLE_CPU else []
)


class FatalAgentError(Exception):
    """The app refused this agent in a way retrying cannot fix (wrong token, a name the token may
    not connect as, old protocol)."""


@dataclass(slots=True)
class ClientOptions:
    server: str
    token: str
    name: str
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_message_bytes: int = 1 << 20
    buffer_max_bytes: int = 256 * 1024 * 1024  # past it, output is held back (ResumeBuffer)
    fingerprint: str | None = None  # wss: the pinned SHA-256 of the app's certificate
    ack_log: str | None = None  # tests: append acknowledged messages here (see _log_acks)


class AgentClient:
    def __init__(self, options: ClientOptions, settings: AgentSettings) -> None:
        self.options = options
        self.settings = settings
        self.instance_id = uuid.uuid4()
        self.buffer = ResumeBuffer(options.buffer_max_bytes, on_pressure=self._pressure)
        self._wake = asyncio.Event()
        self.pacer = Pacer()
        self._sent_seq = 0  # highest seq written to the current connection
        self.outbox = Outbox(self.buffer, self._wake.set)
        self.outbox.ready = self._can_send_now
        self.adapter = adapter_for(settings.agent_type)
        self.approvals = ApprovalBroker(self.outbox, options.name, settings.cwd)
        self.current: CommandRun | None = None
        self._current_task: asyncio.Task[None] | None = None
        self._next: m.CommandRequest | None = None  # waits for a command being stopped to end
        self.session_id: str | None = None  # the CLI conversation to continue
        self.known_commands: set[uuid.UUID] = set()
        self.heartbeat_interval_s = 10.0
        self.started = time.monotonic()
        self.commands_processed = 0
        self._total_response_ms = 0.0
        self.paused = False
        self._stop = asyncio.Event()
        self._stopper: asyncio.Task[None] | None = None
        self.exit_action: ControlAction | None = None
        self.connected = asyncio.Event()
        self._health = HealthSampler()
        self.on_state: Callable[[str], None] = lambda _state: None
        self.cli_info: m.CliInfo | None = None  # the AI CLI's name and version, once known
        self._beat_now = asyncio.Event()  # a heartbeat's content changed: send one at once
        self._probe: asyncio.Task[None] | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    async def run(self) -> ControlAction | None:
        """Serve until told to stop; returns STOP/RESTART when the app asked for it."""
        if self.adapter is not None and not self.settings.interactive:
            self._probe = asyncio.get_running_loop().create_task(self._learn_cli())
        attempt = 0
        while not self._stop.is_set():
            try:
                async with connect(
                    self.options.server,
                    additional_headers={"Authorization": f"Bearer {self.options.token}"},
                    max_size=self.options.max_message_bytes,
                    compression=None,
                    open_timeout=10,
                    ping_interval=20,
                    ping_timeout=20,
                    user_agent_header=f"onsembl-agent/{__version__}",
                    logger=websockets_logger("onsembl.agent.ws"),
                    **self._tls_options(),
                ) as ws:
                    attempt = 0
                    await self._serve(ws)
            except InvalidStatus as exc:
                status = exc.response.status_code
                body = (
                    exc.response.body.decode(errors="replace").strip() if exc.response.body else ""
                )
                if status in (401, 403):
                    raise FatalAgentError(f"the app refused the token: {body or status}") from None
                log.warning("handshake refused (%s): %s", status, body)
            except FatalAgentError:
                raise
            except tls.FingerprintMismatchError as exc:
                # Another server, or the app made a new certificate: retrying cannot help, and
                # the token must not go to whoever this is.
                raise FatalAgentError(str(exc)) from None
            except ssl.SSLCertVerificationError as exc:
                raise FatalAgentError(
                    f"the app's TLS certificate is not trusted ({exc.verify_message}); pass "
                    "--fingerprint (`onsembl token --fingerprint` on the app's machine)"
                ) from None
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                log.info(
                    "not connected (%s)", exc.__class__.__name__ + (f": {exc}" if str(exc) else "")
                )
            except ProtocolError as exc:
                log.warning("app refused us: %s", exc.message)
            finally:
                self.connected.clear()
            if self._stop.is_set():
                break
            delay = min(self.options.backoff_max_s, self.options.backoff_initial_s * 2**attempt)
            delay *= random.uniform(0.5, 1.0)
            attempt = min(attempt + 1, 16)
            self.on_state(f"reconnecting in {delay:.1f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
        return self.exit_action

    async def _learn_cli(self) -> None:
        """The CLI's version for the app (the agent's card), and what cost estimates need."""
        if self.settings.agent_type in (AgentType.CODEX, AgentType.GEMINI):
            await asyncio.to_thread(pricing.warm)
        if self.settings.agent_type is AgentType.CODEX:
            model = await asyncio.to_thread(codex_configured_model)
            configure = getattr(self.adapter, "configure", None)
            if model and configure is not None:
                configure(model=model)
        info = await probe_version(self.settings.agent_type, self.settings.cli)
        if info is not None and (self.cli_info is None or not self.cli_info.version):
            self.cli_info = info
            self._beat_now.set()

    def _cli_version(self, version: str) -> None:
        """The CLI said its version as it ran (it may have been upgraded since start-up)."""
        name = self.cli_info.name if self.cli_info else self.settings.agent_type.value.lower()
        if self.cli_info is None or self.cli_info.version != version:
            self.cli_info = m.CliInfo(name=name, version=version)
            self._beat_now.set()

    def _tls_options(self) -> dict[str, Any]:
        if self.options.fingerprint is None:
            return {}  # ws://, or wss:// checked against the system's CAs
        return {
            "ssl": tls.pinned_client_context(),
            "create_connection": tls.pinned_connection(self.options.fingerprint),
        }

    def request_stop(self, action: ControlAction | None = None) -> None:
        """Stop the running command and leave once its results are delivered (or a timeout)."""
        if action is not None:
            self.exit_action = action
        if self.current is not None:
            self.current.stop(CompletionReason.AGENT_STOPPED, "the agent is stopping")
        if self._stopper is None:  # (a reference: the loop keeps only weak ones to tasks)
            self._stopper = asyncio.get_running_loop().create_task(self._stop_when_drained())

    async def _stop_when_drained(self, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self._current_task is None or self._current_task.done():
                self.outbox.flush()
                if len(self.buffer) == 0 or not self.connected.is_set():
                    break
            await asyncio.sleep(0.05)
        self._stop.set()

    # --- one connection ---------------------------------------------------------------------------

    async def _serve(self, ws: ClientConnection) -> None:
        await self.pacer.take()
        await ws.send(codec.encode(self._hello()), text=True)
        welcome = await self._await_welcome(ws)
        self.heartbeat_interval_s = welcome.heartbeat_interval_ms / 1000
        self._ack(welcome.acked_seq)
        self._sent_seq = welcome.acked_seq
        self.approvals.connected(welcome)
        for command_id in welcome.unknown_commands:
            self._forget(command_id)
        if welcome.session is not None and self.session_id is None:
            # A restarted agent (or app) continues the conversation its last command had.
            self.session_id = welcome.session.session_id
            resume = getattr(self.adapter, "resume_from", None)
            if resume is not None:
                resume(welcome.session.session_id, welcome.session.usage)
        self.connected.set()
        self.on_state("connected")
        log.info(
            "connected to %s as %s (%d messages to resend)",
            self.options.server,
            self.options.name,
            len(self.buffer),
        )
        last_heard = [time.monotonic()]
        tasks = [
            asyncio.create_task(self._sender(ws, welcome.acked_seq)),
            asyncio.create_task(self._heartbeats(ws, last_heard)),
            asyncio.create_task(self._receiver(ws, last_heard)),
            asyncio.create_task(self._stop.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await ws.close()

    def _hello(self) -> m.AgentConnect:
        commands = []
        if self.current is not None:
            commands.append(m.CommandState(command_id=self.current.command_id, running=True))
        for cid in self.buffer.commands_pending():
            if self.current is None or str(self.current.command_id) != cid:
                commands.append(m.CommandState(command_id=uuid.UUID(cid), running=False))
        return m.AgentConnect(
            name=self.options.name,
            agent_type=self.settings.agent_type,
            instance_id=self.instance_id,
            protocol_version=PROTOCOL_VERSION,
            agent_version=__version__,
            host_machine=platform.node(),
            pid=os.getpid(),
            cwd=self.settings.cwd,
            last_seq=self.buffer.last_seq,
            commands=commands,
            pending_approvals=self.approvals.pending(),
            activity=self._activity(),
            interactive=self.settings.interactive,
            capabilities=CAPABILITIES,
            cli=self.cli_info,
            config={
                "server_url": self.options.server,
                "auto_reconnect": True,
                "max_retries": None,
                "cli": self.settings.cli,
                "python": sys.version.split()[0],
            },
        )

    async def _await_welcome(self, ws: ClientConnection) -> m.AgentWelcome:
        deadline = time.monotonic() + WELCOME_TIMEOUT_S
        while True:
            raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
            env = codec.decode(raw, expect=Direction.SERVER_TO_AGENT)
            if isinstance(env.payload, m.AgentWelcome):
                return env.payload
            if isinstance(env.payload, m.Error):
                err = env.payload
                if err.code == ErrorCode.UNSUPPORTED_VERSION.value:
                    raise FatalAgentError(err.message)
                if err.code == ErrorCode.FORBIDDEN.value:
                    # This token may not connect as this name: retrying cannot change that.
                    # (NAME_IN_USE is retried: the agent holding the name may be gone soon.)
                    raise FatalAgentError(
                        f"the app refused the name {self.options.name!r} for this token: "
                        f"{err.message}"
                    )
                raise ProtocolError(
                    ErrorCode(err.code)
                    if err.code in ErrorCode.__members__
                    else ErrorCode.INTERNAL,
                    err.message,
                )

    async def _sender(self, ws: ClientConnection, after: int) -> None:
        sent = after
        while True:
            self._wake.clear()
            entries = self.buffer.after(sent, SEND_BATCH)
            if not entries:
                await self._wake.wait()
                continue
            for entry in entries:
                await self.pacer.take()
                await ws.send(entry.data, text=True)
                sent = self._sent_seq = entry.seq

    def _can_send_now(self) -> bool:
        """Whether a message made now would go out at once (the outbox gathers more if not)."""
        return (
            self.connected.is_set()
            and self._sent_seq >= self.buffer.last_seq
            and self.pacer.available()
        )

    async def _heartbeats(self, ws: ClientConnection, last_heard: list[float]) -> None:
        while True:
            await self.pacer.take()
            self._beat_now.clear()
            await ws.send(codec.encode(self._heartbeat()), text=True)
            with contextlib.suppress(TimeoutError):  # a changed notice or CLI goes out at once
                await asyncio.wait_for(self._beat_now.wait(), self.heartbeat_interval_s)
            if time.monotonic() - last_heard[0] > 3 * self.heartbeat_interval_s:
                log.warning("no word from the app for 3 heartbeats; reconnecting")
                return

    def _heartbeat(self) -> m.AgentHeartbeat:
        cpu, mem = self._health.sample()
        avg = self._total_response_ms / self.commands_processed if self.commands_processed else 0.0
        return m.AgentHeartbeat(
            activity=self._activity(),
            current_command_id=self.current.command_id if self.current else None,
            health=m.HealthMetrics(
                cpu_usage=cpu,
                memory_usage=mem,
                uptime=round(time.monotonic() - self.started, 1),
                commands_processed=self.commands_processed,
                average_response_time=round(avg, 1),
            ),
            notice=self.current.notice if self.current is not None else None,
            cli=self.cli_info,
        )

    def _activity(self) -> ActivityState:
        return ActivityState.PROCESSING if self.current is not None else ActivityState.IDLE

    async def _receiver(self, ws: ClientConnection, last_heard: list[float]) -> None:
        async for raw in ws:
            last_heard[0] = time.monotonic()
            try:
                env = codec.decode(raw, expect=Direction.SERVER_TO_AGENT)
            except ProtocolError as exc:
                log.warning("unreadable message from the app: %s", exc.message)
                continue
            self._handle(env.payload)

    # --- messages from the app --------------------------------------------------------------------

    def _handle(self, payload: m.Payload) -> None:
        if isinstance(payload, m.OutputAck):
            self._ack(payload.seq)
        elif isinstance(payload, m.CommandRequest):
            self._start_command(payload)
        elif isinstance(payload, m.CommandCancel):
            if self.current is not None and self.current.command_id == payload.command_id:
                self.current.stop(payload.reason, payload.message)
            elif self._next is not None and self._next.command_id == payload.command_id:
                self._drop_next(payload)
        elif isinstance(payload, m.AgentControl):
            self._control(payload)
        elif isinstance(payload, m.ApprovalDecision):
            self.approvals.decided(payload)
        elif isinstance(payload, m.Error):
            log.warning("the app reports %s: %s", payload.code, payload.message)
        elif isinstance(payload, m.TerminalInput):
            if self.current is not None:
                self.current.write_input(payload.data)
        elif isinstance(payload, m.TerminalResize):
            self.settings.cols, self.settings.rows = payload.cols, payload.rows
            if self.current is not None and self.current.process is not None:
                resize = getattr(self.current.process, "resize", None)
                if resize is not None:
                    resize(payload.cols, payload.rows)

    def _start_command(self, request: m.CommandRequest) -> None:
        if request.command_id in self.known_commands:
            return  # a resend of one we already have
        task = self._current_task
        if (
            self.current is not None
            and self.current.stop_reason is not None
            and self._next is None
            and not self.paused
            and task is not None
        ):
            # Still stopping a command the app already counts as ended (it gave up on it while
            # we were away, or closed a slow cancel): run this one as soon as that one is gone,
            # rather than refuse it as busy.
            self._next = request
            task.add_done_callback(lambda _t: self._start_next(request))
            return
        if self.current is not None or self.paused or self._stopper is not None:
            if self._stopper is not None:  # leaving: a command started now would be orphaned
                why = "stopping"
            elif self.paused:
                why = "paused"
            else:
                why = f"busy with {self.current.command_id}"  # type: ignore[union-attr]
            self.outbox.send(
                lambda seq: m.CommandAck(
                    seq=seq, command_id=request.command_id, accepted=False, reason=f"agent {why}"
                )
            )
            return
        self.known_commands.add(request.command_id)
        run = CommandRun(
            request,
            self.settings,
            self.outbox,
            self.adapter,
            self.session_id,
            self._set_session,
            self.approvals.for_command(request),
            on_notice=self._beat_now.set,
            on_cli_version=self._cli_version,
        )
        run.hold_output(self.buffer.under_pressure)
        self.current = run
        self._current_task = asyncio.get_running_loop().create_task(self._run(run))

    def _start_next(self, request: m.CommandRequest) -> None:
        if self._next is request:
            self._next = None
            self._start_command(request)

    def _drop_next(self, cancel: m.CommandCancel) -> None:
        """The app cancelled the command waiting for the current one to end: it never runs."""
        cid = cancel.command_id
        self._next = None
        self.known_commands.add(cid)
        self.outbox.send(
            lambda seq: m.CommandComplete(
                seq=seq,
                command_id=cid,
                status=CommandStatus.CANCELLED,
                error=cancel.message or "cancelled before it started",
                reason=cancel.reason,
            )
        )

    async def _run(self, run: CommandRun) -> None:
        started = time.monotonic()
        try:
            await run.run()
        except Exception:
            log.exception("command %s crashed in the agent", run.command_id)
            cid = run.command_id
            self.outbox.send(
                lambda seq: m.CommandComplete(
                    seq=seq,
                    command_id=cid,
                    status=CommandStatus.FAILED,
                    error="internal error in onsembl-agent (see its log)",
                )
            )
        finally:
            self.current = None
            self._beat_now.set()  # (a notice the run left up is gone)
            self.commands_processed += 1
            self._total_response_ms += (time.monotonic() - started) * 1000

    def _ack(self, seq: int) -> None:
        if self.options.ack_log is not None:
            self._log_acks(seq)
        self.buffer.ack(seq)

    def _log_acks(self, seq: int) -> None:
        """Tests: record what the app acknowledged (seq, type, command, SHA-256 of the text), so
        a test can check it is in the database after killing the app at any moment."""
        entries = [e for e in self.buffer.after(self.buffer.acked, 1 << 30) if e.seq <= seq]
        if not entries:
            return
        lines = []
        for entry in entries:
            payload = codec.decode(entry.data).payload
            text = getattr(payload, "data", "")
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            kind = codec.BY_PAYLOAD[type(payload)].type
            command = getattr(payload, "command_id", None)
            lines.append(f"{entry.seq} {kind} {command} {digest}\n")
        assert self.options.ack_log is not None
        with open(self.options.ack_log, "a") as f:  # (tests only: small, and flushed at once)
            f.writelines(lines)

    def _pressure(self, on: bool) -> None:
        # The resume buffer passed its bound (or came back under): stop or resume reading the
        # command's output, so the CLI blocks on write instead of the agent's memory growing.
        if self.current is not None:
            self.current.hold_output(on)

    def _set_session(self, session_id: str) -> None:
        self.session_id = session_id

    def _control(self, ctl: m.AgentControl) -> None:
        log.info("control from the app: %s", ctl.action.value)
        if ctl.action is ControlAction.PAUSE:
            self.paused = True
            if self.current is not None:
                self.current.pause()
        elif ctl.action is ControlAction.RESUME:
            self.paused = False
            if self.current is not None:
                self.current.resume()
        else:
            self.request_stop(ctl.action)

    def _forget(self, command_id: uuid.UUID) -> None:
        """The app does not know this command (e.g. its database was reset): stop and drop it."""
        if self.current is not None and self.current.command_id == command_id:
            self.current.stop(CompletionReason.AGENT_LOST, "the app no longer knows this command")
        self.buffer.drop_command(str(command_id))
