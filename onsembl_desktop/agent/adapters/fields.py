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

_I = "id,type"
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

# Read on 2026-12-08 in the output of Claude Code 2.1.197 and 2.1.337, Codex 0.171.0 and Gemini
# CLI 0.61.0 (tests/realcli), and knowingly left alone: timings, feature flags, the session's
# environment, finer splits of figures the adapters already count.
_CLAUDE_ENV = (
    "additional_directories agents analytics_disabled apiKeySource capabilities "
    "fast_mode_disabled_reason fast_mode_state mcp_servers memory_paths messaging_socket_path "
    "original_cwd output_style per_turn_effort_active permissionMode plugins "
    "product_feedback_disabled sandbox_enabled served_by_anthropic skills slash_commands "
    "terminal_slash_commands ultrathink_available ultrathink_typed_raises view_mode written_at"
)
_MODEL_MORE = (
    "cacheCreationEphemeral1hInputTokens,cacheCreationEphemeral5mInputTokens,canonicalModel,"
    "contextWindow,costBasis,maxOutputTokens,provider,thinkingTokens,webSearchRequests"
)
_USAGE_MORE = (
    "cache_creation,fallback_credit,inference_geo,iterations,output_tokens_details,"
    "server_tool_use,service_tier,speed"
)
_REVIEWED = {
    "claude": _table(
        {
            "system/init": _CLAUDE_ENV,
            "system/status": f"{_C} status written_at",
            "system/api_retry": "written_at",
            "assistant": "request_id is_api_error_message api_error_status api_error_type "
            "message.{container,context_management,diagnostics,stop_details,stop_reason,"
            f"stop_sequence}} message.usage.{{{_USAGE_MORE}}}",
            "user": "tool_result_meta",
            "result": "api_error_type begun_message_ids duration_api_ms fast_mode_disabled_reason "
            "fast_mode_state first_content_frame_ms queued_turn_count result_index safety_stops "
            "stop_reason subagent_stats terminal_reason time_to_request_ms ttft_ms ttft_stream_ms "
            f"written_at usage.{{{_USAGE_MORE}}} modelUsage.*.{{{_MODEL_MORE}}} "
            f"model_usage_since_last_result.*.{{{_MODEL_MORE}}}",
            **{
                f"stream_event/{kind}": "api_message_id"
                for kind in (
                    "content_block_delta",
                    "content_block_start",
                    "content_block_stop",
                    "message_delta",
                    "message_stop",
                )
            },
            "stream_event/message_start": "api_message_id thinking_display ttft_ms",
        }
    ),
    "codex": _table({"turn.completed": "usage.{cache_write_input_tokens,reasoning_output_tokens}"}),
    "gemini": _table(
        {"result": "error.{message,type} stats.{input,tool_calls} stats.models.*.input"}
    ),
}


def _merge(*tables: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for table in tables:
        for key, names in table.items():
            out[key] = out.get(key, frozenset()) | names
    return out


TABLES = {
    "claude": _merge(CLAUDE, _REVIEWED["claude"]),
    "codex": _merge(CODEX, _REVIEWED["codex"]),
    "gemini": _merge(GEMINI, _REVIEWED["gemini"]),
}

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
    descend = _DESCEND.get(cli, ())
    maps = {c.removesuffix(".*") for c in descend if c.endswith(".*")}  # keys are data
    paths = set(event)
    for container in descend:
        for prefix, value in _resolve(event, container.split(".")):
            if isinstance(value, dict):
                if prefix in maps:
                    paths.add(f"{prefix}.*")
                else:
                    paths.update(f"{prefix}.{k}" for k in value)
    return paths


def known_event(cli: str, key: str) -> bool:
    return key in TABLES.get(cli, {})


def unknown_fields(cli: str, event: dict[str, Any]) -> tuple[str, list[str]]:
    """The event's key and the fields of it the tables do not know (all of them for a new
    event type)."""
    key = event_key(cli, event)
    known = TABLES.get(cli, {}).get(key, frozenset())
    return key, sorted(p for p in field_paths(cli, event) if p not in known)


def _resolve(value: Any, parts: list[str], prefix: str = "") -> list[tuple[str, Any]]:
    """The values at a container path, each with its path (a map's keys written ``*``)."""
    if not parts:
        return [(prefix, value)]
    if not isinstance(value, dict):
        return []
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [hit for v in value.values() for hit in _resolve(v, rest, f"{prefix}.*")]
    if head not in value:
        return []
    return _resolve(value[head], rest, f"{prefix}.{head}".lstrip("."))
