"""Gemini CLI: ``gemini -p PROMPT --output-format stream-json [--resume ID]``.

Tokens are only in ``result.stats``: ``input_tokens`` includes ``cached``, and ``total_tokens``
(when given) also counts thinking tokens, so it is taken as reported rather than recomputed.

The stream has no turn boundaries; a new model turn is inferred when the model speaks or calls a
tool after tool results came back (the model can only act on results in a new request). Its text
comes in ``delta`` pieces, painted as they arrive. ``--output-format json`` (one pretty-printed
object at the end, with ``response``, ``stats.models`` and ``error``) is read too.

The init event names the model ``auto`` (Gemini routes each request); the result's
``stats.models`` says which models answered, so the turns are named after the one that did the
most. Cost: Gemini reports none; it is estimated per model from the price table
(:mod:`onsembl_desktop.pricing`) and marked so.

stderr: Gemini prints whole JavaScript stack traces and object dumps there (about 160 lines for
one API error); the transcript shows each one's first line and how many more it had, the raw
record keeps them all. An untrusted folder ends a headless run at once with exit code 55.
"""

from __future__ import annotations

import json
import re

import msgspec

from ... import pricing
from ...protocol import messages as m
from ...protocol.enums import AgentType, CommandStatus, TraceType
from ...words import plural
from ._json import JsonObj, as_dict, as_int, as_str, iso_to_ms, opt_int, opt_str, to_text
from ._launch import CliAdapter
from ._parser import CliParser, Turn, Verdict, usage_of
from ._render import CRLF, DIM, MARK_TOOL, RESET
from ._trace import Node, cap, cap_json

UNTRUSTED_EXIT = 55
_TRACE_LINE = re.compile(r"^(\s|[\]\[{}()]+,?$)")  # an indented line, or a lone bracket

UNTRUSTED_HINT = (
    "gemini does not trust the agent's working folder (exit 55), and headless it will not ask. "
    "Trust the folder once: run `gemini` in it and accept, or add it to "
    "~/.gemini/trustedFolders.json as TRUST_FOLDER; or start the agent with "
    "--cli-arg=--skip-trust (or GEMINI_CLI_TRUST_WORKSPACE=true in its environment)"
)


def _error_text(error: object, default: str = "") -> str:
    error = as_dict(error)
    message = _api_error(as_str(error.get("message"))) or default
    kind = as_str(error.get("type"))
    if kind in ("Error", "unknown"):
        kind = ""
    return f"{message} ({kind})" if kind and message else message or kind


def _api_error(message: str) -> str:
    """``[API Error: {"error": {"code": 401, "message": …, "status": …}}]`` made readable."""
    start, end = message.find("{"), message.rfind("}")
    if start < 0 or end < start:
        return message
    try:
        data = json.loads(message[start : end + 1])
    except (ValueError, RecursionError):
        return message
    inner = as_dict(as_dict(data).get("error"))
    text = as_str(inner.get("message"))
    if not text:
        return message
    details = [as_str(inner.get("status")), f"HTTP {inner['code']}" if "code" in inner else ""]
    extra = ", ".join(d for d in details if d)
    return f"API error: {text} ({extra})" if extra else f"API error: {text}"


