"""Shared body of the stand-in ``claude``, ``codex`` and ``gemini`` executables (stdlib only).

Each stand-in accepts its CLI's real command line, then prints that CLI's real output format:
a recorded sample replayed line by line, or a small generated run. See README.md for the
environment variables that steer it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Options of each CLI that take a value (everything else starting with "-" is a switch).
_VALUE_OPTIONS = {
    "claude": {
        "--output-format",
        "--input-format",
        "--resume",
        "-r",
        "--model",
        "--permission-mode",
        "--append-system-prompt",
        "--system-prompt",
        "--max-turns",
        "--session-id",
        "--settings",
        "--mcp-config",
        "--fallback-model",
        "--permission-prompt-tool",
        "--agents",
        "--json-schema",
        "--max-budget-usd",
        "--add-dir",
        "--allowedTools",
        "--allowed-tools",
        "--disallowedTools",
        "--disallowed-tools",
        "--tools",
    },
    "codex": {
        "-m",
        "--model",
        "-c",
        "--config",
        "-s",
        "--sandbox",
        "-C",
        "--cd",
        "-p",
        "--profile",
        "-o",
        "--output-last-message",
        "--output-schema",
        "-i",
        "--image",
        "--color",
        "-a",
        "--ask-for-approval",
        "--add-dir",
        "--local-provider",
    },
    "gemini": {
        "-p",
        "--prompt",
        "--output-format",
        "-o",
        "-r",
        "--resume",
        "-m",
        "--model",
        "--approval-mode",
        "--include-directories",
        "-e",
        "--extensions",
        "--allowed-tools",
        "--allowed-mcp-server-names",
        "-s",
        "--sandbox-image",
        "--session-id",
    },
}


@dataclass
class Invocation:
    cli: str
    prompt: str | None = None
    session_id: str | None = None
    output_format: str | None = None
    flags: set[str] = field(default_factory=set)
    error: str | None = None


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"ONSEMBL_STANDIN_{name}", default)


def parse(cli: str, args: list[str]) -> Invocation:
    inv = Invocation(cli)
    values = _VALUE_OPTIONS[cli]
    positionals: list[str] = []
    rest = list(args)
    if cli == "codex":
        if not rest or rest[0] != "exec":
            inv.error = "standin codex: only `codex exec` is supported"
            return inv
        rest = rest[1:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        index += 1
        if arg == "--":
            positionals += rest[index:]
            break
        if arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=")
            if name in values and not eq:
                if index >= len(rest):
                    inv.error = f"error: option '{name}' argument missing"
                    return inv
                value, index = rest[index], index + 1
            inv.flags.add(name)
            if name in ("--output-format", "-o") and cli != "codex":
                inv.output_format = value
            elif name in ("--resume", "-r") and cli != "codex":
                inv.session_id = value
            elif name in ("-p", "--prompt") and cli == "gemini":
                inv.prompt = value
            continue
        positionals.append(arg)
    if cli == "codex":
        if positionals[:1] == ["resume"]:
            positionals = positionals[1:]
            if "--last" not in inv.flags and positionals:
                inv.session_id = positionals.pop(0)
        inv.output_format = "json" if "--json" in inv.flags else "text"
    if positionals and inv.prompt is None:
        inv.prompt = positionals[0]
    if cli == "claude" and not ({"-p", "--print"} & inv.flags):
        inv.error = "standin claude: only --print (-p) mode is supported"
    elif cli == "claude" and inv.output_format == "stream-json" and "--verbose" not in inv.flags:
        inv.error = "Error: When using --print, --output-format=stream-json requires --verbose"
    return inv


def _print(obj: Any) -> None:
    # compact and unescaped, as the real CLIs print it
    text = (
        obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    )
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


# --- generated runs in each CLI's format -----------------------------------------------------


def _claude(kind: str, inv: Invocation, sid: str, n: int = 0, step: int = 0) -> list[Any]:
    if kind == "start":
        return [
            {
                "type": "system",
                "subtype": "init",
                "session_id": sid,
                "model": "standin",
                "tools": [],
                "claude_code_version": "standin",
                "uuid": str(uuid.uuid4()),
            }
        ]
    if kind == "tick":
        usage = {
            "input_tokens": step,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        }
        message = {
            "id": f"msg_standin_{n}",
            "model": "standin",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": f"tick {n}"}],
            "usage": usage,
        }
        return [
            {
                "type": "assistant",
                "message": message,
                "parent_tool_use_id": None,
                "session_id": sid,
                "uuid": str(uuid.uuid4()),
                "timestamp": _now(),
            }
        ]
    if kind == "cancelled":
        return [
            {
                "type": "result",
                "subtype": "error_during_execution",
                "is_error": True,
                "duration_ms": 0,
                "num_turns": 0,
                "session_id": sid,
                "total_cost_usd": 0,
                "terminal_reason": "aborted_streaming",
                "errors": ["Request was aborted."],
            }
        ]
    text = f"Echo: {inv.prompt or ''}"
    usage = {
        "input_tokens": 10,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 5,
    }
    message = {
        "id": "msg_standin_echo",
        "model": "standin",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": text}],
        "usage": usage,
    }
    return [
        {
            "type": "assistant",
            "message": message,
            "parent_tool_use_id": None,
            "session_id": sid,
            "uuid": str(uuid.uuid4()),
            "timestamp": _now(),
        },
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "duration_ms": 10,
            "num_turns": 1,
            "result": text,
            "session_id": sid,
            "total_cost_usd": 0.0001,
            "usage": usage,
            "modelUsage": {},
            "permission_denials": [],
        },
    ]


def _codex(kind: str, inv: Invocation, sid: str, n: int = 0, step: int = 0) -> list[Any]:
    if kind == "start":
        return [{"type": "thread.started", "thread_id": sid}, {"type": "turn.started"}]
    if kind == "tick":  # not what one real exec does: a new turn per tick, to grow the usage
        usage = {"input_tokens": step * n, "cached_input_tokens": 0, "output_tokens": n}
        return [
            {
                "type": "item.completed",
                "item": {"id": f"item_{n}", "type": "agent_message", "text": f"tick {n}"},
            },
            {"type": "turn.completed", "usage": usage},
            {"type": "turn.started"},
        ]
    if kind == "cancelled":
        return []  # an interrupted codex turn prints nothing more
    text = f"Echo: {inv.prompt or ''}"
    return [
        {"type": "item.completed", "item": {"id": "item_0", "type": "agent_message", "text": text}},
        {
            "type": "turn.completed",
            "usage": {"input_tokens": 10, "cached_input_tokens": 0, "output_tokens": 5},
        },
    ]


def _gemini(kind: str, inv: Invocation, sid: str, n: int = 0, step: int = 0) -> list[Any]:
    if kind == "start":
        return [
            {"type": "init", "timestamp": _now(), "session_id": sid, "model": "standin"},
            {"type": "message", "timestamp": _now(), "role": "user", "content": inv.prompt or ""},
        ]
    if kind == "tick":  # Gemini reports tokens only at the end: ticks are text only
        return [
            {
                "type": "message",
                "timestamp": _now(),
                "role": "assistant",
                "content": f"tick {n} ",
                "delta": True,
            }
        ]
    if kind == "cancelled":
        return [
            {
                "type": "result",
                "timestamp": _now(),
                "status": "error",
                "error": {"type": "FatalCancellationError", "message": "Operation cancelled."},
                "stats": {
                    "total_tokens": 0,
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "duration_ms": 0,
                    "tool_calls": 0,
                },
            }
        ]
    text = f"Echo: {inv.prompt or ''}"
    return [
        {
            "type": "message",
            "timestamp": _now(),
            "role": "assistant",
            "content": text,
            "delta": True,
        },
        {
            "type": "result",
            "timestamp": _now(),
            "status": "success",
            "stats": {
                "total_tokens": 15,
                "input_tokens": 10,
                "output_tokens": 5,
                "cached": 0,
                "input": 10,
                "duration_ms": 10,
                "tool_calls": 0,
            },
        },
    ]


_GENERATORS = {"claude": _claude, "codex": _codex, "gemini": _gemini}
_CANCEL_EXIT = {"claude": 0, "codex": 130, "gemini": 130}


# --- modes ----------------------------------------------------------------------------------


def _replay(path: Path) -> None:
    delay = float(_env("DELAY", "0") or 0)
    limit = int(_env("TRUNCATE", "0") or 0)
    keep_comments = _env("KEEP_COMMENTS") == "1"
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":  # --output-format json: one document, printed as recorded
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    printed = 0
    for line in text.splitlines():
        if not keep_comments and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if limit and printed >= limit:
            break
        if printed and delay:
            time.sleep(delay)
        _print(line)
        printed += 1


def _on_sigint(cli: str, inv: Invocation, sid: str) -> None:
    def handler(signum: int, frame: object) -> None:
        for obj in _GENERATORS[cli]("cancelled", inv, sid):
            _print(obj)
        os._exit(_CANCEL_EXIT[cli])

    ignored = {s.strip().upper() for s in _env("IGNORE_SIGNALS").split(",") if s.strip()}
    signal.signal(signal.SIGINT, signal.SIG_IGN if "INT" in ignored else handler)
    if "TERM" in ignored:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main(cli: str, args: list[str]) -> int:
    inv = parse(cli, args)
    if inv.error:
        sys.stderr.write(inv.error + "\n")
        return 1 if cli != "codex" else 2
    stdin_text = None
    if inv.prompt in (None, "-") and not sys.stdin.isatty():
        stdin_text = sys.stdin.read()
        inv.prompt = stdin_text
    sid = inv.session_id or str(uuid.uuid4())
    record: dict[str, Any] = {
        "argv": [cli, *args],
        "prompt": inv.prompt,
        "stdin": stdin_text,
        "session_id": inv.session_id,
        "pid": os.getpid(),
    }
    if _env("CHILD") == "1":  # a grandchild in the same process group, for cancel tests
        child = subprocess.Popen(["sleep", "600"])
        record["child_pid"] = child.pid
    if _env("ARGV_FILE"):
        Path(_env("ARGV_FILE")).write_text(json.dumps(record), encoding="utf-8")
    _on_sigint(cli, inv, sid)
    generate = _GENERATORS[cli]
    mode = _env("MODE", "replay" if _env("SAMPLE") else "echo")
    if mode == "replay":
        _replay(Path(_env("SAMPLE")))
        time.sleep(float(_env("HANG", "0") or 0))  # a run stuck in its last step (a long tool)
    elif mode == "prompt-sample":  # one agent replays a different sample per command
        _replay(Path((inv.prompt or "").strip().split("\n", 1)[0]))
    elif mode == "usage-forever":
        step = int(_env("USAGE_STEP", "100") or 100)
        interval = float(_env("INTERVAL", "0.02") or 0.02)
        for obj in generate("start", inv, sid):
            _print(obj)
        n = 0
        while True:
            n += 1
            for obj in generate("tick", inv, sid, n, step):
                _print(obj)
            time.sleep(interval)
    elif mode in ("sleep", "echo"):
        for obj in generate("start", inv, sid):
            _print(obj)
        if mode == "sleep":
            time.sleep(float(_env("SLEEP", "60") or 60))
        for obj in generate("end", inv, sid):
            _print(obj)
    else:
        sys.stderr.write(f"standin: unknown ONSEMBL_STANDIN_MODE {mode!r}\n")
        return 2
    if _env("STDERR"):
        sys.stderr.write(_env("STDERR") + "\n")
    return int(_env("EXIT", "0") or 0)
