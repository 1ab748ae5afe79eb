"""Record vttest's screens as test data (a dev tool, not part of the test run)::

    python tests/terminal/record_vttest.py [MENU ...]        (needs vttest, xterm, Xvfb)

Runs Debian's ``vttest`` in an 80 x 24 pseudo-terminal, walks a menu's tests by pressing
Return at each "Push <RETURN>" (answering its queries with our engine's replies), and keeps
every byte it wrote with the offset of each screen. Then it asks a real xterm what each screen
looks like (the prefix of the bytes up to that point, ``xtermref.py``) and writes
``tests/data/vt-suites/vttest/menuN.bin`` and ``menuN.json``.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import xtermref

from onsembl_desktop.terminal import Terminal

OUT = Path(__file__).resolve().parents[1] / "data" / "vt-suites" / "vttest"
COLS, ROWS = 80, 24
MENU_PROMPT = b"Enter choice number"
PUSH = b"Push <RETURN>"


def record(menu: str) -> tuple[bytes, list[int]]:
    pid, fd = pty.fork()
    if pid == 0:
        env = {"PATH": "/usr/bin:/bin", "TERM": "xterm", "LANG": "C", "HOME": "/tmp"}
        os.execvpe("vttest", ["vttest"], env)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    out = bytearray()
    marks: list[int] = []

    def answer(text: str) -> None:
        os.write(fd, text.encode())

    engine = Terminal(COLS, ROWS, on_reply=answer)
    menus_seen = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.4)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                engine.feed_bytes(chunk)
                continue
            # Quiet: vttest waits for us.
            tail = bytes(out[-200:])
            if tail.rstrip().endswith(b":") and MENU_PROMPT in tail:
                menus_seen += 1
                if menus_seen == 1:
                    os.write(fd, menu.encode() + b"\r")
                else:
                    os.write(fd, b"0\r")  # back in the main menu: leave
                    time.sleep(0.5)
                    break
            elif PUSH in tail or tail.endswith(b"RETURN>") or b"<RETURN>" in tail:
                marks.append(len(out))
                os.write(fd, b"\r")
            else:
                os.write(fd, b"\r")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return bytes(out), marks


def main(menus: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for menu in menus:
        data, marks = record(menu)
        screens = []
        for mark in marks:
            shown = xtermref.replay(data[:mark], COLS, ROWS)
            screens.append({"at": mark, "screen": shown.screen, "cursor": list(shown.cursor)})
        OUT.joinpath(f"menu{menu}.bin").write_bytes(data)
        meta = {"cols": COLS, "rows": ROWS, "menu": menu, "screens": screens}
        text = json.dumps(meta, ensure_ascii=False, indent=1)
        OUT.joinpath(f"menu{menu}.json").write_text(text + "\n")
        print(f"menu {menu}: {len(data)} bytes, {len(marks)} screens")


if __name__ == "__main__":
    main(sys.argv[1:] or ["1", "2", "8"])
