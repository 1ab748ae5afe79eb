"""Running one command: start the process, stream what it prints, enforce limits, report the end.

The shell type runs the command text with the user's shell in a PTY and forwards the bytes as they
are. The AI CLIs run with pipes; their JSON lines go through the adapter's parser, which turns them
into terminal text, trace nodes, token counts and reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]

from ..protocol import messages as m
from ..protocol.enums import (
    AgentType,
    ApprovalSource,
    CommandStatus,
    CompletionReason,
    StreamType,
)
from .acp_run import AcpRun
from .adapters import base as ab
from .approvals import CommandApprovals
from .interactive import no_fixed_size, start_session
from .outbox import Outbox
from .process import CAN_THROTTLE_CPU, ChildProcess, CpuThrottle, PipeProcess, PtyProcess

log = logging.getLogger("onsembl.agent.executor")

LIMIT_CHECK_INTERVAL_S = 0.5
STOPPED_AS_FAILED = ab.LIMIT_STOPS
# Test hook: the agent leaves time limits to the app, as a broken or old agent would, so tests can
# see the app's own time-limit backstop act (tests/orchestration/test_limits.py).
IGNORE_TIME_LIMIT_ENV = "ONSEMBL_AGENT_IGNORE_TIME_LIMIT"


@dataclass(slots=True)
class AgentSettings:
    agent_type: AgentType
    cwd: str
    cli: str | None = None  # binary for the AI CLIs (default: found on PATH)
    cli_args: list[str] = field(default_factory=list)
    shell: str = field(default_factory=lambda: os.environ.get("SHELL") or "/bin/sh")
    cols: int = 120
    rows: int = 40
    interactive: bool = False  # each command is a session of the CLI's own UI (agent.interactive)


class CommandRun:
    """One command from request to COMMAND_COMPLETE."""

    def __init__(
        self,
        request: m.CommandRequest,
        settings: AgentSettings,
        outbox: Outbox,
        adapter: ab.Adapter | None,
        session_id: str | None,
        on_session: Callable[[str], None],
        approvals: CommandApprovals | None = None,
        on_notice: Callable[[], None] = lambda: None,
        on_cli_version: Callable[[str], None] = lambda _version: None,
    ) -> None:
        self.request = request
        self.approvals = approvals  # None: this run cannot ask (a shell, an old caller)
        self.settings = settings
        self.outbox = outbox
        self.adapter = adapter
        self.session_id = session_id
        self._on_session = on_session
        self._on_notice = on_notice
        self._on_cli_version = on_cli_version
        self.notice: str | None = None  # the adapter's passing state (the CLI retrying)
        self._stderr_partial = ""
        self.command_id = request.command_id
        self.process: ChildProcess | None = None
        self.stop_reason: CompletionReason | None = None
        self.stop_message: str | None = None
        self.usage: m.Usage | None = None
        self.final: ab.Final | None = None
        self._parser: ab.StreamParser | None = None
        self._stderr_tail = ""
        self.started = time.monotonic()
        self.paused = False
        self.held = False  # back-pressure: see hold_output
        self._early_input: list[str] = []  # keystrokes that came before the process started
        self._tree_at_stop: list[psutil.Process] = []  # the CLI's descendants when stopped
        self._acp: AcpRun | None = None  # the ACP conversation (--type acp)
        if approvals is not None:
            approvals.on_note = self._approval_note

    # --- control ----------------------------------------------------------------------------------

    def stop(self, reason: CompletionReason, message: str | None = None) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.stop_message = message
            log.info("stopping %s: %s", self.command_id, reason.value)
            if self.approvals is not None:  # a stop ends any wait for an answer
                self.approvals.end(_approval_source(reason), message or _STOP_WORDS)
            if self._parser is not None:
                self._parser.note_stop()
        if self._acp is not None:
            self._acp.cancel()
        if self.process is not None:
            self.process.stop(fast=self._fast_stop(reason))
            # After the signal (listing descendants walks /proc: it must not delay the stop),
            # before the CLI is gone (its children would no longer be its).
            if not self._tree_at_stop:
                self._tree_at_stop = _descendants(self.process)

    def _approval_note(self, text: str) -> None:
        self.outbox.output(self.command_id, f"\x1b[33m{text}\x1b[0m\r\n")

    def _fast_stop(self, reason: CompletionReason | None = None) -> bool:
        # The emergency stop must leave every agent quiet within a second: no SIGINT grace.
        return (reason or self.stop_reason) is CompletionReason.EMERGENCY_STOP

    def write_input(self, data: str) -> None:
        """Keystrokes for the command's terminal (TERMINAL_INPUT). The app may send them as soon
        as it has sent the command, before the process runs: those are kept until it does."""
        if self.process is None:
            self._early_input.append(data)
        elif isinstance(self.process, PtyProcess):  # (a CLI on pipes takes no keystrokes)
            self.process.write(data)

    def hold_output(self, held: bool) -> None:
        """Stop reading the process's output while the resume buffer is over its bound, or read
        again (``ResumeBuffer.on_pressure``)."""
        self.held = held
        if self.process is not None:
            self.process.hold_output(held)

    def pause(self) -> None:
        import signal

        self.paused = True
        if self.stop_reason is not None:
            return  # being stopped: a SIGSTOP now would only hold up the stop
        if self.process is not None:
            self.process.signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        import signal

        self.paused = False
        if self.process is not None:
            self.process.signal_group(signal.SIGCONT)

    # --- running ----------------------------------------------------------------------------------

    async def run(self) -> None:
        start_ms = m_now_ms()
        self.outbox.send(lambda seq: m.CommandAck(seq=seq, command_id=self.command_id))
        exit_code: int | None = None
        error: str | None = None
        if not _is_dir(self.settings.cwd):
            # Checked here: a failed chdir in the child reads as "not found" about the directory.
            self._finish(
                CommandStatus.FAILED,
                None,
                f"the working directory {self.settings.cwd} does not exist or is not a directory",
                CompletionReason.CLI_ERROR,
                start_ms,
            )
            return
        try:
            self.process = await self._start(start_ms)
        except FileNotFoundError as exc:
            self._finish(
                CommandStatus.FAILED,
                None,
                f"cannot start {exc.filename or 'the CLI'}: not found",
                CompletionReason.CLI_NOT_FOUND,
                start_ms,
            )
            return
        except OSError as exc:
            self._finish(
                CommandStatus.FAILED,
                None,
                f"cannot start the command: {exc}",
                CompletionReason.CLI_ERROR,
                start_ms,
            )
            return
        if self.stop_reason is not None:  # stopped while the process was starting
            self.process.stop(fast=self._fast_stop())
        self.process.hold_output(self.held)
        for data in self._early_input:
            self.write_input(data)
        self._early_input.clear()
        watchdogs = [asyncio.create_task(self._enforce_limits())]
        throttle = self._cpu_throttle(self.process)
        if throttle is not None:
            watchdogs.append(asyncio.create_task(throttle.run()))
        try:
            exit_code = await self.process.wait()
        finally:
            for task in watchdogs:
                task.cancel()
        if self._acp is not None:
            await self._acp.close()
            exit_code = self._acp.exit_code(exit_code)
        if throttle is not None and throttle.throttled_s:
            log.info(
                "%s was held back %.1f s by its CPU limit", self.command_id, throttle.throttled_s
            )
        if self.stop_reason is not None:
            # Make sure nothing of the group outlives a stop, nor what the CLI started in groups
            # of its own (Gemini runs each shell tool in a new process group).
            await self.process.stop(fast=self._fast_stop())
            if self._tree_at_stop:
                await asyncio.to_thread(_end_strays, self._tree_at_stop)
        status, error, reason = self._verdict(exit_code)
        self._finish(status, exit_code, error, reason, start_ms)

    async def _start(self, start_ms: int) -> ChildProcess:
        env = dict(os.environ)
        env.setdefault("TERM", "xterm-256color")
        env["ONSEMBL_COMMAND_ID"] = str(self.command_id)
        if self.settings.interactive:
            return await start_session(
                self.request, self.settings, self.adapter, self.session_id, env, self._pty_output
            )
        if self.adapter is None:
            pty = PtyProcess(self._pty_output, self.settings.cols, self.settings.rows)
            no_fixed_size(env)
            argv = [self.settings.shell, "-c", self.request.content]
            await pty.start(argv, cwd=self.settings.cwd, env=env)
            return pty
        cli = self.settings.cli or _default_cli(self.settings.agent_type)
        resolved = shutil.which(cli)
        if resolved is None:
            raise FileNotFoundError(2, "not found", cli)
        spec = self.adapter.launch(
            self.request,
            cli=resolved,
            extra_args=self.settings.cli_args,
            session_id=self.session_id,
        )
        env.update(spec.env)
        self._parser = self.adapter.parser(self.request, started_at_ms=start_ms)
        if self.settings.agent_type is AgentType.ACP:
            return await self._start_acp(spec.argv, env)
        pipe = PipeProcess(self._line, self._stderr)
        await pipe.start(spec.argv, cwd=self.settings.cwd, env=env, stdin_text=spec.stdin_text)
        return pipe

    async def _start_acp(self, argv: list[str], env: dict[str, str]) -> ChildProcess:
        self._acp = AcpRun(
            self.request,
            self.settings.cwd,
            self.approvals,
            self.session_id,
            emit=self._line,
            on_junk=lambda text: self._stderr(text + "\n"),
        )
        pipe = PipeProcess(self._acp.transport.line, self._stderr)
        await pipe.start(argv, cwd=self.settings.cwd, env=env, keep_stdin=True)
        self._acp.start(pipe)
        return pipe

    def _pty_output(self, text: str) -> None:
        self.outbox.output(self.command_id, text)

    def _stderr(self, text: str) -> None:
        self._stderr_tail = (self._stderr_tail + text)[-4000:]
        if self._parser is None:
            self.outbox.output(
                self.command_id, text.replace("\n", "\r\n"), stream=StreamType.STDERR
            )
            return
        # The adapter renders the CLI's stderr a line at a time (notes, warnings, traces).
        *lines, self._stderr_partial = (self._stderr_partial + text).split("\n")
        for line in lines:
            self._stderr_line(line)

    def _stderr_line(self, line: str) -> None:
        assert self._parser is not None
        try:
            events = self._parser.feed_stderr(line)
        except Exception:
            log.exception("adapter failed on a stderr line; showing it raw")
            events = [ab.Output(line + "\r\n", raw=line, stream=StreamType.STDERR)]
        self._handle_events(events)

    def _line(self, line: str) -> None:
        assert self._parser is not None
        try:
            events = self._parser.feed_line(line)
        except Exception:  # a parser bug must not lose the line or the command
            log.exception("adapter failed on a line; showing it raw")
            events = [ab.Output(line + "\r\n", raw=line)]
        self._handle_events(events)

    def _handle_events(self, events: list[ab.AdapterEvent]) -> None:
        for ev in events:
            self._handle_event(ev)

    def _handle_event(self, ev: ab.AdapterEvent) -> None:
        cid = self.command_id
        if isinstance(ev, ab.Output):
            self.outbox.output(cid, ev.text, stream=ev.stream, raw=ev.raw)
        elif isinstance(ev, ab.Trace):
            node = ev.node
            self.outbox.send(lambda seq: m.TraceEvent(seq=seq, command_id=cid, entry=node))
        elif isinstance(ev, ab.UsageSoFar):
            self.usage = ev.usage
            usage = ev.usage
            self.outbox.send(lambda seq: m.UsageUpdate(seq=seq, command_id=cid, usage=usage))
            budget = self.request.constraints.token_budget
            if budget is not None and usage.total_tokens > budget:
                self.stop(
                    CompletionReason.TOKEN_LIMIT_EXCEEDED,
                    f"token budget of {budget} exceeded ({usage.total_tokens} tokens)",
                )
        elif isinstance(ev, ab.Report):
            report = ev
            self.outbox.send(
                lambda seq: m.InvestigationReport(
                    seq=seq,
                    command_id=cid,
                    report_id=report.report_id,
                    title=report.title,
                    summary=report.summary,
                    status=report.status,
                    content=report.content,
                )
            )
        elif isinstance(ev, ab.SessionStarted):
            self.session_id = ev.session_id
            self._on_session(ev.session_id)
        elif isinstance(ev, ab.Notice):
            self.notice = ev.text
            self._on_notice()
        elif isinstance(ev, ab.CliVersion):
            self._on_cli_version(ev.version)
        elif isinstance(ev, ab.Final):
            self.final = ev
            if ev.usage is not None:
                self.usage = ev.usage
            if ev.session_id:
                self.session_id = ev.session_id
                self._on_session(ev.session_id)

    def _cpu_throttle(self, process: ChildProcess) -> CpuThrottle | None:
        percent = self.request.constraints.cpu_limit_percent
        if percent is None:
            return None
        if not CAN_THROTTLE_CPU:
            message = f"the CPU limit of {percent}% is not applied: this platform cannot pause it"
            cid = self.command_id
            self.outbox.send(
                lambda seq: m.AgentError(
                    seq=seq, command_id=cid, code="LIMIT_NOT_APPLIED", message=message
                )
            )
            return None
        return CpuThrottle(process, percent, lambda: self.paused or self.stop_reason is not None)

    async def _enforce_limits(self) -> None:
        limits = self.request.constraints
        limit_s = limits.time_limit_ms / 1000 if limits.time_limit_ms is not None else None
        if os.environ.get(IGNORE_TIME_LIMIT_ENV) == "1":
            limit_s = None
        proc = psutil.Process(self.process.pid) if self.process and self.process.pid else None
        while True:
            now = time.monotonic()
            deadline = None
            if limit_s is not None:  # time spent waiting for approvals is not charged
                waited = self.approvals.waited_s(now) if self.approvals is not None else 0.0
                deadline = self.started + limit_s + waited
            if deadline is not None and now >= deadline:
                self.stop(
                    CompletionReason.TIME_LIMIT_EXCEEDED,
                    f"time limit of {limit_s:g} s exceeded",
                )
                return
            if limits.memory_limit_mb is not None and proc is not None:
                rss_mb = _tree_rss_mb(proc)
                if rss_mb > limits.memory_limit_mb:
                    self.stop(
                        CompletionReason.MEMORY_LIMIT_EXCEEDED,
                        f"memory limit of {limits.memory_limit_mb} MB exceeded ({rss_mb:.0f} MB)",
                    )
                    return
            wait = LIMIT_CHECK_INTERVAL_S
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - now))
            await asyncio.sleep(wait)

    def _verdict(
        self, exit_code: int | None
    ) -> tuple[CommandStatus, str | None, CompletionReason | None]:
        if self._parser is not None:
            if self._stderr_partial:
                self._stderr_line(self._stderr_partial)
                self._stderr_partial = ""
            stopped = None
            if self.stop_reason is not None:
                stopped = ab.Stopped(self.stop_reason, self.stop_message)
            self._handle_events(self._parser.finish(exit_code, self._stderr_tail, stopped))
        if self.stop_reason is not None:
            status = (
                CommandStatus.FAILED
                if self.stop_reason in STOPPED_AS_FAILED
                else CommandStatus.CANCELLED
            )
            return status, self.stop_message or self.stop_reason.value, self.stop_reason
        if self.final is not None:
            return self.final.status, self.final.error, self.final.reason
        if exit_code == 0:
            return CommandStatus.COMPLETED, None, None
        if exit_code is not None and exit_code < 0:
            return CommandStatus.FAILED, f"killed by signal {-exit_code}", None
        return CommandStatus.FAILED, f"exited with code {exit_code}", None

    def _finish(
        self,
        status: CommandStatus,
        exit_code: int | None,
        error: str | None,
        reason: CompletionReason | None,
        start_ms: int,
    ) -> None:
        cid = self.command_id
        duration = max(0, m_now_ms() - start_ms)
        if error and status is not CommandStatus.COMPLETED and self.adapter is None:
            self.outbox.output(cid, f"\r\n\x1b[31m[onsembl] {error}\x1b[0m\r\n")
        if reason in (CompletionReason.CLI_NOT_FOUND, CompletionReason.CLI_ERROR):
            message = error or "the CLI failed"
            self.outbox.send(
                lambda seq: m.AgentError(
                    seq=seq, command_id=cid, code=reason.value, message=message
                )
            )
        usage = self.usage
        session_id = self.session_id
        self.outbox.send(
            lambda seq: m.CommandComplete(
                seq=seq,
                command_id=cid,
                status=status,
                exit_code=exit_code,
                error=error,
                reason=reason,
                duration_ms=duration,
                usage=usage,
                session_id=session_id,
            )
        )


_STOP_WORDS = "the command was stopped before an answer came"


def _approval_source(reason: CompletionReason) -> ApprovalSource:
    if reason is CompletionReason.EMERGENCY_STOP:
        return ApprovalSource.EMERGENCY_STOP
    return ApprovalSource.CANCELLED


def _descendants(process: ChildProcess | None) -> list[psutil.Process]:
    if process is None or not process.pid:
        return []
    try:
        return list(psutil.Process(process.pid).children(recursive=True))
    except psutil.Error:
        return []


def _end_strays(processes: list[psutil.Process], grace_s: float = 1.0) -> None:
    """SIGTERM, then SIGKILL, whatever of ``processes`` still runs (psutil checks each is the
    process seen then, not a new one with its pid). Blocking: run it on a worker thread."""
    alive = [p for p in processes if p.is_running()]
    if not alive:
        return
    log.info("ending %d process(es) the CLI left running", len(alive))
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _gone, alive = psutil.wait_procs(alive, timeout=grace_s)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _is_dir(path: str) -> bool:
    return Path(path).is_dir()


def _tree_rss_mb(proc: psutil.Process) -> float:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / (1024 * 1024)


def _default_cli(agent_type: AgentType) -> str:
    return {AgentType.CLAUDE: "claude", AgentType.CODEX: "codex", AgentType.GEMINI: "gemini"}.get(
        agent_type, agent_type.value.lower()
    )


def m_now_ms() -> int:
    return time.time_ns() // 1_000_000
