"""Codex CLI: ``codex exec --json [ARGS] PROMPT`` and ``codex exec --json [ARGS] resume ID PROMPT``.

Tokens are only in ``turn.completed``. Current builds report the *thread's* running total there,
so after ``exec resume`` the figure includes earlier commands' tokens: the adapter remembers each
thread's last total and the parser subtracts it, giving this command's own usage (a figure
smaller than the remembered one means a build that reports per turn, and is taken as it is).
``input_tokens`` includes cached input; ``output_tokens`` includes reasoning tokens.

Cost: Codex reports none; it is estimated from the price table (:mod:`onsembl_desktop.pricing`)
for the model its command line or configuration names (Codex does not print it), and marked so.

Tree: one LLM_PROMPT per turn with its RESPONSE (agent messages, reasoning as thinking) and a
TOOL_CALL per command, file change, MCP call, web search or collab call, paired by item id. The
legacy format of codex ≤ 0.4x (``{"id", "msg": {...}}`` events) is read as well.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from typing import Any

import msgspec

from ... import pricing
from ...protocol import messages as m
from ...protocol.enums import AgentType, CommandStatus, TraceType
from ._json import JsonObj, as_dict, as_int, as_list, as_str, opt_int, opt_str, to_text
from ._launch import CliAdapter
from ._parser import CliParser, Turn, Verdict, usage_of
from ._render import MARK_DONE, MARK_OPEN, MARK_TOOL
from ._trace import Node, cap, cap_json
from .base import LaunchSpec

TOOL_ITEMS = frozenset(
    {"command_execution", "file_change", "mcp_tool_call", "web_search", "collab_tool_call"}
)
_ZERO = m.Usage()


def readable_error(message: str) -> str:
    """An upstream API error embedded as JSON, made readable: its message, type and status."""
    try:
        data = json.loads(message)
    except (ValueError, RecursionError):
        return message
    error = as_dict(as_dict(data).get("error"))
    inner = as_str(error.get("message"))
    if not inner:
        return message
    details = [as_str(error.get("type"))]
    status = opt_int(as_dict(data).get("status"))
    if status is not None:
        details.append(f"HTTP {status}")
    extra = ", ".join(d for d in details if d)
    return f"{inner} ({extra})" if extra else inner


def _minus(total: m.Usage, base: m.Usage) -> m.Usage:
    fields = ("input_tokens", "output_tokens", "cached_tokens")
    if any(getattr(total, f) < getattr(base, f) for f in fields):
        return total  # not cumulative after all (older builds report each turn alone)
    return usage_of(
        total.input_tokens - base.input_tokens,
        total.output_tokens - base.output_tokens,
        total.cached_tokens - base.cached_tokens,
    )


def _tool_view(item_type: str, item: JsonObj) -> tuple[str, Any]:
    """The tool name and arguments of a tool item."""
    if item_type == "command_execution":
        return "shell", {"command": as_str(item.get("command"))}
    if item_type == "file_change":
        changes = [as_dict(c) for c in as_list(item.get("changes"))]
        paths = ", ".join(f"{as_str(c.get('kind'))} {as_str(c.get('path'))}" for c in changes)
        return "apply_patch", {"description": paths, "changes": changes}
    if item_type == "mcp_tool_call":
        name = f"{as_str(item.get('server'), 'mcp')}.{as_str(item.get('tool'), 'tool')}"
        return name, item.get("arguments")
    if item_type == "web_search":
        return "web_search", {"query": as_str(item.get("query")), "action": item.get("action")}
    return f"collab.{as_str(item.get('tool'), 'call')}", {
        "prompt": item.get("prompt"),
        "receiver_thread_ids": item.get("receiver_thread_ids"),
    }


def _tool_outcome(item_type: str, item: JsonObj) -> tuple[str, str | None]:
    """The result text of a completed tool item and its error, if it failed."""
    status = as_str(item.get("status"))
    failed = status in ("failed", "declined")
    if item_type == "command_execution":
        code = opt_int(item.get("exit_code"))
        error = f"exit code {code}" if code not in (0, None) else (status if failed else None)
        return as_str(item.get("aggregated_output")), error
    if item_type == "file_change":
        changes = [as_dict(c) for c in as_list(item.get("changes"))]
        text = "\n".join(f"{as_str(c.get('kind'))} {as_str(c.get('path'))}" for c in changes)
        return text, status if failed else None
    if item_type == "mcp_tool_call":
        error_text = as_str(as_dict(item.get("error")).get("message")) or None
        result = as_dict(item.get("result"))
        blocks = [as_str(as_dict(b).get("text")) for b in as_list(result.get("content"))]
        text = "\n".join(b for b in blocks if b) or to_text(result.get("structured_content"))
        return text or (error_text or ""), error_text or (status if failed else None)
    if item_type == "web_search":
        results = [as_dict(r) for r in as_list(item.get("results"))]
        lines = [
            " — ".join(x for x in (as_str(r.get("title")), as_str(r.get("url"))) if x)
            for r in results
        ]
        text = "\n".join(line for line in lines if line) or f"searched: {as_str(item.get('query'))}"
        return text, status if failed else None
    states = as_dict(item.get("agents_states"))
    text = "\n".join(f"{k}: {as_str(as_dict(v).get('status'))}" for k, v in states.items())
    return text, status if failed else None


class CodexParser(CliParser):
    cli = "codex"

    def setup(self) -> None:
        # Thread id → its last reported running total; shared by the adapter across commands.
        self.thread_totals: dict[str, m.Usage] = {}
        self._baselines: dict[str, m.Usage] = {}
        self._thread: str | None = None
        self._run = 0  # thread.started count: item ids restart at item_0 in every process
        self._turn: Turn | None = None
        self._turn_count = 0
        self._tools: dict[str, Node] = {}
        self._announced: set[str] = set()  # tool calls already shown in the transcript
        self._terminal: str | None = None  # "completed" or "failed"
        self._failure: str | None = None
        self._last_error: str | None = None
        self.configured_model: str | None = None  # set by the adapter (Codex never prints it)

    def handle(self, event: JsonObj) -> None:
        kind = event.get("type")
        if kind is None:
            self._legacy(event)
        elif kind == "thread.started":
            self._thread_started(as_str(event.get("thread_id")))
        elif kind == "turn.started":
            self._new_turn()
        elif kind in ("item.started", "item.updated", "item.completed"):
            self._item(kind, as_dict(event.get("item")))
        elif kind == "turn.completed":
            self._turn_completed(as_dict(event.get("usage")))
        elif kind == "turn.failed":
            message = readable_error(as_str(as_dict(event.get("error")).get("message"), "failed"))
            self._terminal, self._failure = "failed", message
            if message != self._last_error:  # (Codex prints the final error twice)
                self.out.error(message)
            self.notice(None)
            self._end_turn(error=message)
        elif kind == "error":
            message = readable_error(as_str(event.get("message")))
            if message.startswith("Reconnecting"):
                self.out.warning(f"↻ {message}")
                self.notice(f"retrying: {message}")
            else:
                self.out.error(message)
                self._last_error = message

    # --- current format --------------------------------------------------------------------------

    def _thread_started(self, thread_id: str) -> None:
        self._run += 1
        if thread_id:
            self._thread = thread_id
            self.announce_session(thread_id)
            self._baselines.setdefault(thread_id, self.thread_totals.get(thread_id, _ZERO))
        self.out.note(f"{MARK_TOOL} codex · thread {thread_id or '?'}")

    def _new_turn(self) -> Turn:
        self._end_turn()
        self._turn_count += 1
        prompt = self.request.content if self._turn_count == 1 else None
        self._turn = self.open_turn(
            f"{self._run}:{self._turn_count}",
            self.root,
            f"{self.model or 'codex'} turn {self._turn_count}",
            at=None,
            content={"model": self.model, "prompt": cap(prompt) if prompt else None},
        )
        return self._turn

    def _current_turn(self) -> Turn:
        return self._turn if self._turn is not None else self._new_turn()

    def _end_turn(self, error: str | None = None) -> None:
        if self._turn is not None:
            if error:
                self._turn.node.error = error
            self.close_turn(self._turn, at=self.now())
            self._turn = None

    def _item(self, kind: str, item: JsonObj) -> None:
        item_type = as_str(item.get("type"))
        self.notice(None)  # the model answered: no longer retrying
        completed = kind == "item.completed"
        if item_type in TOOL_ITEMS:
            key = f"{self._run}:{as_str(item.get('id')) or self.anonymous_id()}"
            self._tool(key, item_type, item, completed)
        elif item_type == "agent_message" and completed:
            self._says(text=as_str(item.get("text")))
        elif item_type == "reasoning" and completed:
            self._says(thinking=as_str(item.get("text")))
        elif item_type == "error":
            self.out.warning(as_str(item.get("message")))
        elif item_type == "todo_list":
            for entry in as_list(item.get("items")):
                entry = as_dict(entry)
                mark = MARK_DONE if entry.get("completed") is True else MARK_OPEN
                self.out.note(f"{mark} {as_str(entry.get('text'))}")

    def _says(self, *, text: str = "", thinking: str = "") -> None:
        turn = self._current_turn()
        if text:
            self.out.text(text)
            self.out.end_text()
            self.add_answer(text)
            self.final_text = text  # the last agent message is the answer
        if thinking:
            self.out.thinking(thinking)
        self.turn_says(turn, text=text, thinking=thinking, at=self.now())

    def _tool(self, key: str, item_type: str, item: JsonObj, completed: bool) -> None:
        name, args = _tool_view(item_type, item)
        # A web search starts with an empty query: announce it once there is something to show.
        announce = completed or item_type != "web_search" or bool(item.get("query"))
        node = self._open_tool(key, name, args, announce=announce)
        if node is None:
            return
        node.content["args"] = cap_json(args)  # updates complete what the start left empty
        if announce and key not in self._announced:
            self._announced.add(key)
            self.out.tool_call(name, args)
        if completed:
            result, error = _tool_outcome(item_type, item)
            self._close_tool(node, result, error)
        else:
            self.tree.send(node)

    def _open_tool(self, key: str, name: str, args: Any, *, announce: bool = True) -> Node | None:
        node = self._tools.get(key)
        if node is not None:
            return node if node.is_open else None
        node = self.tree.open(
            f"tool:{key}",
            self._current_turn().node,
            TraceType.TOOL_CALL,
            name,
            content={"tool": name, "args": cap_json(args), "result": None},
        )
        self._tools[key] = node
        if announce:
            self._announced.add(key)
            self.out.tool_call(name, args)
        return node

    def _close_tool(self, node: Node, result: str, error: str | None) -> None:
        node.content["result"] = cap(result)
        node.content["is_error"] = error is not None
        self.out.tool_result(result if result or not error else error, error=error is not None)
        self.tree.close(node, at=self.now(), error=error)

    def _turn_completed(self, raw: JsonObj) -> None:
        total = usage_of(
            as_int(raw.get("input_tokens")),
            as_int(raw.get("output_tokens")),
            as_int(raw.get("cached_input_tokens")),
        )
        thread = self._thread or ""
        usage = _minus(total, self._baselines.get(thread, _ZERO))
        if thread:
            self.thread_totals[thread] = total
        turn = self._current_turn()
        before = self.usage.total_tokens if self.usage is not None else 0
        turn.node.own_tokens = max(0, usage.total_tokens - before)
        self.emit_usage(self._priced(usage))
        self._terminal = "completed"
        self._end_turn()

    def _priced(self, usage: m.Usage) -> m.Usage:
        """The usage with its cost estimated from the price table, when the model is known."""
        model = self.configured_model
        if model is None:
            return usage
        self.set_model(model)
        estimate = pricing.estimate(
            "openai",
            model,
            input_tokens=usage.input_tokens,
            cached_tokens=usage.cached_tokens,
            output_tokens=usage.output_tokens,
        )
        if estimate is None:
            return usage
        self.root.content["cost_source"] = estimate.source
        return msgspec.structs.replace(
            usage, cost_usd=estimate.cost_usd, cost_source=estimate.source
        )

    # --- legacy format (codex ≤ 0.4x) --------------------------------------------------------

    def _legacy(self, event: JsonObj) -> None:
        msg = event.get("msg")
        if not isinstance(msg, dict):
            if isinstance(event.get("model"), str):  # the config summary line
                self.set_model(as_str(event.get("model")))
                self.out.note(f"{MARK_TOOL} codex · {self.model}")
            return
        kind = msg.get("type")
        if kind == "task_started":
            self._new_turn()
        elif kind == "agent_message":
            self._says(text=as_str(msg.get("message")))
        elif kind == "agent_reasoning":
            self._says(thinking=as_str(msg.get("text")))
        elif kind in ("exec_command_begin", "patch_apply_begin", "mcp_tool_call_begin"):
            name, args = self._legacy_call(kind, msg)
            self._open_tool(f"legacy:{as_str(msg.get('call_id'))}", name, args)
        elif kind in ("exec_command_end", "patch_apply_end", "mcp_tool_call_end"):
            self._legacy_end(kind, msg)
        elif kind == "token_count":
            info = as_dict(msg.get("info"))
            raw = as_dict(info.get("total_token_usage")) if info else msg
            self._legacy_usage(raw)
        elif kind == "task_complete":
            last = opt_str(msg.get("last_agent_message"))
            if last and last != self.final_text:
                self._says(text=last)
            self._terminal = "completed"
            self._end_turn()
        elif kind in ("error", "turn_aborted"):
            message = as_str(msg.get("message")) or str(kind)
            self.out.error(message)
            self._last_error = message

    @staticmethod
    def _legacy_call(kind: str, msg: JsonObj) -> tuple[str, Any]:
        if kind == "exec_command_begin":
            command = msg.get("command")
            if isinstance(command, list):
                command = shlex.join(str(part) for part in command)
            return "shell", {"command": to_text(command), "cwd": msg.get("cwd")}
        if kind == "patch_apply_begin":
            changes = as_dict(msg.get("changes"))
            paths = ", ".join(f"{next(iter(as_dict(v)), 'change')} {k}" for k, v in changes.items())
            return "apply_patch", {"description": paths, "changes": changes}
        invocation = as_dict(msg.get("invocation"))
        name = f"{as_str(invocation.get('server'), 'mcp')}.{as_str(invocation.get('tool'))}"
        return name, invocation.get("arguments")

    def _legacy_end(self, kind: str, msg: JsonObj) -> None:
        node = self._tools.get(f"legacy:{as_str(msg.get('call_id'))}")
        if node is None or not node.is_open:
            return
        error: str | None = None
        if kind == "exec_command_end":
            result = as_str(msg.get("aggregated_output")) or (
                as_str(msg.get("stdout")) + as_str(msg.get("stderr"))
            )
            code = opt_int(msg.get("exit_code"))
            error = f"exit code {code}" if code not in (0, None) else None
        elif kind == "patch_apply_end":
            result = as_str(msg.get("stdout")) + as_str(msg.get("stderr"))
            error = None if msg.get("success") is not False else "patch failed"
        else:
            outcome = as_dict(msg.get("result"))
            result = to_text(outcome.get("Ok", outcome))
            error = to_text(outcome["Err"]) if "Err" in outcome else None
        self._close_tool(node, result, error)

    def _legacy_usage(self, raw: JsonObj) -> None:
        usage = usage_of(
            as_int(raw.get("input_tokens")),
            as_int(raw.get("output_tokens")),
            as_int(raw.get("cached_input_tokens")),
        )
        if usage.total_tokens:
            self.emit_usage(usage)

    # --- the end -------------------------------------------------------------------------------

    def verdict(self, exit_code: int | None, stderr_tail: str) -> Verdict:
        if self._terminal == "completed":
            return Verdict(CommandStatus.COMPLETED)
        if self._terminal == "failed":
            return Verdict(CommandStatus.FAILED, self._failure)
        return Verdict(
            CommandStatus.FAILED, self.missing_final(exit_code, stderr_tail, self._last_error)
        )

    def on_finish(self, verdict: Verdict) -> None:
        self._end_turn()


class CodexAdapter(CliAdapter):
    agent_type = AgentType.CODEX
    parser_class = CodexParser

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self._thread_totals: dict[str, m.Usage] = {}  # to count resumed threads per command
        self._configured_model: str | None = None  # config.toml's (cli_probe reads it)
        self._model: str | None = None  # the model of the last launch

    def configure(self, *, model: str | None) -> None:
        self._configured_model = model

    def resume_from(self, session_id: str, usage: m.Usage) -> None:
        """A restarted agent continues thread ``session_id``, on which ``usage`` was counted: the
        thread's running total the next run reports starts from there."""
        self._thread_totals.setdefault(session_id, usage)

    def launch(
        self, request: m.CommandRequest, *, cli: str, extra_args: list[str], session_id: str | None
    ) -> LaunchSpec:
        self._model = model_of(extra_args) or self._configured_model
        return super().launch(request, cli=cli, extra_args=extra_args, session_id=session_id)

    def argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        # exec's own options must precede the `resume` subcommand (only a few are global).
        argv = [cli, "exec", "--json", *extra_args]
        if session_id:
            argv += ["resume", session_id]
        return [*argv, prompt if prompt is not None else "-"]  # "-": read it from stdin

    def interactive_argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        argv = [cli, *extra_args] + (["resume", session_id] if session_id else [])
        return argv + ([prompt] if prompt is not None else [])

    def new_parser(self, request: m.CommandRequest, started_at_ms: int) -> CliParser:
        parser = CodexParser(request, started_at_ms=started_at_ms, clock=self._clock)
        parser.thread_totals = self._thread_totals
        parser.configured_model = self._model
        return parser


def model_of(args: list[str]) -> str | None:
    """The model a Codex command line names: ``-m M``, ``--model M``, ``-c model="M"``."""
    model = None
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else ""
        if arg in ("-m", "--model"):
            model = following or model
        elif arg.startswith("--model="):
            model = arg.split("=", 1)[1] or model
        elif arg in ("-c", "--config") and following.replace(" ", "").startswith("model="):
            model = following.split("=", 1)[1].strip().strip("'\"") or model
    return model


def create() -> CodexAdapter:
    """The factory :func:`~.registry.adapter_for` calls."""
    return CodexAdapter()
