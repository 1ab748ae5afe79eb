"""What the adapters know of each CLI's events: the event types and the fields they read, or
have read and knowingly leave alone. The real-CLI tests compare every event a real CLI prints
with these tables and report the rest (``tests/realcli/inventory.py``), so a new CLI release
that adds an event or a field is noticed; once read, what it means goes here (and into the
adapter if it matters).

An event's key is its type, with its subtype where the CLI has one (``system/init``,
``stream_event/message_delta``, ``item.completed/command_execution``). Fields are paths from the
event (``message.usage.input_tokens``); ``*`` stands for any key of a map (a model's name). Only
the containers listed in ``_DESCEND`` are looked into: tool arguments and results are the tools'
business, not the CLI's format.
"""

from __future__ import annotations

from typing import Any


def _table(spec: dict[str, str]) -> dict[str, frozenset[str]]:
    """``{"event": "a b c.{x y}"}``: ``c.{x y}`` is ``c c.x c.y``."""
    table: dict[str, frozenset[str]] = {}
    for event, text in spec.items():
        names: set[str] = set()
        for word in text.split():
            if ".{" in word:
                head, tail = word.split(".{", 1)
                names.add(head)
                names.update(f"{head}.{t}" for t in tail.rstrip("}").split(","))
            else:
                names.add(word)
        table[event] = frozenset(names)
    return table


_C = "type subtype session_id uuid parent_tool_use_id timestamp"
_USAGE = "input_tokens,output_tokens,cache_creation_input_tokens,cache_read_input_tokens"
_MODEL = "inputTokens,outputTokens,cacheReadInputTokens,cacheCreationInputTokens,costUSD"

CLAUDE = _table(
    {
        "system/init": f"{_C} model claude_code_version cwd tools",
        "system/compact_boundary": f"{_C} compact_metadata",
        "system/task_started": f"{_C} tool_use_id description subagent_type task_id",
        "system/task_notification": f"{_C} tool_use_id status summary task_id usage",
        "system/api_retry": f"{_C} attempt max_retries retry_delay_ms error_status error",
        "assistant": f"{_C} error message.{{id,model,content,usage,role,type}} "
        f"message.usage.{{{_USAGE}}}",
        "user": f"{_C} message.{{role,content}} tool_use_result",
        "result": f"{_C} is_error result duration_ms num_turns total_cost_usd errors "
        f"permission_denials api_error_status usage.{{{_USAGE}}} modelUsage modelUsage.* "
        f"modelUsage.*.{{{_MODEL}}} model_usage_since_last_result model_usage_since_last_result.* "
        f"model_usage_since_last_result.*.{{{_MODEL}}}",
        "rate_limit_event": f"{_C} rate_limit_info.{{status,rateLimitType}}",
        "stream_event/message_start": f"{_C} event.{{type,message}}",
        "stream_event/message_delta": f"{_C} event.{{type,usage,delta}}",
        "stream_event/content_block_start": f"{_C} event.{{type,index,content_block}}",
        "stream_event/content_block_delta": f"{_C} event.{{type,index,delta}}",
        "stream_event/content_block_stop": f"{_C} event.{{type,index}}",
        "stream_event/message_stop": f"{_C} event.{{type}}",
    }
)

_I = "id type"
CODEX = _table(
    {
        "thread.started": "type thread_id",
        "turn.started": "type",
        "turn.completed": "type usage.{input_tokens,cached_input_tokens,output_tokens}",
        "turn.failed": "type error.{message}",
        "error": "type message",
        "item.started/command_execution": f"type item.{{{_I},command,aggregated_output,"
        "exit_code,status}",
        "item.completed/command_execution": f"type item.{{{_I},command,aggregated_output,"
        "exit_code,status}",
        "item.completed/agent_message": f"type item.{{{_I},text}}",
        "item.completed/reasoning": f"type item.{{{_I},text}}",
        "item.completed/error": f"type item.{{{_I},message}}",
        "item.started/file_change": f"type item.{{{_I},changes,status}}",
        "item.completed/file_change": f"type item.{{{_I},changes,status}}",
        "item.started/mcp_tool_call": f"type item.{{{_I},server,tool,arguments,status}}",
        "item.completed/mcp_tool_call": f"type item.{{{_I},server,tool,arguments,result,error,"
        "status}",
        "item.started/web_search": f"type item.{{{_I},query,action}}",
        "item.completed/web_search": f"type item.{{{_I},query,action,results}}",
        "item.started/todo_list": f"type item.{{{_I},items}}",
        "item.updated/todo_list": f"type item.{{{_I},items}}",
        "item.completed/todo_list": f"type item.{{{_I},items}}",
    }
)

