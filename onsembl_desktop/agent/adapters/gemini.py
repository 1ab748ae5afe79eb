"""Gemini CLI: ``gemini -p PROMPT --output-format stream-json [--resume ID]``.

Tokens are only in ``result.stats``: ``input_tokens`` includes ``cached``, and ``total_tokens``
(when given) also counts thinking tokens, so it is taken as reported rather than recomputed.

The stream has no turn boundaries; a new model turn is inferred when the model speaks or calls a
tool after tool results came back (the model can only act on results in a new request). Its text
comes in ``delta`` pieces, painted as they arrive. ``--output-format json`` (one pretty-printed
object at the end, with ``response``, ``stats.models`` and ``error``) is read too.
"""

from __future__ import annotations

from ...protocol.enums import AgentType, CommandStatus, TraceType
from ...words import plural
from ._json import JsonObj, as_dict, as_int, as_str, iso_to_ms, opt_int, opt_str, to_text
from ._launch import CliAdapter
from ._parser import CliParser, Turn, Verdict, usage_of
from ._render import MARK_TOOL
from ._trace import Node, cap, cap_json


def _error_text(error: object, default: str = "") -> str:
    error = as_dict(error)
    message = as_str(error.get("message")) or default
    kind = as_str(error.get("type"))
    return f"{message} ({kind})" if kind and kind != "Error" and message else message or kind


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
        if stats:
            input_tokens = as_int(stats.get("input_tokens"))
            output_tokens = as_int(stats.get("output_tokens"))
            total = opt_int(stats.get("total_tokens"))
            self.emit_usage(
                usage_of(input_tokens, output_tokens, as_int(stats.get("cached")), total)
            )
        if event.get("status") == "success":
            self.final_text = self.answer_text
            self._verdict = Verdict(CommandStatus.COMPLETED)
        else:
            message = _error_text(event.get("error"), "gemini reported an error")
            self.out.error(message)
            self._verdict = Verdict(CommandStatus.FAILED, message)

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
