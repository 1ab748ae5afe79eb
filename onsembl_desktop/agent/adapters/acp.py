"""Agents that speak the Agent Client Protocol: what they say, as transcript, trace and tokens.

The I/O (the process, JSON-RPC through the ACP SDK, ``fs/*``, ``terminal/*``, permissions) is
``agent/acp_run.py``; it writes one JSON line per thing that happened, which this parser reads
like the other CLIs' stream-json, so the transcript, the trace and the raw record work the same:

* ``{"type": "initialize", "agentInfo": {...}, "loadSession": bool}``
* ``{"type": "session", "sessionId": ..., "loaded": bool}`` (``note``: why it did not resume)
* ``{"type": "update", "update": {"sessionUpdate": ..., ...}}`` — a ``session/update`` as sent
* ``{"type": "permission", "toolCallId": ..., "title": ..., "waiting": bool}`` and
  ``{"type": "approval", "toolCallId": ..., "outcome": ..., "line": ...}``
* ``{"type": "result", "stopReason": ..., "usage": {...} | null}`` — the prompt's answer
* ``{"type": "error", "message": ...}`` — the agent failed (a JSON-RPC error, a dead process)

Model turns: ACP does not mark them. A turn opens with the first message or thought after the
start or after tool calls, and tool calls hang under the turn that made them. Tokens: the prompt
answer's ``usage`` (total, input with cache reads and writes, output, cache reads); cost from
``usage_update.cost`` (the agent's own figure, USD only).
"""

from __future__ import annotations

import difflib

from ...protocol import messages as m
from ...protocol.enums import AgentType, CommandStatus, TraceType
from ._json import JsonObj, as_dict, as_int, as_list, as_str, opt_float, opt_str, to_text
from ._launch import CliAdapter
from ._parser import CliParser, Turn, Verdict, usage_of
from ._render import DIM, MARK_DONE, MARK_ERROR, MARK_OPEN, MARK_TOOL, YELLOW, one_line
from ._trace import Node, cap, cap_json
from .base import LaunchSpec

_STOPS = {
    "refusal": "the agent refused to go on",
    "max_tokens": "the model reached its token limit",
    "max_turn_requests": "the agent reached its limit of model requests for one prompt",
    "cancelled": "the agent cancelled the prompt",
}


def content_text(block: object) -> str:
    """The text of an ACP content block (text, or a resource's text; others by their type)."""
    block = as_dict(block)
    kind = block.get("type")
    if kind == "text":
        return as_str(block.get("text"))
    if kind == "resource":
        return as_str(as_dict(block.get("resource")).get("text"))
    if kind == "resource_link":
        return as_str(block.get("uri"))
    return f"[{kind}]" if kind else ""


def unified_diff(path: str, old: str | None, new: str) -> str:
    """A file edit as a unified diff (a new file: everything added)."""
    old_lines = (old or "").splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    before = path if old is not None else "/dev/null"
    lines = difflib.unified_diff(old_lines, new_lines, before, path)
    return "".join(x if x.endswith("\n") else x + "\n" for x in lines)


def tool_content(items: object) -> tuple[str, list[str]]:
    """A tool call's content: its text (terminal output, messages) and the diffs it carries."""
    texts: list[str] = []
    diffs: list[str] = []
    for item in as_list(items):
        item = as_dict(item)
        kind = item.get("type")
        if kind == "content":
            texts.append(content_text(item.get("content")))
        elif kind == "diff":
            path = as_str(item.get("path"))
            diffs.append(
                unified_diff(path, opt_str(item.get("oldText")), as_str(item.get("newText")))
            )
        elif kind == "terminal":
            output = as_str(item.get("output"))  # (filled in by the runner from its terminal)
            texts.append(output)
    return "\n".join(t for t in texts if t), diffs


