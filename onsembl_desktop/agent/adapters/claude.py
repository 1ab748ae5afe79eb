"""Claude Code: ``claude -p PROMPT --output-format stream-json --verbose --include-partial-messages
[--resume ID]``.

Tokens: each API message's usage arrives on every ``assistant`` event of that message, but only
as the early snapshot of the stream's start (output 1); the partial messages' ``message_delta``
has the message's final figures, so the running count and each turn's tokens de-duplicate by
message id and keep the largest. The ``result`` event has the run's final figures: on versions
that print ``model_usage_since_last_result`` (2.1.3xx), ``modelUsage`` and ``total_cost_usd`` are
the *session's* totals after ``--resume`` and that field holds this run's own, so it is used
(with its ``costUSD``); else ``modelUsage`` summed over all models (it covers sub-agents and
helper models, as ``total_cost_usd`` does), else ``usage``. Input counts include cache reads and
cache writes; ``cached`` is the cache reads.

Text streams into the transcript as the partial messages bring it; the ``assistant`` event that
completes a text block then only ends the line. ``system/api_retry`` (the CLI retrying a failed
API call) is shown as it happens, and as the agent's notice while it waits.

Tree: every API message is a model turn (LLM_PROMPT) under the session root, or under the
Task/Agent TOOL_CALL whose id its event names as ``parent_tool_use_id`` (a sub-agent).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...protocol import messages as m
from ...protocol.enums import AgentType, CommandStatus, TraceType
from ._json import (
    JsonObj,
    as_dict,
    as_int,
    as_list,
    as_str,
    iso_to_ms,
    opt_float,
    opt_int,
    opt_str,
    to_text,
)
from ._launch import CliAdapter
from ._parser import CliParser, Turn, Verdict, usage_of
from ._render import DIM, MARK_NEST, MARK_SUB, MARK_TOOL, RESET, one_line, summarize_args
from ._trace import Node, cap, cap_json


@dataclass(slots=True)
class _MessageUsage:
    input: int = 0
    cache_write: int = 0
    cache_read: int = 0
    output: int = 0

    def grow(self, usage: JsonObj) -> None:
        self.input = max(self.input, as_int(usage.get("input_tokens")))
        self.cache_write = max(self.cache_write, as_int(usage.get("cache_creation_input_tokens")))
        self.cache_read = max(self.cache_read, as_int(usage.get("cache_read_input_tokens")))
        self.output = max(self.output, as_int(usage.get("output_tokens")))

    @property
    def total(self) -> int:
        return self.input + self.cache_write + self.cache_read + self.output


def result_text(content: object) -> str:
    """A tool_result's content: a string, or a list of text/image blocks."""
    if isinstance(content, str):
        return content
    parts = []
    for block in as_list(content):
        block = as_dict(block)
        if block.get("type") == "text":
            parts.append(as_str(block.get("text")))
        elif block:
            parts.append(f"[{as_str(block.get('type'), 'block')}]")
    return "\n".join(parts) if parts else to_text(content)


