"""A demo stand-in for ``claude``, ``codex`` and ``gemini``: replays a recorded session (stdlib).

``python -m onsembl_desktop.demo.standin CLI ARGS...`` accepts the real CLI's headless command
line, finds the prompt (argument or stdin), and prints a recorded session of that CLI line by
line with a short pause, as the real CLI would stream it. The recording whose prompt the command
contains is chosen, otherwise the next one in turn. ``ONSEMBL_DEMO_DELAY`` sets the pause (s).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import zlib
from pathlib import Path

from .. import __version__
from .recordings import manifest, read

_VALUE_OPTIONS = {
    "--output-format", "-o", "--resume", "-r", "--model", "-m", "--permission-mode",
    "--append-system-prompt", "--system-prompt", "--max-turns", "--session-id", "-c", "--config",
    "-s", "--sandbox", "-C", "--cd", "--profile", "--approval-mode", "--add-dir", "--color",
    "--allowedTools", "--allowed-tools", "--disallowedTools", "--disallowed-tools", "--tools",
    "--output-last-message", "--output-schema", "-i", "--image", "--include-directories",
    "-e", "--extensions",
}  # fmt: skip


def prompt_of(cli: str, argv: list[str]) -> str | None:
    """The prompt on the command line, or None when the CLI reads it from stdin."""
    args = argv[1:] if cli == "codex" and argv[:1] == ["exec"] else list(argv)
    positionals: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg in ("-p", "--print", "--prompt") and cli != "codex":
            if i < len(args) and (cli == "gemini" or not args[i].startswith("-")):
                return args[i]
            continue
        if arg.startswith("-") and arg != "-":
            if arg in _VALUE_OPTIONS and "=" not in arg:
                i += 1
            continue
        positionals.append(arg)
    if cli == "codex" and positionals[:1] == ["resume"]:
        positionals = positionals[2:]
    prompt = positionals[-1] if positionals else None
    return None if prompt in (None, "-") else prompt


def choose(cli: str, prompt: str, state: Path | None) -> str:
    """The recording to replay: the one whose prompt this command contains, else the next."""
    entries = [e for e in manifest() if e["cli"] == cli]
    if not entries:
        raise SystemExit(f"demo stand-in: no recordings for {cli}")
    text = " ".join(prompt.lower().split())
    for entry in entries:
        if " ".join(entry["prompt"].lower().split()) in text:
            return entry["file"]
    if state is None:
        return entries[zlib.crc32(text.encode()) % len(entries)]["file"]
    counter = state / f"{cli}.next"
    try:
        n = int(counter.read_text())
    except (OSError, ValueError):
        n = 0
    with contextlib.suppress(OSError):
        counter.write_text(str(n + 1))
    return entries[n % len(entries)]["file"]


def replay(name: str, delay: float) -> None:
    text = read(name)
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        time.sleep(delay)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("claude", "codex", "gemini"):
        print(
            "usage: python -m onsembl_desktop.demo.standin claude|codex|gemini ARGS…",
            file=sys.stderr,
        )
        return 2
    cli, rest = args[0], args[1:]
    if rest == ["--version"]:  # (onsembl-agent asks at start-up; a replay would use one up)
        print(f"{cli} (Onsembl demo stand-in) {__version__}")
        return 0
    signal.signal(signal.SIGINT, lambda *_a: sys.exit(130))
    prompt = prompt_of(cli, rest)
    if prompt is None:
        prompt = sys.stdin.read()
    state_dir = os.environ.get("ONSEMBL_DEMO_STATE")
    delay = float(os.environ.get("ONSEMBL_DEMO_DELAY", "0.35"))
    replay(choose(cli, prompt, Path(state_dir) if state_dir else None), delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
