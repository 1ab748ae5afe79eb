"""The recorded CLI samples, a way to run them through an adapter, and what each should give.

Expectations are computed here straight from the sample JSON, independently of the adapters'
code, with the counting rules the adapters document (see ``expect``).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onsembl_desktop.agent.adapters import base
from onsembl_desktop.agent.adapters._launch import CliAdapter
from onsembl_desktop.agent.adapters.claude import ClaudeAdapter
from onsembl_desktop.agent.adapters.codex import CodexAdapter
from onsembl_desktop.agent.adapters.gemini import GeminiAdapter
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus, CommandType, TraceType

# The recorded real output of each CLI (``SOURCES.md`` there gives each file's origin and licence),
# kept with the tests so they run wherever the checkout is; ONSEMBL_AGENT_STREAMS points elsewhere.
STREAMS = Path(
    os.environ.get(
        "ONSEMBL_AGENT_STREAMS", Path(__file__).resolve().parents[1] / "data" / "agent-streams"
    )
)
CLIS = ("claude", "codex", "gemini")
ADAPTERS: dict[str, Callable[..., CliAdapter]] = {
    "claude": ClaudeAdapter,
    "codex": CodexAdapter,
    "gemini": GeminiAdapter,
}
COMMAND_ID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
START_MS = 1_800_000_000_000
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def real_samples() -> list[Path]:
    """Every real sample (``non-real-reference/`` holds illustrations, not acceptance data)."""
    if not STREAMS.is_dir():
        return []
    return sorted(
        path
        for cli in CLIS
        for path in (STREAMS / cli).rglob("*")
        if path.suffix in (".jsonl", ".json") and "non-real-reference" not in path.parts
    )


def cli_of(path: Path) -> str:
    return path.relative_to(STREAMS).parts[0]


def sample_id(path: Path) -> str:
    return str(path.relative_to(STREAMS))


class FakeClock:
    """A monotonic clock that advances 5 ms every time it is read."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        self.t += 0.005
        return self.t


@dataclass
class Run:
    events: list[base.AdapterEvent]
    lines: list[str]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def final(self) -> base.Final:
        return self.of(base.Final)[-1]  # type: ignore[no-any-return]

    @property
    def transcript(self) -> str:
        text = "".join(o.text for o in self.of(base.Output))
        return ANSI.sub("", text).replace("\r\n", "\n")

    @property
    def nodes(self) -> dict[uuid.UUID, m.TraceNode]:
        """Each node's last version."""
        return {t.node.id: t.node for t in self.of(base.Trace)}

    def tool_calls(self) -> list[m.TraceNode]:
        return [n for n in self.nodes.values() if n.type is TraceType.TOOL_CALL]


def request(content: str = "do the thing", kind: CommandType = CommandType.NATURAL) -> Any:
    return m.CommandRequest(command_id=COMMAND_ID, content=content, command_type=kind)


def feed(
    cli: str,
    lines: list[str],
    *,
    exit_code: int | None = 0,
    stderr: str = "",
    adapter: Any = None,
    req: Any = None,
) -> Run:
    adapter = adapter or ADAPTERS[cli](clock=FakeClock())
    parser = adapter.parser(req or request(), started_at_ms=START_MS)
    events: list[base.AdapterEvent] = []
    for line in lines:
        events += parser.feed_line(line)
    events += parser.finish(exit_code, stderr)
    return Run(events, lines)


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# --- expectations ------------------------------------------------------------------------------


@dataclass
class Expected:
    tool_ids: set[str] = field(default_factory=set)  # one per tool use in the sample
    with_result: set[str] = field(default_factory=set)
    usage: tuple[int, int, int, int] | None = None  # input, output, cached, total
    cost: float | None = None
    final_text: str | None = None
    status: CommandStatus = CommandStatus.FAILED
    error: str | None = None  # the CLI's own message, expected inside Final.error
    session_id: str | None = None