class ClaudeParser(CliParser):
    cli = "claude"

    def setup(self) -> None:
        self._turns: dict[str | None, Turn] = {}  # the open turn of each context
        self._turn_count = 0
        self._tools: dict[str, Node] = {}
        self._depth: dict[str, int] = {}  # sub-agent nesting depth of each tool call's context
        self._messages: dict[str, _MessageUsage] = {}
        self._streaming: dict[str | None, str] = {}  # context → message id of stream_events
        self._prompts: dict[str | None, str] = {}  # sub-agent prompts awaiting their first turn
        self._result: JsonObj | None = None
        self._last_text: str | None = None
        self._cli_error: str | None = None
        self._live: dict[str | None, str] = {}  # context → text of the block streaming now
        self._retrying = False

    # --- events ------------------------------------------------------------------------------

    def handle(self, event: JsonObj) -> None:
        kind = event.get("type")
        context = opt_str(event.get("parent_tool_use_id"))
        at = self.now(iso_to_ms(event.get("timestamp")))
        if kind == "system":
            self._system(event, context)
        elif kind == "assistant":
            self._assistant(event, context, at)
        elif kind == "user":
            self._user(event, context, at)
        elif kind == "result":
            self._on_result(event)
        elif kind == "stream_event":
            self._stream_event(event, context)
        elif kind == "rate_limit_event":
            info = as_dict(event.get("rate_limit_info"))
            status = as_str(info.get("status"), "allowed")
            if status != "allowed":
                kind_of = as_str(info.get("rateLimitType"), "rate")
                self.out.warning(f"rate limit ({kind_of}): {status}")
        if self.session_id is None:
            self.announce_session(opt_str(event.get("session_id")))

    def _system(self, event: JsonObj, context: str | None) -> None:
        subtype = event.get("subtype")
        if subtype == "init":
            self.announce_session(opt_str(event.get("session_id")))
            model = opt_str(event.get("model"))
            self.set_model(model)
            version = as_str(event.get("claude_code_version"))
            self.announce_version(version)
            head = " · ".join(x for x in (f"claude {version}".strip(), model) if x)
            self.out.note(f"{MARK_TOOL} {head} · session {as_str(event.get('session_id'), '?')}")
        elif subtype == "compact_boundary":
            trigger = as_str(as_dict(event.get("compact_metadata")).get("trigger"), "auto")
            self.out.note(f"{MARK_TOOL} context compacted ({trigger})")
        elif subtype in ("task_started", "task_notification"):
            self._task(event, subtype == "task_started")
        elif subtype == "api_retry":
            self._api_retry(event, context)

    def _api_retry(self, event: JsonObj, context: str | None) -> None:
        """The CLI retries a failed API call: say so now (it may wait minutes in all)."""
        status = opt_int(event.get("error_status"))
        error = as_str(event.get("error")).replace("_", " ")
        what = f"API error {status}" if status is not None else "API connection error"
        if error:
            what += f" ({error})"
        attempt = as_int(event.get("attempt"))
        limit = as_int(event.get("max_retries"))
        delay = (opt_float(event.get("retry_delay_ms")) or 0.0) / 1000
        text = f"{what}: retry {attempt} of {limit} in {delay:.1f} s"
        self.out.warning(f"↻ {text}", indent=self._indent(context))
        self._retrying = True
        self.notice(f"retrying: {text}")

    def _retry_over(self) -> None:
        if self._retrying:
            self._retrying = False
            self.notice(None)

    def _task(self, event: JsonObj, started: bool) -> None:
        tool_id = as_str(event.get("tool_use_id"))
        node = self._tools.get(tool_id)
        indent = self._indent(tool_id if tool_id in self._tools else None)
        if started:
            what = as_str(event.get("description")) or as_str(event.get("subagent_type"))
            self.out.note(f"{MARK_SUB} sub-agent started: {one_line(what)}", indent=indent)
        else:
            status = as_str(event.get("status"), "finished")
            summary = one_line(as_str(event.get("summary")))
            self.out.note(f"{MARK_SUB} sub-agent {status}: {summary}".rstrip(": "), indent=indent)
        if node is not None:
            keys = ("task_id", "subagent_type", "status")
            task: JsonObj = {k: event[k] for k in keys if k in event}
            if "usage" in event:
                task["usage"] = cap_json(event["usage"])
            node.metadata = {**(node.metadata or {}), **task}
            self.tree.send(node)

    def _assistant(self, event: JsonObj, context: str | None, at: int | None) -> None:
        message = as_dict(event.get("message"))
        message_id = opt_str(message.get("id")) or self.anonymous_id()
        model = opt_str(message.get("model"))
        synthetic = model == "<synthetic>"
        error = opt_str(event.get("error"))
        self._retry_over()
        if synthetic and error:
            self._api_error(event, message, context, at)
            return
        if not synthetic:
            self.set_model(model)
        turn = self._turn_for(context, message_id, model, at)
        indent = self._indent(context)
        for block in as_list(message.get("content")):
            block = as_dict(block)
            kind = block.get("type")
            if kind == "text":
                text = as_str(block.get("text"))
                if error:
                    self._cli_error = text or error
                    self.out.error(text or error, indent=indent)
                else:
                    streamed = self._live.pop(context, "")
                    rest = text[len(streamed) :] if text.startswith(streamed) else f"\n{text}"
                    self.out.text(rest, indent=indent)
                    self.out.end_text()
                if context is None:
                    self._last_text = text
                    if not error:
                        self.add_answer(text)
                self.turn_says(turn, text=text, at=at)
            elif kind in ("thinking", "redacted_thinking"):
                thinking = as_str(block.get("thinking"))
                self.out.thinking(thinking, indent=indent)
                self.turn_says(turn, thinking=thinking, at=at)
            elif kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
                self._tool_use(block, turn, context, at)
            elif isinstance(kind, str) and kind.endswith("_tool_result"):
                self._tool_result(block, None, context, at)  # server tools answer in place
        if error and not as_list(message.get("content")):
            self._cli_error = error
            self.out.error(error, indent=indent)
        if not synthetic:
            self._count(message_id, as_dict(message.get("usage")))
        self.tree.touch(turn.node, at)
        self.tree.send(turn.node)

    def _api_error(
        self, event: JsonObj, message: JsonObj, context: str | None, at: int | None
    ) -> None:
        """The API call failed for good: Claude Code prints it as a ``<synthetic>`` message.

        It is the model turn that failed, so its node is a turn of the model asked (not of
        ``<synthetic>``), closed with the error.
        """
        texts = [as_str(as_dict(b).get("text")) for b in as_list(message.get("content"))]
        text = "\n".join(t for t in texts if t) or as_str(event.get("error"))
        status = opt_int(event.get("api_error_status"))
        self._cli_error = text
        if context is None:
            self._last_text = text  # (the result repeats it)
        self.out.error(text, indent=self._indent(context))
        current = self._turns.pop(context, None)
        if current is not None:
            self.close_turn(current, at=None)
        parent = self._tools.get(context, self.root) if context is not None else self.root
        self._turn_count += 1
        key = opt_str(message.get("id")) or self.anonymous_id()
        node = self.tree.open(
            f"turn:{key}",
            parent,
            TraceType.LLM_PROMPT,
            f"{self.model or 'claude'} turn {self._turn_count}",
            at=at,
            content={
                "model": self.model,
                "prompt": cap(self.request.content) if self._turn_count == 1 else None,
                "api_error_status": status,
                "api_error_type": opt_str(event.get("api_error_type")),
            },
        )
        self.tree.close(node, at=at, error=one_line(text, 500) or "API error")

    def _turn_for(
        self, context: str | None, message_id: str, model: str | None, at: int | None
    ) -> Turn:
        current = self._turns.get(context)
        if current is not None and current.key == message_id:
            return current
        if current is not None:
            self.close_turn(current, at=None)
        parent = self._tools.get(context, self.root) if context is not None else self.root
        self._turn_count += 1
        if context is None:
            prompt = self.request.content if self._turn_count == 1 else None
        else:
            prompt = self._prompts.pop(context, None)
        turn = self.open_turn(
            message_id,
            parent,
            f"{model or 'claude'} turn {self._turn_count}",
            at=at,
            content={
                "model": model,
                "message_id": message_id,
                "prompt": cap(prompt) if prompt else None,
                "parent_tool_use_id": context,
            },
        )
        self._turns[context] = turn
        return turn

    def _tool_use(self, block: JsonObj, turn: Turn, context: str | None, at: int | None) -> None:
        tool_id = opt_str(block.get("id")) or self.anonymous_id()
        if tool_id in self._tools:
            return
        name = as_str(block.get("name"), "tool")
        args = block.get("input")
        node = self.tree.open(
            f"tool:{tool_id}",
            turn.node,
            TraceType.TOOL_CALL,
            name,
            at=at,
            content={"tool": name, "args": cap_json(args), "result": None, "tool_use_id": tool_id},
        )
        self._tools[tool_id] = node
        self._depth[tool_id] = self._depth_of(context)
        self.out.tool_call(name, args, indent=self._indent(context))

    def _user(self, event: JsonObj, context: str | None, at: int | None) -> None:
        content = as_dict(event.get("message")).get("content")
        if isinstance(content, str):
            if context is not None:
                self._prompts[context] = content
            return
        for block in as_list(content):
            block = as_dict(block)
            if block.get("type") == "tool_result":
                self._tool_result(block, event, context, at)
            elif block.get("type") == "text" and context is not None:
                text = as_str(block.get("text"))
                self._prompts[context] = text
                self.out.note(f"{MARK_SUB} {one_line(text)}", indent=self._indent(context))

    def _tool_result(
        self, block: JsonObj, event: JsonObj | None, context: str | None, at: int | None
    ) -> None:
        tool_id = as_str(block.get("tool_use_id"))
        is_error = block.get("is_error") is True
        text = result_text(block.get("content"))
        self.out.tool_result(text, error=is_error, indent=self._indent(context))
        node = self._tools.get(tool_id)
        if node is None or not node.is_open:
            return  # a result without its call (an excerpt), or a repeat: shown, not traced
        node.content["result"] = cap(text)
        node.content["is_error"] = is_error
        structured = as_dict(event.get("tool_use_result")) if event is not None else {}
        if "totalTokens" in structured or "usage" in structured:
            task = {"total_tokens": opt_int(structured.get("totalTokens"))}
            node.metadata = {**(node.metadata or {}), **task}
        sub_turn = self._turns.pop(tool_id, None)
        if sub_turn is not None:
            self.close_turn(sub_turn, at=None)
        error = (one_line(text, 500) or "tool error") if is_error else None
        self.tree.close(node, at=at, error=error)

    def _stream_event(self, event: JsonObj, context: str | None) -> None:
        inner = as_dict(event.get("event"))
        kind = inner.get("type")
        if kind == "message_start":
            self._retry_over()
            message = as_dict(inner.get("message"))
            message_id = opt_str(message.get("id"))
            if message_id:
                self._streaming[context] = message_id
                self._count(message_id, as_dict(message.get("usage")))
        elif kind == "message_delta":
            message_id = self._streaming.get(context)
            if message_id:
                self._count(message_id, as_dict(inner.get("usage")))
        elif kind == "content_block_start":
            self._live.pop(context, None)
        elif kind == "content_block_delta":
            delta = as_dict(inner.get("delta"))
            if delta.get("type") == "text_delta":
                piece = as_str(delta.get("text"))
                self._live[context] = self._live.get(context, "") + piece
                self.out.text(piece, indent=self._indent(context))

    def _on_result(self, event: JsonObj) -> None:
        if self._result is not None:
            return  # Claude < 2.1.7 could add a spurious second result; the first one counts
        self._result = event
        self._retry_over()
        for turn in list(self._turns.values()):
            self.close_turn(turn, at=None)
        self._turns.clear()
        self.cli_duration_ms = opt_int(event.get("duration_ms"))
        is_error = event.get("is_error") is True
        text = as_str(event.get("result"))
        if not is_error:
            self.final_text = text
        if text and text != self._last_text:
            if is_error:
                self.out.error(text)
            else:
                self.out.text(text)
                self.out.end_text()
                self.add_answer(text)
        for error in as_list(event.get("errors")):
            self.out.error(to_text(error))
        for denial in as_list(event.get("permission_denials")):
            denial = as_dict(denial)
            name = as_str(denial.get("tool_name"), "tool")
            args = summarize_args(denial.get("tool_input"))
            self.out.warning(f"permission denied: {name}({args})")
        self.root.metadata = {
            **(self.root.metadata or {}),
            "num_turns": event.get("num_turns"),
            "terminal_reason": opt_str(event.get("terminal_reason")),  # (2.1.1xx on)
        }
        self.emit_usage(self._final_usage(event))

    # --- accounting ----------------------------------------------------------------------------

    def _count(self, message_id: str, usage: JsonObj) -> None:
        if not usage:
            return
        figures = self._messages.setdefault(message_id, _MessageUsage())
        figures.grow(usage)
        turn = next((t for t in self._turns.values() if t.key == message_id), None)
        if turn is not None:
            turn.node.own_tokens = figures.total
        if self._result is None:  # after the result only its own figures count
            self.emit_usage(self._running_usage())

    def _running_usage(self) -> m.Usage:
        values = self._messages.values()
        cached = sum(v.cache_read for v in values)
        prompt = sum(v.input + v.cache_write for v in values) + cached
        return usage_of(prompt, sum(v.output for v in values), cached)

    def _final_usage(self, event: JsonObj) -> m.Usage:
        cost = opt_float(event.get("total_cost_usd"))
        per_model = [as_dict(v) for v in as_dict(event.get("modelUsage")).values()]
        since = event.get("model_usage_since_last_result")
        if isinstance(since, dict):
            # This run's own figures (modelUsage and total_cost_usd are the session's).
            per_model = [as_dict(v) for v in since.values()]
            costs = [opt_float(u.get("costUSD")) for u in per_model]
            cost = sum(c for c in costs if c is not None) if per_model else 0.0
            if not per_model:
                return m.Usage(cost_usd=0.0)
        if per_model:
            cached = sum(as_int(u.get("cacheReadInputTokens")) for u in per_model)
            prompt = cached + sum(
                as_int(u.get("inputTokens")) + as_int(u.get("cacheCreationInputTokens"))
                for u in per_model
            )
            output = sum(as_int(u.get("outputTokens")) for u in per_model)
            usage = usage_of(prompt, output, cached)
        elif isinstance(event.get("usage"), dict):
            figures = _MessageUsage()
            figures.grow(as_dict(event.get("usage")))
            usage = usage_of(
                figures.input + figures.cache_write + figures.cache_read,
                figures.output,
                figures.cache_read,
            )
        else:
            usage = self._running_usage()
        return m.Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_tokens=usage.cached_tokens,
            total_tokens=usage.total_tokens,
            cost_usd=cost,
        )

    # --- the end -------------------------------------------------------------------------------

    def verdict(self, exit_code: int | None, stderr_tail: str) -> Verdict:
        result = self._result
        if result is None:
            return Verdict(
                CommandStatus.FAILED, self.missing_final(exit_code, stderr_tail, self._cli_error)
            )
        subtype = as_str(result.get("subtype"), "success")
        if result.get("is_error") is not True and subtype == "success":
            return Verdict(CommandStatus.COMPLETED)
        errors = "; ".join(to_text(e) for e in as_list(result.get("errors")) if e)
        message = as_str(result.get("result")) or errors or self._cli_error
        message = message or f"claude ended with {subtype}"
        status = opt_int(result.get("api_error_status"))
        if status is not None and str(status) not in message:
            message = f"{message} (HTTP {status})"
        return Verdict(CommandStatus.FAILED, message)

    def on_finish(self, verdict: Verdict) -> None:
        for turn in list(self._turns.values()):
            self.close_turn(turn, at=None)
        self._turns.clear()

    # --- helpers -------------------------------------------------------------------------------

    def _depth_of(self, context: str | None) -> int:
        return 0 if context is None else self._depth.get(context, 0) + 1

    def _indent(self, context: str | None) -> str:
        depth = self._depth_of(context)
        return f"{DIM}{(MARK_NEST + ' ') * depth}{RESET}" if depth else ""


class ClaudeAdapter(CliAdapter):
    agent_type = AgentType.CLAUDE
    parser_class = ClaudeParser

    def argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        argv = [cli, "-p"] + ([prompt] if prompt is not None else [])
        # Partial messages: the text as it is written, and each message's final usage.
        argv += ["--output-format", "stream-json", "--verbose", "--include-partial-messages"]
        if session_id:
            argv += ["--resume", session_id]
        return argv + extra_args

    def interactive_argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        argv = [cli, *extra_args] + (["--resume", session_id] if session_id else [])
        return argv + ([prompt] if prompt is not None else [])


def create() -> ClaudeAdapter:
    """The factory :func:`~.registry.adapter_for` calls."""
    return ClaudeAdapter()