class GeminiParser(CliParser):
    cli = "gemini"

    def setup(self) -> None:
        self._turn: Turn | None = None
        self._turn_count = 0
        self._turn_has_results = False
        self._tools: dict[str, Node] = {}
        self._prompt: str | None = None
        self._verdict: Verdict | None = None
        self._last_error: str | None = None
        self._folded = 0  # stderr lines of the stack trace being folded
        self._in_trace = False

    def handle(self, event: JsonObj) -> None:
        kind = event.get("type")
        at = self.now(iso_to_ms(event.get("timestamp")))
        if kind is None and ("response" in event or "stats" in event or "error" in event):
            self._json_output(event)
        elif kind == "init":
            self.announce_session(opt_str(event.get("session_id")))
            self.set_model(opt_str(event.get("model")))
            session = as_str(event.get("session_id"), "?")
            self.out.note(f"{MARK_TOOL} gemini · {self.model or '?'} · session {session}")
        elif kind == "message":
            self._message(event, at)
        elif kind == "tool_use":
            self._tool_use(event, at)
        elif kind == "tool_result":
            self._tool_result(event, at)
        elif kind == "error":
            message = as_str(event.get("message"))
            if event.get("severity") == "warning":
                self.out.warning(message)
            else:
                self.out.error(message)
                self._last_error = message
        elif kind == "result":
            self._result(event, at)

    def _message(self, event: JsonObj, at: int) -> None:
        content = as_str(event.get("content"))
        if event.get("role") == "user":
            self._prompt = self._prompt or content
            return
        if event.get("role") != "assistant" or not content:
            return
        turn = self._model_turn(at)
        self.out.text(content)
        if event.get("delta") is not True:
            self.out.end_text()
        self.add_answer(content, joiner="")
        self.turn_says(turn, text=content, at=at)

    def _tool_use(self, event: JsonObj, at: int) -> None:
        tool_id = as_str(event.get("tool_id")) or self.anonymous_id()
        if tool_id in self._tools:
            return
        turn = self._model_turn(at)
        name = as_str(event.get("tool_name"), "tool")
        args = event.get("parameters")
        self._tools[tool_id] = self.tree.open(
            f"tool:{tool_id}",
            turn.node,
            TraceType.TOOL_CALL,
            name,
            at=at,
            content={"tool": name, "args": cap_json(args), "result": None, "tool_id": tool_id},
        )
        self.tree.touch(turn.node, at)
        self.out.tool_call(name, args)

    def _tool_result(self, event: JsonObj, at: int) -> None:
        failed = event.get("status") == "error"
        error = _error_text(event.get("error"), "tool failed") if failed else None
        output = event.get("output")
        text = to_text(output) if output is not None else ""
        self.out.tool_result(text or (error or ""), error=failed)
        node = self._tools.get(as_str(event.get("tool_id")))
        if node is None or not node.is_open:
            return
        self._turn_has_results = True
        node.content["result"] = cap(text)
        node.content["is_error"] = failed
        self.tree.close(node, at=at, error=error)

    def _model_turn(self, at: int) -> Turn:
        if self._turn is not None and not self._turn_has_results:
            return self._turn
        self._end_turn()
        self._turn_count += 1
        first = self._turn_count == 1
        prompt = (self._prompt or self.request.content) if first else None
        self._turn = self.open_turn(
            str(self._turn_count),
            self.root,
            f"{self.model or 'gemini'} turn {self._turn_count}",
            at=at,
            content={"model": self.model, "prompt": cap(prompt) if prompt else None},
        )
        self._turn_has_results = False
        return self._turn

    def _end_turn(self) -> None:
        if self._turn is not None:
            self.close_turn(self._turn, at=None, joiner="")
            self._turn = None

    def _result(self, event: JsonObj, at: int) -> None:
        if self._verdict is not None:
            return
        self._end_turn()
        self.out.end_text()
        stats = as_dict(event.get("stats"))
        self.cli_duration_ms = opt_int(stats.get("duration_ms"))
        models = {k: as_dict(v) for k, v in as_dict(stats.get("models")).items()}
        self._name_model(models)
        if stats:
            input_tokens = as_int(stats.get("input_tokens"))
            output_tokens = as_int(stats.get("output_tokens"))
            total = opt_int(stats.get("total_tokens"))
            usage = usage_of(input_tokens, output_tokens, as_int(stats.get("cached")), total)
            self.emit_usage(self._priced(usage, models))
        if event.get("status") == "success":
            self.final_text = self.answer_text
            self._verdict = Verdict(CommandStatus.COMPLETED)
        else:
            message = _error_text(event.get("error"), "gemini reported an error")
            self.out.error(message)
            self._verdict = Verdict(CommandStatus.FAILED, message)

    def _name_model(self, models: dict[str, JsonObj]) -> None:
        """``auto`` is no model: name the run and its turns after the one that did the most."""
        if not models:
            return
        main = max(models, key=lambda k: as_int(models[k].get("total_tokens")))
        routed = self.model in (None, "auto")
        if routed:
            self.model = None
            self.set_model(main)
        for node in self.root.walk():
            if routed and node.type is TraceType.LLM_PROMPT and node.name.startswith("auto turn"):
                node.name = node.name.replace("auto", main, 1)
                node.content["model"] = main
                self.tree.send(node)
        self.root.content["models"] = sorted(models)
        self.tree.send(self.root)

    def _priced(self, usage: m.Usage, models: dict[str, JsonObj]) -> m.Usage:
        """The cost, estimated per model from the price table (all of them, or none)."""
        total = 0.0
        source = None
        for name, figures in models.items():
            estimate = pricing.estimate(
                "google",
                name,
                input_tokens=as_int(figures.get("input_tokens")),
                cached_tokens=as_int(figures.get("cached")),
                output_tokens=as_int(figures.get("output_tokens")),
            )
            if estimate is None:
                return usage
            total += estimate.cost_usd
            source = estimate.source
        if source is None:
            return usage
        self.root.content["cost_source"] = source
        return msgspec.structs.replace(usage, cost_usd=total, cost_source=source)

    # --- stderr --------------------------------------------------------------------------------

    def stderr_text(self, line: str) -> str:
        """A stack trace or object dump shows as its first line; its other lines are counted
        and said once it ends."""
        if self._in_trace and _TRACE_LINE.match(line):
            self._folded += 1
            return ""
        text = self.stderr_done() + super().stderr_text(line)
        self._in_trace = bool(line.strip())
        return text

    def stderr_done(self) -> str:
        folded, self._folded = self._folded, 0
        self._in_trace = False
        if not folded:
            return ""
        more = plural(folded, "more line")
        return f"{DIM}  … {more} of trace (kept in the raw record){RESET}{CRLF}"

    def _json_output(self, doc: JsonObj) -> None:
        """``--output-format json``: the whole run in one object; no per-call records."""
        self.announce_session(opt_str(doc.get("session_id")))
        stats = as_dict(doc.get("stats"))
        models = {
            k: as_dict(as_dict(v).get("tokens")) for k, v in as_dict(stats.get("models")).items()
        }
        if models:
            self.set_model(next(iter(models)))
            self.emit_usage(
                usage_of(
                    sum(as_int(t.get("prompt")) for t in models.values()),
                    sum(as_int(t.get("candidates")) for t in models.values()),
                    sum(as_int(t.get("cached")) for t in models.values()),
                    sum(as_int(t.get("total")) for t in models.values()),
                )
            )
        for name, tool in as_dict(as_dict(stats.get("tools")).get("byName")).items():
            calls = plural(as_int(as_dict(tool).get("count")), "call")
            self.out.note(f"{MARK_TOOL} {name}: {calls}")
        response = as_str(doc.get("response"))
        if response:
            turn = self._model_turn(self.now())
            self.out.text(response)
            self.out.end_text()
            self.add_answer(response)
            self.turn_says(turn, text=response, at=self.now())
            self._end_turn()
        if isinstance(doc.get("error"), dict):
            message = _error_text(doc.get("error"), "gemini reported an error")
            self.out.error(message)
            self._verdict = Verdict(CommandStatus.FAILED, message)
        else:
            self.final_text = response
            self._verdict = Verdict(CommandStatus.COMPLETED)

    def verdict(self, exit_code: int | None, stderr_tail: str) -> Verdict:
        if self._verdict is not None:
            return self._verdict
        if exit_code == UNTRUSTED_EXIT or "not running in a trusted directory" in stderr_tail:
            self.out.error(UNTRUSTED_HINT)
            return Verdict(CommandStatus.FAILED, UNTRUSTED_HINT)
        return Verdict(
            CommandStatus.FAILED, self.missing_final(exit_code, stderr_tail, self._last_error)
        )

    def on_finish(self, verdict: Verdict) -> None:
        self._end_turn()


class GeminiAdapter(CliAdapter):
    agent_type = AgentType.GEMINI
    parser_class = GeminiParser

    def argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        # Without -p, Gemini reads the prompt from its piped stdin.
        argv = [cli] + (["-p", prompt] if prompt is not None else [])
        argv += ["--output-format", "stream-json"]
        if session_id:
            argv += ["--resume", session_id]
        return argv + extra_args

    def interactive_argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        argv = [cli, *extra_args] + (["--resume", session_id] if session_id else [])
        return argv + (["--prompt-interactive", prompt] if prompt is not None else [])


def create() -> GeminiAdapter:
    """The factory :func:`~.registry.adapter_for` calls."""
    return GeminiAdapter()
