"""tmux as the reference terminal: replay bytes into a pane and capture what it shows.

A dev tool for making golden files and for differential checks; the tests themselves
read the stored results and never need tmux.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_CONF = "set -g status off\nset -g history-limit {history}\nset -g remain-on-exit on\n"


@dataclass
class TmuxScreen:
    screen: list[str]
    history: list[str]
    cursor: tuple[int, int]
    cursor_visible: bool
    alternate: bool
    ansi: list[str]


def available() -> bool:
    return shutil.which("tmux") is not None


def replay(data: bytes, cols: int, rows: int, history: int = 10_000) -> TmuxScreen:
    """Show ``data`` in a fresh tmux pane of ``cols`` x ``rows`` and capture it."""
    return replay_steps([data], cols, rows, history)


def replay_steps(
    steps: list[bytes | tuple[int, int]], cols: int, rows: int, history: int = 10_000
) -> TmuxScreen:
    """Like :func:`replay`, where a ``(cols, rows)`` step resizes the pane in between."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp, "tmux.conf")
        conf.write_text(_CONF.format(history=history))
        tmux = ["tmux", "-S", str(Path(tmp, "sock")), "-f", str(conf)]
        # Raw output (-opost) so "\n" stays a bare line feed, as the program sent it.
        script = ["stty -opost -echo; sleep 0.2"]
        for i, step in enumerate(steps):
            if isinstance(step, bytes):
                Path(tmp, f"in{i}").write_bytes(step)
                script.append(f"cat {shlex.quote(str(Path(tmp, f'in{i}')))}")
            script.append(f"touch {tmp}/done{i}; while [ ! -e {tmp}/go{i} ]; do sleep 0.02; done")
        script.append("exec sleep 100000")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
        cmd = [*tmux, "new-session", "-d", "-x", str(cols), "-y", str(rows)]
        subprocess.run([*cmd, "sh", "-c", "; ".join(script)], check=True, env=env)
        try:
            for i, step in enumerate(steps):
                _wait(Path(tmp, f"done{i}"))
                if isinstance(step, tuple):
                    size = ["-x", str(step[0]), "-y", str(step[1])]
                    subprocess.run([*tmux, "resize-window", *size], check=True)
                    time.sleep(0.2)
                Path(tmp, f"go{i}").touch()
            time.sleep(0.3)
            return _capture(tmux)
        finally:
            subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)


def _wait(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _capture(tmux: list[str]) -> TmuxScreen:
    def cap(*args: str) -> list[str]:
        out = subprocess.run(
            [*tmux, "capture-pane", "-p", *args], check=True, capture_output=True
        ).stdout.decode("utf-8", "replace")
        return out.split("\n")[:-1]

    screen = cap()
    ansi = cap("-e")
    hist = cap("-S", "-", "-E", "-1") if _history_size(tmux) else []
    fmt = "#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on}"
    info = subprocess.run(
        [*tmux, "display-message", "-p", fmt], check=True, capture_output=True
    ).stdout.split()
    return TmuxScreen(
        screen=screen,
        history=hist,
        cursor=(int(info[0]), int(info[1])),
        cursor_visible=info[2] == b"1",
        alternate=info[3] == b"1",
        ansi=ansi,
    )


def _history_size(tmux: list[str]) -> int:
    out = subprocess.run(
        [*tmux, "display-message", "-p", "#{history_size}"], check=True, capture_output=True
    )
    return int(out.stdout)