_S = "total_tokens,input_tokens,output_tokens,cached,duration_ms"
GEMINI = _table(
    {
        "init": "type timestamp session_id model",
        "message": "type timestamp role content delta",
        "tool_use": "type timestamp tool_name tool_id parameters",
        "tool_result": "type timestamp tool_id status output error",
        "error": "type timestamp severity message",
        "result": f"type timestamp status error stats stats.{{{_S}}} stats.models stats.models.* "
        f"stats.models.*.{{{_S}}}",
    }
)

TABLES = {"claude": CLAUDE, "codex": CODEX, "gemini": GEMINI}

# Containers whose keys are part of the format (looked into); ``*``: a map level.
_DESCEND = {
    "claude": (
        "message",
        "message.usage",
        "usage",
        "modelUsage",
        "modelUsage.*",
        "model_usage_since_last_result",
        "model_usage_since_last_result.*",
        "event",
        "rate_limit_info",
    ),
    "codex": ("item", "usage", "error"),
    "gemini": ("stats", "stats.models", "stats.models.*", "error"),
}


def event_key(cli: str, event: dict[str, Any]) -> str:
    kind = str(event.get("type", "?"))
    if cli == "claude":
        if kind == "stream_event":
            inner = event.get("event")
            return f"stream_event/{inner.get('type') if isinstance(inner, dict) else '?'}"
        subtype = event.get("subtype")
        return f"{kind}/{subtype}" if kind == "system" and subtype else kind
    if cli == "codex" and kind.startswith("item."):
        item = event.get("item")
        return f"{kind}/{item.get('type') if isinstance(item, dict) else '?'}"
    return kind


def field_paths(cli: str, event: dict[str, Any]) -> set[str]:
    paths = set(event)
    for container in _DESCEND.get(cli, ()):
        for prefix, value in _resolve(event, container.split(".")):
            if isinstance(value, dict):
                paths.update(f"{prefix}.{k}" for k in value)
    return {_star_maps(cli, p) for p in paths}


def known_event(cli: str, key: str) -> bool:
    return key in TABLES.get(cli, {})


def unknown_fields(cli: str, event: dict[str, Any]) -> tuple[str, list[str]]:
    """The event's key and the fields of it the tables do not know (all of them for a new
    event type)."""
    key = event_key(cli, event)
    known = TABLES.get(cli, {}).get(key, frozenset())
    return key, sorted(p for p in field_paths(cli, event) if p not in known)


def _resolve(value: Any, parts: list[str], prefix: str = "") -> list[tuple[str, Any]]:
    if not parts:
        return [(prefix, value)]
    if not isinstance(value, dict):
        return []
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [
            hit for k, v in value.items() for hit in _resolve(v, rest, f"{prefix}.{k}".lstrip("."))
        ]
    if head not in value:
        return []
    return _resolve(value[head], rest, f"{prefix}.{head}".lstrip("."))


def _star_maps(cli: str, path: str) -> str:
    """A path through a map names the map's key as ``*`` (``modelUsage.claude-x.costUSD`` →
    ``modelUsage.*.costUSD``)."""
    parts = path.split(".")
    for container in _DESCEND.get(cli, ()):
        if container.endswith(".*"):
            depth = len(container.split(".")) - 1
            head = container.split(".")[:-1]
            if parts[:depth] == head and len(parts) > depth:
                parts[depth] = "*"
    return ".".join(parts)
