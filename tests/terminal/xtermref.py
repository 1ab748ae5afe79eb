"""xterm as the reference terminal: replay bytes in a real xterm and read back its screen.

A dev tool (needs ``xterm`` and ``Xvfb``: ``apt-get install xterm xvfb``), like ``tmuxref``;
the tests read stored results and never need it.

How the screen is read: a small program runs inside the xterm (raw tty, so bytes reach xterm as
they are), writes the bytes, asks xterm for the cursor (CPR), origin mode and margins (DECRQM,
DECRQSS), the alternate screen and cursor visibility (DECRQM), then has xterm print its screen
(``CSI i``) through ``printerCommand`` into a file. xterm prints line-drawing cells as their
Unicode characters and strips trailing blanks, like ``tmux capture-pane -p``.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_HELPER = r"""
import os, re, select, sys, termios, time, tty
fd = os.open("/dev/tty", os.O_RDWR)
tty.setraw(fd)
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 4096):
    os.write(fd, data[i:i + 4096])
time.sleep(0.05)
termios.tcflush(fd, termios.TCIFLUSH)  # replies to queries in the data

def ask(query, pattern):
    os.write(fd, query)
    buf = b""
    deadline = time.time() + 5
    while time.time() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            buf += os.read(fd, 4096)
            m = re.search(pattern, buf)
            if m:
                return m.group(1).decode()
    return ""

answers = [
    ask(b"\x1b[?6$p", rb"\x1b\[\?6;(\d)\$y"),
    ask(b"\x1bP$qr\x1b\\", rb"\x1bP1\$r([0-9;]*)r"),
    ask(b"\x1b[?1049$p", rb"\x1b\[\?1049;(\d)\$y"),
    ask(b"\x1b[?47$p", rb"\x1b\[\?47;(\d)\$y"),
    ask(b"\x1b[?1047$p", rb"\x1b\[\?1047;(\d)\$y"),
    ask(b"\x1b[?25$p", rb"\x1b\[\?25;(\d)\$y"),
    ask(b"\x1b[6n", rb"\x1b\[(\d+;\d+)R"),
]
open(sys.argv[2], "w").write("\n".join(answers))
os.write(fd, b"\x1b[?19h\x1b[i")  # print extent: the whole screen
deadline = time.time() + 10
while time.time() < deadline:
    if os.path.exists(sys.argv[3]) and open(sys.argv[3], "rb").read().endswith(b"\x0c"):
        break
    time.sleep(0.02)
"""

_RESOURCES = {
    "printAttributes": "0",
    "printerAutoClose": "true",
    "printerFormFeed": "true",
    "printerNewLine": "true",
    "allowWindowOps": "true",
    "locale": "true",
    "saveLines": "10000",
    "scrollTtyOutput": "false",
    "font": "fixed",
}

_display: str | None = None


@dataclass
class XtermScreen:
    screen: list[str]
    cursor: tuple[int, int]  # absolute (x, y)
    cursor_visible: bool
    alternate: bool


def available() -> bool:
    return bool(shutil.which("xterm") and shutil.which("Xvfb"))


def _start_display() -> str:
    global _display
    if _display is None:
        number = 90 + os.getpid() % 50
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(proc.terminate)
        socket = Path(f"/tmp/.X11-unix/X{number}")
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        _display = f":{number}"
    return _display


def replay(data: bytes, cols: int, rows: int) -> XtermScreen:
    """Show ``data`` in a fresh ``cols`` x ``rows`` xterm and read its screen back."""
    for attempt in range(3):
        try:
            return _replay(data, cols, rows)
        except (FileNotFoundError, ValueError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _replay(data: bytes, cols: int, rows: int) -> XtermScreen:
    display = _start_display()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "in.bin").write_bytes(data)
        (d / "helper.py").write_text(_HELPER)
        prints = d / "prints"
        resources = {**_RESOURCES, "printerCommand": f"cat >> {prints}"}
        xrm = [arg for k, v in resources.items() for arg in ("-xrm", f"XTerm*{k}: {v}")]
        argv = ["xterm", "-geometry", f"{cols}x{rows}", *xrm, "-e", sys.executable]
        argv += [str(d / "helper.py"), str(d / "in.bin"), str(d / "answers"), str(prints)]
        env = {**os.environ, "DISPLAY": display, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        subprocess.run(argv, env=env, timeout=60, check=False)
        answers = (d / "answers").read_text().split("\n")
        text = prints.read_bytes().decode("utf-8", "replace").rstrip("\x0c")
    origin, margins, alt1049, alt47, alt1047, cursor_on, cpr = answers
    screen = text.split("\n")[:rows]
    screen += [""] * (rows - len(screen))
    y, x = (int(v) - 1 for v in cpr.split(";"))
    if origin == "1" and margins:
        y += int(margins.split(";")[0]) - 1
    alternate = "1" in (alt1049, alt47, alt1047)
    return XtermScreen([re.sub(" +$", "", s) for s in screen], (x, y), cursor_on == "1", alternate)


if __name__ == "__main__":
    raw = sys.stdin.buffer.read()
    shown = replay(
        raw,
        int(sys.argv[1]) if len(sys.argv) > 1 else 80,
        int(sys.argv[2]) if len(sys.argv) > 2 else 24,
    )
    print("\n".join(shown.screen))
    print(
        shown.cursor,
        "visible" if shown.cursor_visible else "hidden",
        "alt" if shown.alternate else "main",
    )