def events_of(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(json.loads(line))
    return out


def expect(path: Path) -> Expected:
    return {"claude": _claude, "codex": _codex, "gemini": _gemini}[cli_of(path)](events_of(path))


def _claude(events: list[dict[str, Any]]) -> Expected:
    exp = Expected()
    per_message: dict[str, list[int]] = {}
    streaming: dict[Any, str] = {}

    def count(message_id: str, usage: dict[str, Any]) -> None:
        keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        figures = [usage.get(k, 0) for k in (*keys, "output_tokens")]
        old = per_message.get(message_id, [0, 0, 0, 0])
        per_message[message_id] = [max(a, b) for a, b in zip(old, figures, strict=True)]

    last_text = None
    for ev in events:
        exp.session_id = exp.session_id or ev.get("session_id")
        if ev.get("type") == "assistant":
            message = ev["message"]
            for block in message.get("content", []):
                if block.get("type") == "tool_use":
                    exp.tool_ids.add(block["id"])
                if block.get("type") == "text" and ev.get("parent_tool_use_id") is None:
                    last_text = block["text"]
            if message.get("model") != "<synthetic>" and message.get("usage"):
                count(message["id"], message["usage"])
        elif ev.get("type") == "user" and isinstance(ev["message"]["content"], list):
            for block in ev["message"]["content"]:
                if block.get("type") == "tool_result" and block["tool_use_id"] in exp.tool_ids:
                    exp.with_result.add(block["tool_use_id"])
        elif ev.get("type") == "stream_event":
            inner, context = ev["event"], ev.get("parent_tool_use_id")
            if inner["type"] == "message_start":
                streaming[context] = inner["message"]["id"]
                count(inner["message"]["id"], inner["message"].get("usage", {}))
            elif inner["type"] == "message_delta" and context in streaming:
                count(streaming[context], inner.get("usage", {}))
    result = next((e for e in events if e.get("type") == "result"), None)

    def usage_tuple(rows: list[list[int]]) -> tuple[int, int, int, int]:
        prompt = sum(r[0] + r[1] + r[2] for r in rows)
        output = sum(r[3] for r in rows)
        return prompt, output, sum(r[2] for r in rows), prompt + output

    if per_message:
        exp.usage = usage_tuple(list(per_message.values()))
    if result is None:
        exp.final_text = last_text
        return exp
    exp.cost = result.get("total_cost_usd")
    # 2.1.3xx: modelUsage and total_cost_usd are the session's (after --resume), this field is
    # the run's own.
    own = result.get("model_usage_since_last_result")
    if isinstance(own, dict):
        exp.cost = sum(u.get("costUSD", 0) for u in own.values())
    per_model = own if isinstance(own, dict) else result.get("modelUsage")
    if isinstance(own, dict) and not own:
        exp.usage = (0, 0, 0, 0)
    elif per_model:
        rows = [
            [
                u["inputTokens"],
                u["cacheCreationInputTokens"],
                u["cacheReadInputTokens"],
                u["outputTokens"],
            ]
            for u in per_model.values()
        ]
        exp.usage = usage_tuple(rows)
    elif "usage" in result:
        u = result["usage"]
        keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        exp.usage = usage_tuple([[u.get(k, 0) for k in (*keys, "output_tokens")]])
    elif exp.usage is None:
        exp.usage = (0, 0, 0, 0)
    if result.get("is_error") is not True and result.get("subtype") == "success":
        exp.status = CommandStatus.COMPLETED
        exp.final_text = result.get("result") or None
    else:
        exp.error = result.get("result") or "; ".join(result.get("errors", []))
    return exp


def _embedded_message(message: str) -> str:
    """``[API Error: {"error": {"message": M, …}}]`` → M (what a user needs of it)."""
    start, end = message.find("{"), message.rfind("}")
    if start < 0:
        return message
    try:
        return str(json.loads(message[start : end + 1])["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return message


def _inner_message(message: str) -> str:
    try:
        return str(json.loads(message)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return message


def _codex(events: list[dict[str, Any]]) -> Expected:
    exp = Expected()
    run = 0
    tool_types = {
        "command_execution",
        "file_change",
        "mcp_tool_call",
        "web_search",
        "collab_tool_call",
    }
    last_error = None
    for ev in events:
        kind = ev.get("type")
        msg = ev.get("msg") if kind is None else None
        if kind == "thread.started":
            run += 1
            exp.session_id = ev["thread_id"]
        elif kind in ("item.started", "item.updated", "item.completed"):
            item = ev["item"]
            if item["type"] in tool_types:
                exp.tool_ids.add(f"{run}:{item['id']}")
                if kind == "item.completed":
                    exp.with_result.add(f"{run}:{item['id']}")
            elif item["type"] == "agent_message" and kind == "item.completed":
                exp.final_text = item["text"]
        elif kind == "turn.completed":
            u = ev["usage"]
            exp.usage = (
                u["input_tokens"],
                u["output_tokens"],
                u.get("cached_input_tokens", 0),
                u["input_tokens"] + u["output_tokens"],
            )
            exp.status, exp.error = CommandStatus.COMPLETED, None
        elif kind == "turn.failed":
            exp.status = CommandStatus.FAILED
            exp.error = _inner_message(ev["error"]["message"])
        elif kind == "error":
            last_error = _inner_message(ev["message"])
        elif isinstance(msg, dict):
            call = f"legacy:{msg.get('call_id')}"
            if msg["type"].endswith("_begin"):
                exp.tool_ids.add(call)
            elif msg["type"].endswith("_end") and call in exp.tool_ids:
                exp.with_result.add(call)
            elif msg["type"] == "agent_message":
                exp.final_text = msg["message"]
            elif msg["type"] == "task_complete":
                exp.final_text = msg.get("last_agent_message") or exp.final_text
                exp.status = CommandStatus.COMPLETED
            elif msg["type"] == "error":
                last_error = msg["message"]
    if exp.status is CommandStatus.FAILED and exp.error is None:
        exp.error = last_error
    return exp


def _gemini(events: list[dict[str, Any]]) -> Expected:
    exp = Expected()
    after_tools: list[str] = []
    for ev in events:
        kind = ev.get("type")
        if kind is None:  # --output-format json
            exp.session_id = ev.get("session_id")
            models = [m["tokens"] for m in ev.get("stats", {}).get("models", {}).values()]
            if models:
                exp.usage = (
                    sum(t["prompt"] for t in models),
                    sum(t["candidates"] for t in models),
                    sum(t["cached"] for t in models),
                    sum(t["total"] for t in models),
                )
            if "error" in ev:
                exp.error = ev["error"]["message"]
            else:
                exp.status, exp.final_text = CommandStatus.COMPLETED, ev.get("response")
        elif kind == "init":
            exp.session_id = ev["session_id"]
        elif kind == "tool_use":
            exp.tool_ids.add(ev["tool_id"])
        elif kind == "tool_result":
            if ev["tool_id"] in exp.tool_ids:
                exp.with_result.add(ev["tool_id"])
            after_tools = []
        elif kind == "message" and ev.get("role") == "assistant":
            after_tools.append(ev["content"])
        elif kind == "result":
            stats = ev.get("stats", {})
            inp, out = stats.get("input_tokens", 0), stats.get("output_tokens", 0)
            exp.usage = (inp, out, stats.get("cached", 0), stats.get("total_tokens", inp + out))
            if ev["status"] == "success":
                exp.status = CommandStatus.COMPLETED
            else:
                exp.error = _embedded_message(ev["error"]["message"])
            exp.final_text = "".join(after_tools) or None
    return exp
