"""Record what a program writes to a pseudo-terminal of a fixed size.

A dev tool for golden files: ``record(argv, cols, rows, keys)`` runs the program
in a fresh PTY (TERM=xterm-256color, UTF-8 locale), types ``keys`` (a list of
``(delay_seconds, bytes)``) and returns every byte it wrote.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time


def record(
    argv: list[str],
    cols: int,
    rows: int,
    keys: list[tuple[float, bytes]] = (),  # type: ignore[assignment]
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    settle: float = 0.5,
    limit: float = 20.0,
) -> bytes:
    """Run ``argv`` in a PTY; type ``keys``; stop ``settle`` s after the last one.

    With no keys, record until the program exits (at most ``limit`` seconds).
    """
    full_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": cwd or "/tmp",
        "COLUMNS": str(cols),
        "LINES": str(rows),
        **(env or {}),
    }
    pid, fd = pty.fork()
    if pid == 0:  # child
        if cwd:
            os.chdir(cwd)
        os.execvpe(argv[0], argv, full_env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    out = bytearray()
    start = time.monotonic()
    schedule = []
    t = 0.0
    for delay, data in keys:
        t += delay
        schedule.append((t, data))
    # Without keys the program runs to its end; with keys it stops after the last.
    end_at = (schedule[-1][0] + settle) if schedule else limit
    alive = True
    while alive and time.monotonic() - start < limit:
        now = time.monotonic() - start
        while schedule and schedule[0][0] <= now:
            os.write(fd, schedule.pop(0)[1])
        if not schedule and now >= end_at:
            break
        ready, _, _ = select.select([fd], [], [], 0.01)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                alive = False
                break
            if not chunk:
                alive = False
            out += chunk
    if alive:
        os.kill(pid, signal.SIGKILL)
    try:
        while True:  # drain what is left
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    os.close(fd)
    os.waitpid(pid, 0)
    return bytes(out)
