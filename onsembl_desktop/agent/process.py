"""Child processes for commands: in a pseudo-terminal (shell, interactive) or with pipes (CLI JSON).

Every child leads its own process group, so a stop reaches everything it started: SIGINT, then
SIGTERM, then SIGKILL to the whole group, a couple of seconds apart. A *fast* stop (the emergency
stop) skips SIGINT and sends SIGKILL :data:`FAST_KILL_AFTER_S` after SIGTERM, so every agent is
quiet within a second. POSIX only for now (the Windows build runs CLIs through pywinpty; see
docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import fcntl
import logging
import os
import signal
import struct
import termios
from collections.abc import Awaitable, Callable, Sequence

import psutil  # type: ignore[import-untyped, unused-ignore]

log = logging.getLogger("onsembl.agent.process")

DEFAULT_COLS = 120
DEFAULT_ROWS = 40
# How long output may keep coming after the command's own process exited (from children that
# still hold the terminal or the pipes) before the command is considered done: until it has been
# quiet this long, and never longer than DRAIN_MAX_S in all (a background child that prints
# forever must not keep the command open).
DRAIN_AFTER_EXIT_S = 0.3
DRAIN_MAX_S = 2.0
# A fast stop gives the group this long to act on SIGTERM before SIGKILL.
FAST_KILL_AFTER_S = 0.3

OnData = Callable[[str], None]


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class ChildProcess:
    """Common part: the process, its group, and stopping it."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._fast = False  # set by stop(fast=True); shortens a slow stop already under way
        self.held = False  # see hold_output

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def signal_group(self, sig: int) -> bool:
        """Send ``sig`` to the child's whole process group; False if it is already gone."""
        if self.proc is None:
            return False
        try:
            os.killpg(self.proc.pid, sig)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            log.warning("not allowed to signal process group %d", self.proc.pid)
            return False

    def stop(self, escalate_after_s: float = 2.0, *, fast: bool = False) -> asyncio.Task[None]:
        """SIGINT, then SIGTERM, then SIGKILL to the group until it is gone. Idempotent.

        ``fast``: SIGTERM, then SIGKILL after :data:`FAST_KILL_AFTER_S` (the emergency stop). A
        fast stop asked for while a slow one is under way hurries that one along.
        """
        if fast:
            self._fast = True
        if self._stopping is None:
            self._stopping = asyncio.get_running_loop().create_task(self._stop(escalate_after_s))
        return self._stopping

    async def _stop(self, step_s: float) -> None:
        # SIGCONT first: a paused (SIGSTOPped) group would otherwise never act on the others.
        self.signal_group(signal.SIGCONT)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if sig == signal.SIGINT and self._fast:
                continue
            if not self.signal_group(sig):
                return
            if sig == signal.SIGKILL:
                break
            if await self._group_gone(step_s):
                return
        await self._group_gone(step_s)

    async def _group_gone(self, within: float) -> bool:
        """Wait until no process of the group is left (polling: POSIX cannot wait on a group)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            if self.proc is not None and self.proc.returncode is None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.proc.wait()), 0.02)
            elif not self._group_alive():
                return True
            # Re-read each time: a fast stop may arrive while a slow one waits here.
            if loop.time() >= start + (min(within, FAST_KILL_AFTER_S) if self._fast else within):
                return False
            await asyncio.sleep(0.05)

    def _group_alive(self) -> bool:
        """Whether a process of the group still runs. Zombies do not count: orphaned children are
        reaped by init, and where init does not reap (some containers) they would never go away.
        """
        if self.proc is None or not self.signal_group(0):
            return False
        pgid = self.proc.pid
        for proc in psutil.process_iter(["status"]):
            try:
                if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                    return True
            except (OSError, psutil.Error):
                continue
        return False

    async def wait(self) -> int:
        """Wait for the process to exit and its output to drain; returns the exit code."""
        raise NotImplementedError

    def hold_output(self, held: bool) -> None:
        """Back-pressure: stop reading what the program prints (it then blocks on write), or read
        again. Idempotent; may be called before :meth:`start`. Released when the process exits,
        so what it left in the terminal or pipes is still read (a bounded overshoot)."""
        self.held = held

    def kill_group_now(self) -> None:
        self.signal_group(signal.SIGCONT)
        self.signal_group(signal.SIGKILL)


class PtyProcess(ChildProcess):
    """A command in a pseudo-terminal: what it prints, with colours, as a terminal would get it."""

    def __init__(self, on_data: OnData, cols: int = DEFAULT_COLS, rows: int = DEFAULT_ROWS) -> None:
        super().__init__()
        self._on_data = on_data
        self.cols, self.rows = cols, rows
        self._master: int | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._eof = asyncio.Event()
        self._last_data = 0.0

    async def start(self, argv: Sequence[str], *, cwd: str, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        _set_winsize(master, self.cols, self.rows)
        os.set_blocking(master, False)

        def child_setup() -> None:  # runs in the child between fork and exec
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        try:
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=cwd,
                env=env,
                preexec_fn=child_setup,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self._master = master
        loop = asyncio.get_running_loop()
        self._last_data = loop.time()
        if not self.held:
            loop.add_reader(master, self._readable)

    def hold_output(self, held: bool) -> None:
        if held == self.held:
            return
        self.held = held
        if self._master is not None:
            loop = asyncio.get_running_loop()
            if held:
                loop.remove_reader(self._master)
            else:
                loop.add_reader(self._master, self._readable)

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 65536)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                return
            data = b""  # EIO: every holder of the terminal has closed it
        if not data:
            self._close_master()
            return
        self._last_data = asyncio.get_running_loop().time()
        text = self._decoder.decode(data)
        if text:
            self._on_data(text)

    def _close_master(self) -> None:
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self._on_data(tail)
        os.close(self._master)
        self._master = None
        self._eof.set()

    def write(self, text: str) -> None:
        """Keystrokes for the program (interactive use)."""
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.write(self._master, text.encode())

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        if self._master is not None:
            with contextlib.suppress(OSError):
                _set_winsize(self._master, cols, rows)
            self.signal_group(signal.SIGWINCH)

    async def wait(self) -> int:
        """Wait for the process to exit and its output to drain; returns the exit code."""
        assert self.proc is not None
        code = await self.proc.wait()
        self.hold_output(False)
        # Children may still hold the terminal; take their output while it keeps coming.
        await _drain(lambda: self._last_data, self._eof.wait())
        if self._master is not None:
            self._readable_until_empty()
            self._close_master()
        self.exit_code = _exit_code(code)
        return self.exit_code

    def _readable_until_empty(self) -> None:
        while self._master is not None:
            try:
                data = os.read(self._master, 65536)
            except OSError:
                return
            if not data:
                return
            text = self._decoder.decode(data)
            if text:  # (a split character may decode to nothing yet)
                self._on_data(text)


class PipeProcess(ChildProcess):
    """A CLI whose stdout is machine-readable lines (stream-json); stderr kept apart."""

    def __init__(self, on_line: Callable[[str], None], on_stderr: OnData) -> None:
        super().__init__()
        self._on_line = on_line
        self._on_stderr = on_stderr
        self._readers: list[asyncio.Task[None]] = []
        self._last_data = 0.0
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: dict[str, str],
        stdin_text: str | None = None,
        keep_stdin: bool = False,
    ) -> None:
        """``keep_stdin``: stdin stays open for :meth:`write` (a CLI spoken to on its stdin: ACP,
        Claude's stream-json control); otherwise ``stdin_text`` is written and stdin closed."""
        piped = stdin_text is not None or keep_stdin
        self.proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if piped else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
            limit=16 * 1024 * 1024,  # one stream-json line can be large (tool outputs)
        )
        if stdin_text is not None and self.proc.stdin is not None:
            self.proc.stdin.write(stdin_text.encode())
            with contextlib.suppress(OSError):
                await self.proc.stdin.drain()
            if not keep_stdin:
                self.proc.stdin.close()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        if self.held:
            self._pause_pipes(True)
        self._readers = [
            asyncio.create_task(self._read(self.proc.stdout, _LineSplitter(self._on_line))),
            asyncio.create_task(self._read(self.proc.stderr, self._stderr_text)),
        ]

    async def _read(
        self, stream: asyncio.StreamReader, on_text: Callable[[str, bool], None]
    ) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            while True:
                await self._flowing.wait()  # (held: see hold_output)
                chunk = await stream.read(65536)
                if not chunk:
                    break
                self._last_data = asyncio.get_running_loop().time()
                on_text(decoder.decode(chunk), False)
        finally:  # also when the drain after exit gave up waiting: keep the last partial line
            on_text(decoder.decode(b"", final=True), True)

    async def write(self, data: bytes) -> None:
        """Write to the CLI's stdin (started with ``keep_stdin``); a CLI that is gone or closed
        its end raises ConnectionError."""
        stdin = self.proc.stdin if self.proc is not None else None
        if stdin is None or stdin.is_closing():
            raise ConnectionError("the CLI's stdin is closed")
        stdin.write(data)
        try:
            await stdin.drain()
        except OSError as exc:
            raise ConnectionError(f"the CLI's stdin is closed: {exc}") from None

    def close_stdin(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()

    def hold_output(self, held: bool) -> None:
        if held == self.held:
            return
        self.held = held
        if held:
            self._flowing.clear()
        else:
            self._flowing.set()
        self._pause_pipes(held)

    def _pause_pipes(self, paused: bool) -> None:
        # Not reading is not enough: the StreamReader would buffer up to twice its limit first.
        # Pausing the pipe transports leaves the data in the kernel's pipe, where it blocks the
        # writer. (asyncio offers no public handle on a Process's transport.)
        transport = getattr(self.proc, "_transport", None)
        if transport is None:
            return
        for fd in (1, 2):
            pipe = transport.get_pipe_transport(fd)
            if pipe is None:
                continue
            with contextlib.suppress(RuntimeError):  # (a pipe being closed)
                if paused:
                    pipe.pause_reading()
                else:
                    pipe.resume_reading()

    def _stderr_text(self, text: str, _final: bool) -> None:
        if text:
            self._on_stderr(text)

    async def wait(self) -> int:
        assert self.proc is not None
        code = await _exit_status(self.proc)
        self.hold_output(False)
        readers = asyncio.gather(*self._readers, return_exceptions=True)
        # A grandchild that inherited stdout/stderr keeps the pipes open after the CLI exits:
        # read while output keeps coming, then stop reading and close our ends.
        await _drain(lambda: self._last_data, readers)
        if not readers.done():
            for task in self._readers:
                task.cancel()
            await readers
            # The pipes are still open at the other end; close ours (asyncio has no public handle
            # on the subprocess transport, which would otherwise stay open until collected).
            transport = getattr(self.proc, "_transport", None)
            if transport is not None:
                transport.close()
        self.exit_code = _exit_code(code)
        return self.exit_code


async def _exit_status(proc: asyncio.subprocess.Process) -> int:
    """The exit status as soon as the process exits. (``Process.wait()`` also waits until its pipes
    are closed, which a grandchild that inherited them can put off forever.)"""
    waiter = asyncio.ensure_future(proc.wait())
    try:
        while True:
            done, _ = await asyncio.wait([waiter], timeout=0.05)
            if done:
                return waiter.result()
            if proc.returncode is not None:
                return proc.returncode
    finally:
        waiter.cancel()


async def _drain(last_data: Callable[[], float], done: Awaitable[object]) -> None:
    """After the process exited: wait for ``done`` while output keeps coming (see DRAIN_*)."""
    loop = asyncio.get_running_loop()
    exited = loop.time()
    future = asyncio.ensure_future(done)
    try:
        while not future.done():
            now = loop.time()
            quiet_for = now - max(last_data(), exited)
            if quiet_for >= DRAIN_AFTER_EXIT_S or now >= exited + DRAIN_MAX_S:
                return
            timeout = min(DRAIN_AFTER_EXIT_S - quiet_for, exited + DRAIN_MAX_S - now)
            await asyncio.wait([future], timeout=timeout)
    finally:
        if future is not done:  # a task made here for a coroutine: do not leave it pending
            future.cancel()


class _LineSplitter:
    """Text in, complete lines out (without their line ending); the rest at the end."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self._on_line = on_line
        self._pending = ""

    def __call__(self, text: str, final: bool) -> None:
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._on_line(line.rstrip("\r"))
        if final and self._pending:
            self._on_line(self._pending.rstrip("\r"))
            self._pending = ""


def _exit_code(code: int) -> int:
    # asyncio reports death by signal N as -N; shells report 128+N. Keep asyncio's form.
    return code


# --- CPU limit ------------------------------------------------------------------------------------

CPU_THROTTLE_PERIOD_S = 0.2
CAN_THROTTLE_CPU = hasattr(signal, "SIGSTOP") and hasattr(os, "killpg")


class CpuThrottle:
    """Holds a process group to ``percent`` of one CPU (100 = one core, 200 = two) by pausing it.

    The ``cpulimit`` method: measure the CPU time the group used over a short period; if that is
    more than its share, SIGSTOP the group for as long as brings the average back to the share,
    then SIGCONT. It needs no privileges and works for any POSIX program; the alternatives do not
    fit: cgroups' ``cpu.max`` needs a delegated cgroup (rarely there for a user process, never in
    most containers), and ``RLIMIT_CPU`` caps total CPU seconds, not a rate. Coarse: a burst runs
    for up to one period before it is paid back.
    """

    def __init__(
        self, child: ChildProcess, percent: int, is_paused: Callable[[], bool] = lambda: False
    ) -> None:
        self.child = child
        self.share = percent / 100
        self._is_paused = is_paused  # the user paused the command: never SIGCONT behind their back
        self._cpu: dict[int, float] = {}
        self.throttled_s = 0.0  # time spent stopped, for the log

    def _used_since_last(self) -> float:
        pgid = self.child.pid
        used, now = 0.0, {}
        for proc in psutil.process_iter(["cpu_times"]):
            try:
                if os.getpgid(proc.pid) != pgid:
                    continue
            except OSError:
                continue
            times = proc.info["cpu_times"]
            if times is None:
                continue
            total = float(times.user + times.system)
            now[proc.pid] = total
            used += max(0.0, total - self._cpu.get(proc.pid, 0.0))
        self._cpu = now
        return used

    async def run(self) -> None:
        """Throttle until cancelled (the command ended)."""
        self._used_since_last()
        while True:
            await asyncio.sleep(CPU_THROTTLE_PERIOD_S)
            used = self._used_since_last()
            if self._is_paused() or used <= self.share * CPU_THROTTLE_PERIOD_S:
                continue
            pause = min(used / self.share - CPU_THROTTLE_PERIOD_S, 2.0)
            if not self.child.signal_group(signal.SIGSTOP):
                return
            try:
                await asyncio.sleep(pause)
                self.throttled_s += pause
            finally:
                if not self._is_paused():
                    self.child.signal_group(signal.SIGCONT)
            self._used_since_last()  # the stop is the payback; start a fresh period