class AcpParser(CliParser):
    cli = "acp"

    def setup(self) -> None:
        self._turn: Turn | None = None
        self._turn_count = 0
        self._tools: dict[str, Node] = {}
        self._thought: list[str] = []
        self._result: JsonObj | None = None
        self._error: str | None = None
        self._cost: float | None = None
        self._in_text = False

    def handle(self, event: JsonObj) -> None:
        kind = event.get("type")
        if kind != "update" or as_dict(event.get("update")).get("sessionUpdate") != (
            "agent_thought_chunk"
        ):
            self._flush_thought()
        if kind == "initialize":
            info = as_dict(event.get("agentInfo"))
            name = as_str(info.get("name")) or "acp agent"
            version = as_str(info.get("version"))
            self.root.metadata = {**(self.root.metadata or {}), "cli_version": version or None}
            self.root.content["agent"] = name
            self.tree.send(self.root)
            self.out.note(f"{MARK_TOOL} {' '.join(x for x in (name, version) if x)} (ACP)")
        elif kind == "session":
            self.announce_session(opt_str(event.get("sessionId")))
            note = opt_str(event.get("note"))
            if note:
                self.out.warning(note)
        elif kind == "update":
            self._update(as_dict(event.get("update")))
        elif kind == "permission":
            self._permission(event)
        elif kind == "approval":
            self._approval(event)
        elif kind == "result":
            self._on_result(event)
        elif kind == "error":
            self._error = as_str(event.get("message")) or "the agent failed"
            self._end_text()
            self.out.error(self._error)

    # --- session updates ---------------------------------------------------------------------

    def _update(self, update: JsonObj) -> None:
        kind = update.get("sessionUpdate")
        if kind == "agent_message_chunk":
            text = content_text(update.get("content"))
            turn = self._current_turn()
            self.out.text(text)
            self._in_text = bool(text) or self._in_text
            self.add_answer(text, joiner="")
            self.turn_says(turn, text=text, at=None)
        elif kind == "agent_thought_chunk":
            self._end_text()
            text = content_text(update.get("content"))
            self._thought.append(text)
            self.turn_says(self._current_turn(), thinking=text, at=None)
        elif kind == "tool_call":
            self._end_text()
            self._tool_call(update)
        elif kind == "tool_call_update":
            self._tool_update(update)
        elif kind == "plan":
            self._end_text()
            self._plan(as_list(update.get("entries")))
        elif kind == "usage_update":
            cost = as_dict(update.get("cost"))
            if as_str(cost.get("currency"), "USD").upper() == "USD":
                self._cost = opt_float(cost.get("amount"))
            self.root.metadata = {
                **(self.root.metadata or {}),
                "context_used": as_int(update.get("used")),
                "context_size": as_int(update.get("size")),
            }
            self.tree.send(self.root)
        elif kind == "current_mode_update":
            self.out.note(f"mode: {as_str(update.get('currentModeId'))}")
        # user_message_chunk (our own prompt echoed), available_commands_update, session info
        # and config updates say nothing the transcript needs.

    def _current_turn(self) -> Turn:
        if self._turn is None:
            self._turn_count += 1
            prompt = self.request.content if self._turn_count == 1 else None
            self._turn = self.open_turn(
                f"{self._turn_count}",
                self.root,
                f"turn {self._turn_count}",
                at=None,
                content={"prompt": cap(prompt) if prompt else None},
            )
        return self._turn

    def _tool_call(self, update: JsonObj) -> None:
        tool_id = as_str(update.get("toolCallId")) or self.anonymous_id()
        title = as_str(update.get("title"), "tool")
        kind = as_str(update.get("kind"), "other")
        args = update.get("rawInput")
        text, diffs = tool_content(update.get("content"))
        parent = self._current_turn().node
        self._turn = None  # the next message opens the next turn
        node = self._tools.get(tool_id)
        if node is None:
            node = self.tree.open(
                f"tool:{tool_id}",
                parent,
                TraceType.TOOL_CALL,
                title,
                content={
                    "tool": title,
                    "kind": kind,
                    "args": cap_json(args) if args is not None else None,
                    "result": None,
                    "tool_call_id": tool_id,
                },
            )
            self._tools[tool_id] = node
            locations = [as_str(as_dict(x).get("path")) for x in as_list(update.get("locations"))]
            self.out.tool_call(title, args if args else (locations[0] if locations else ""))
        self._tool_details(node, update, text, diffs)

    def _tool_update(self, update: JsonObj) -> None:
        tool_id = as_str(update.get("toolCallId"))
        node = self._tools.get(tool_id)
        if node is None:  # an update for a call we never saw start: start it now
            self._end_text()
            self._tool_call({**update, "title": update.get("title") or "tool"})
            node = self._tools[tool_id]
        text, diffs = tool_content(update.get("content"))
        title = opt_str(update.get("title"))
        if title:
            node.name = title[:200]
            node.content["tool"] = title
        self._tool_details(node, update, text, diffs)

    def _tool_details(self, node: Node, update: JsonObj, text: str, diffs: list[str]) -> None:
        if update.get("rawInput") is not None:
            node.content["args"] = cap_json(update.get("rawInput"))
        if diffs:
            node.content["diff"] = cap("".join(diffs))
        if update.get("locations"):
            node.content["paths"] = [
                as_str(as_dict(x).get("path")) for x in as_list(update.get("locations"))
            ]
        status = opt_str(update.get("status"))
        if status:
            node.metadata = {**(node.metadata or {}), "acp_status": status}
        if status in ("completed", "failed") and node.is_open:
            raw = update.get("rawOutput")
            result = text or (to_text(raw) if raw is not None else "")
            failed = status == "failed"
            if diffs and not result:
                result = diffs[0]
            self._end_text()
            self.out.tool_result(result, error=failed)
            node.content["result"] = cap(result)
            node.content["is_error"] = failed
            self.tree.close(node, error=(one_line(result, 500) or "failed") if failed else None)
        else:
            self.tree.send(node)

    def _plan(self, entries: list[object]) -> None:
        self.out.line(f"{MARK_TOOL} plan", style=DIM)
        plan = []
        for entry in entries:
            entry = as_dict(entry)
            status = as_str(entry.get("status"), "pending")
            text = as_str(entry.get("content"))
            mark = MARK_DONE if status == "completed" else MARK_OPEN
            style = DIM if status == "completed" else ""
            self.out.line(f"  {mark} {one_line(text, 150)}", style=style)
            plan.append({"content": cap(text, 500), "status": status})
        self.root.content["plan"] = plan
        self.tree.send(self.root)

    # --- approvals ---------------------------------------------------------------------------

    def _permission(self, event: JsonObj) -> None:
        self._end_text()
        tool_id = as_str(event.get("toolCallId"))
        node = self._tools.get(tool_id)
        if node is None:
            self._tool_call(
                {
                    "toolCallId": tool_id,
                    "title": event.get("title"),
                    "kind": event.get("kind"),
                    "rawInput": event.get("rawInput"),
                }
            )
            node = self._tools[tool_id]
        if event.get("waiting"):
            self.out.line(
                f"  ? waiting for approval: {one_line(as_str(event.get('title')), 100)}"
                " (allow or deny it in Onsembl)",
                style=YELLOW,
            )

    def _approval(self, event: JsonObj) -> None:
        tool_id = as_str(event.get("toolCallId"))
        node = self._tools.get(tool_id)
        outcome = as_str(event.get("outcome"))
        line = as_str(event.get("line"))
        self.out.line(f"  {'√' if outcome == 'ALLOWED' else MARK_ERROR} {line}", style=DIM)
        if node is not None:
            approval = {k: event.get(k) for k in ("requestId", "outcome", "source", "message")}
            node.metadata = {**(node.metadata or {}), "approval": approval}
            self.tree.send(node)

    # --- the end -----------------------------------------------------------------------------

    def _on_result(self, event: JsonObj) -> None:
        self._end_text()
        self._result = event
        if self._turn is not None:
            self.close_turn(self._turn, at=None, joiner="")
            self._turn = None
        self.final_text = self.answer_text or None
        usage = as_dict(event.get("usage"))
        if usage:
            cached = as_int(usage.get("cachedReadTokens"))
            written = as_int(usage.get("cachedWriteTokens"))
            prompt = as_int(usage.get("inputTokens")) + cached + written
            output = as_int(usage.get("outputTokens"))
            total = as_int(usage.get("totalTokens")) or None
            counted = usage_of(prompt, output, cached, total)
            self.emit_usage(
                m.Usage(
                    input_tokens=counted.input_tokens,
                    output_tokens=counted.output_tokens,
                    cached_tokens=counted.cached_tokens,
                    total_tokens=counted.total_tokens,
                    cost_usd=self._cost,
                )
            )
        elif self._cost is not None:
            self.emit_usage(m.Usage(cost_usd=self._cost))

    def verdict(self, exit_code: int | None, stderr_tail: str) -> Verdict:
        if self._result is None:
            return Verdict(
                CommandStatus.FAILED, self.missing_final(exit_code, stderr_tail, self._error)
            )
        stop = as_str(self._result.get("stopReason"), "end_turn")
        if stop == "end_turn":
            return Verdict(CommandStatus.COMPLETED)
        return Verdict(CommandStatus.FAILED, _STOPS.get(stop, f"the agent stopped: {stop}"))

    def on_finish(self, verdict: Verdict) -> None:
        self._flush_thought()
        self._end_text()
        if self._turn is not None:
            self.close_turn(self._turn, at=None, joiner="")
            self._turn = None

    # --- helpers -------------------------------------------------------------------------------

    def _flush_thought(self) -> None:
        if self._thought:
            self.out.thinking("".join(self._thought))
            self._thought = []

    def _end_text(self) -> None:
        if self._in_text:
            self.out.end_text()
            self._in_text = False


class AcpAdapter(CliAdapter):
    """``--type acp --cli COMMAND [--cli-arg ...]``: the command starts an ACP agent on stdio; the
    prompt goes through the protocol, not the command line (``agent/acp_run.py``)."""

    agent_type = AgentType.ACP
    parser_class = AcpParser

    def launch(
        self, request: m.CommandRequest, *, cli: str, extra_args: list[str], session_id: str | None
    ) -> LaunchSpec:
        return LaunchSpec(argv=self.argv(cli, None, list(extra_args), session_id))

    def argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        return [cli, *extra_args]

    def interactive_argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        raise ValueError("an ACP agent has no interface of its own to run interactively")


def create() -> AcpAdapter:
    """The factory :func:`~.registry.adapter_for` calls."""
    return AcpAdapter()
