"""What the three CLI parsers share: line handling, the transcript, the tree, usage and the end.

A subclass handles one decoded JSON event at a time (:meth:`CliParser.handle`) and says how the
run ended (:meth:`CliParser.verdict`). This class guarantees the contract of
:class:`~.base.StreamParser`: any line is accepted (junk becomes plain output), every line yields
exactly one :class:`~.base.Output` carrying it as ``raw`` (a pretty-printed document: one Output
for all its lines), and :meth:`finish` ends with exactly one :class:`~.base.Final`.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...protocol import messages as m
from ...protocol.enums import CommandStatus, CompletionReason, StreamType, TraceType
from ._json import Doc, JsonLineReader, JsonObj, Text
from ._render import (
    CRLF,
    DIM,
    GREEN,
    MARK_END,
    RED,
    RESET,
    YELLOW,
    Transcript,
    clean,
    human_count,
    one_line,
)
from ._trace import Clock, Node, TraceTree, cap
from .base import (
    LIMIT_STOPS,
    AdapterEvent,
    CliVersion,
    Final,
    Notice,
    Output,
    SessionStarted,
    Stopped,
    Trace,
    UsageSoFar,
)

log = logging.getLogger("onsembl.agent.adapters")

STDERR_TAIL_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class Verdict:
    status: CommandStatus
    error: str | None = None


@dataclass(slots=True)
class Turn:
    """One model turn: an LLM_PROMPT node and, once the model says something, its RESPONSE."""

    key: str
    node: Node
    response: Node | None = None
    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)


def usage_of(
    input_tokens: int, output_tokens: int, cached: int, total: int | None = None
) -> m.Usage:
    """A Usage whose input includes cached input (as Codex and Gemini count it)."""
    return m.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
        total_tokens=total if total is not None else input_tokens + output_tokens,
    )


class CliParser(ABC):
    cli: ClassVar[str]

    def __init__(
        self,
        request: m.CommandRequest,
        *,
        started_at_ms: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.request = request
        self.clock = Clock(started_at_ms, clock)
        self.tree = TraceTree(request.id_scope, self.clock)
        self.out = Transcript()
        self.usage: m.Usage | None = None
        self.session_id: str | None = None
        self.model: str | None = None
        self.cli_duration_ms: int | None = None  # the run's duration as the CLI reports it
        self.answer_text = ""  # top-level assistant text so far (for reports)
        self.final_text: str | None = None  # the CLI's own final answer, once known
        self._reader = JsonLineReader()
        self._events: list[AdapterEvent] = []
        self._usage_sent: m.Usage | None = None
        self._finished = False
        self._anonymous = 0
        self._notice: str | None = None
        self._running_at_stop: list[Node] = []
        self.root = self.tree.open(
            "root",
            None,
            TraceType.LLM_PROMPT,
            f"{self.cli} session",
            at=started_at_ms,
            content={"cli": self.cli, "prompt": cap(request.content)},
            metadata={"command_type": request.command_type.value},
        )
        self.setup()

    # --- the StreamParser protocol -------------------------------------------------------------

    def feed_line(self, line: str) -> list[AdapterEvent]:
        if self._finished:
            return []
        for item in self._reader.feed(line):
            self._process(item)
        return self._drain()

    def feed_stderr(self, line: str) -> list[AdapterEvent]:
        if self._finished:
            return []
        text = self.stderr_text(line.removesuffix("\r"))
        self._events.append(Output(text=text, raw=line, stream=StreamType.STDERR))
        return self._drain()

    def finish(
        self, exit_code: int | None, stderr_tail: str = "", stopped: Stopped | None = None
    ) -> list[AdapterEvent]:
        if self._finished:
            return []
        for item in self._reader.flush():
            self._process(item)
        closing = self.stderr_done()
        if closing:
            self._events.append(Output(text=closing, raw=None, stream=StreamType.STDERR))
        if self._notice is not None:
            self.notice(None)
        self._finished = True
        unfinished = self.tree.open_nodes()  # before the subclass closes its own turns
        try:
            verdict = self.verdict(exit_code, stderr_tail)
            self.on_finish(verdict)
        except Exception:  # a parser bug must still end the command cleanly
            log.exception("%s parser failed at the end of the stream", self.cli)
            verdict = Verdict(CommandStatus.FAILED, f"{self.cli} output could not be read")
        if stopped is not None:
            # The runner's stop is why the run ended, whatever the CLI said on its way out (a
            # SIGINT'd Claude or Gemini prints an error result; a SIGTERM'd one, nothing).
            verdict = Verdict(stopped.status, stopped.message or _STOPPED.get(stopped.reason))
        self._close_tree(verdict, stopped, unfinished, exit_code)
        self._events.extend(Trace(node=n) for n in self.tree.take())
        if self.usage is not None:
            self.emit_usage(self.usage)
        self.out.newline_if_needed()
        self.out.line(self._summary(verdict, stopped, exit_code))
        self._events.append(Output(text=self.out.take(), raw=None))
        if stopped is not None:
            reason: CompletionReason | None = stopped.reason
        elif verdict.status is CommandStatus.FAILED:
            reason = CompletionReason.CLI_ERROR
        else:
            reason = None
        self._events.append(
            Final(
                status=verdict.status,
                error=verdict.error,
                reason=reason,
                usage=self.usage,
                session_id=self.session_id,
            )
        )
        return self._drain()

    # --- for subclasses ------------------------------------------------------------------------

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Initialise the subclass's own state (called at the end of ``__init__``)."""

    @abstractmethod
    def handle(self, event: JsonObj) -> None:
        """One decoded JSON object from the CLI."""

    @abstractmethod
    def verdict(self, exit_code: int | None, stderr_tail: str) -> Verdict:
        """How the run ended, from the CLI's final event or, lacking it, the exit."""

    def on_finish(self, verdict: Verdict) -> None:  # noqa: B027 - optional hook
        """Last chance to complete the subclass's own nodes before the tree is closed."""

    def note_stop(self) -> None:
        """The runner began stopping the CLI: the tools running now are interrupted, whatever
        result the CLI reports for them on its way out (a killed command's output, an error)."""
        if not self._running_at_stop:
            self._running_at_stop = [
                n for n in self.tree.open_nodes() if n.type is TraceType.TOOL_CALL
            ]

    def stderr_text(self, line: str) -> str:
        """How one stderr line shows in the transcript ("" hides it; the raw record keeps it).

        A CLI's stderr is its diagnostics: dim, warnings yellow, never its own escape codes.
        """
        text = clean(line)
        if not text.strip():
            return ""
        style = YELLOW if text.lstrip().lower().startswith("warning") else DIM
        return f"{style}{text}{RESET}{CRLF}"

    def stderr_done(self) -> str:
        """Anything stderr_text held back, once the CLI has exited."""
        return ""

    def notice(self, text: str | None) -> None:
        """Show (or, None, clear) a passing state of the run on the agent's card."""
        if text != self._notice:
            self._notice = text
            self._events.append(Notice(text=text))

    def announce_version(self, version: str | None) -> None:
        if version:
            self.root.metadata = {**(self.root.metadata or {}), "cli_version": version}
            self.tree.send(self.root)
            self._events.append(CliVersion(version=version))

    def now(self, at: int | None = None) -> int:
        return at if at is not None else self.clock.now_ms()

    def emit_usage(self, usage: m.Usage) -> None:
        self.usage = usage
        if usage != self._usage_sent:
            self._usage_sent = usage
            self._events.append(UsageSoFar(usage=usage))

    def announce_session(self, session_id: str | None) -> None:
        if session_id and session_id != self.session_id:
            self.session_id = session_id
            self._events.append(SessionStarted(session_id=session_id))
            self.root.content["session_id"] = session_id
            self.tree.send(self.root)

    def set_model(self, model: str | None) -> None:
        if model and self.model is None:
            self.model = model
            self.root.content["model"] = model
            self.tree.send(self.root)

    def anonymous_id(self) -> str:
        """An id for a call or message that came without one (each is its own node)."""
        self._anonymous += 1
        return f"anonymous-{self._anonymous}"

    def add_answer(self, text: str, *, joiner: str = "\n\n") -> None:
        if text:
            self.answer_text = f"{self.answer_text}{joiner}{text}" if self.answer_text else text

    def missing_final(self, exit_code: int | None, stderr_tail: str, last_error: str | None) -> str:
        """The error of a run whose stream ended without its final event."""
        how = "was killed" if exit_code is None else f"exited with code {exit_code}"
        tail = clean(stderr_tail).strip()[-STDERR_TAIL_CHARS:]
        detail = last_error or tail
        what = f"{self.cli} {how} before its final result"
        return f"{detail} ({what})" if detail else what

    # --- turns -----------------------------------------------------------------------------------

    def open_turn(
        self, key: str, parent: Node, name: str, *, at: int | None, content: dict[str, Any]
    ) -> Turn:
        node = self.tree.open(f"turn:{key}", parent, TraceType.LLM_PROMPT, name, at=at)
        node.content.update({k: v for k, v in content.items() if v is not None})
        self.tree.send(node)
        return Turn(key=key, node=node)

    def turn_says(self, turn: Turn, *, text: str = "", thinking: str = "", at: int | None) -> None:
        """The model wrote text or reasoning in this turn: it goes to the turn's RESPONSE."""
        if not text and not thinking:
            return
        if text:
            turn.text.append(text)
        if thinking:
            turn.thinking.append(thinking)
        if turn.response is None:
            turn.response = self.tree.open(
                f"response:{turn.key}", turn.node, TraceType.RESPONSE, "response", at=at
            )
        self.tree.touch(turn.response, at)
        self.tree.touch(turn.node, at)

    def close_turn(self, turn: Turn, *, at: int | None, joiner: str = "\n\n") -> None:
        if turn.response is not None:
            content = {"text": cap(joiner.join(turn.text))}
            if turn.thinking:
                content["thinking"] = cap("\n\n".join(turn.thinking))
            turn.response.content.update(content)
            self.tree.close(turn.response, at=at)
        self.tree.close(turn.node, at=at)

    # --- internals -----------------------------------------------------------------------------

    def _process(self, item: Doc | Text) -> None:
        mark = len(self._events)
        if isinstance(item, Text):
            self._plain(item.text, comment=item.comment)
        else:
            try:
                self._dispatch(item.value)
            except Exception:  # never let one odd event stop the agent: show it raw instead
                log.exception("%s parser failed on a line; showing it as plain text", self.cli)
                self.out.take()
                self._plain(item.raw)
        self._events.insert(mark, Output(text=self.out.take(), raw=item.raw))
        self._events.extend(Trace(node=n) for n in self.tree.take())

    def _dispatch(self, value: object) -> None:
        if isinstance(value, dict):
            self.handle(value)
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for event in value:  # Claude's --output-format json --verbose: an array of events
                self.handle(event)
        else:
            self._plain(str(value))

    def _plain(self, text: str, *, comment: bool = False) -> None:
        if comment:
            self.out.note(text)
        else:
            self.out.block(text)

    def _drain(self) -> list[AdapterEvent]:
        self._events.extend(Trace(node=n) for n in self.tree.take())
        events, self._events = self._events, []
        return events

    def _close_tree(
        self,
        verdict: Verdict,
        stopped: Stopped | None,
        unfinished: list[Node],
        exit_code: int | None,
    ) -> None:
        interrupted = list(unfinished)
        if stopped is not None:
            interrupted += [n for n in self._running_at_stop if n not in interrupted]
        for node in interrupted:
            if node is self.root:
                continue
            if stopped is not None:
                node.error = None
                # Interrupted, not failed: closed as cancelled, whatever stopped the run.
                node.metadata = {
                    **(node.metadata or {}),
                    "status": CommandStatus.CANCELLED.value,
                    "reason": stopped.reason.value,
                }
            elif node.type is TraceType.TOOL_CALL and node.error is None:
                node.error = "no result: the run ended first"
        if self.usage is not None:
            self.root.tokens_override = self.usage.total_tokens
        if self.final_text is not None:
            self.root.content["result"] = cap(self.final_text)
        if self.usage is not None and self.usage.cost_usd is not None:
            self.root.content["cost_usd"] = self.usage.cost_usd
        status: dict[str, object] = {"status": verdict.status.value, "exit_code": exit_code}
        if stopped is not None:
            status["reason"] = stopped.reason.value
        self.root.metadata = {**(self.root.metadata or {}), **status}
        # Only a failure is an error: a cancelled run's root stays clean (a limit stop fails).
        self.root.error = (
            verdict.error or "failed" if verdict.status is CommandStatus.FAILED else None
        )
        # Every node spans from its first event to its last, the root all of them: the CLI's own
        # duration_ms leaves out its start-up, so its turns would begin after the root ended.
        self.tree.close_all()

    def _summary(self, verdict: Verdict, stopped: Stopped | None, exit_code: int | None) -> str:
        parts: list[str] = []
        duration = self.cli_duration_ms or None  # (Gemini says 0 when a run fails: not known)
        if stopped is not None or duration is None:
            duration = self.clock.now_ms() - self.clock.started_at_ms  # the runner's own measure
        seconds = f"{duration / 1000:.1f} s" if duration is not None else None
        if stopped is not None:
            style = RED if stopped.status is CommandStatus.FAILED else YELLOW
            what = _STOPPED.get(stopped.reason, "stopped")
            after = f" after {seconds}" if seconds else ""
            why = ""
            if stopped.reason in LIMIT_STOPS and stopped.message:
                why = f": {one_line(stopped.message, 200)}"
            head = f"{style}{MARK_END} {self.cli} {what}{after}{why}{RESET}"
        elif verdict.status is CommandStatus.COMPLETED:
            head = f"{GREEN}{MARK_END} {self.cli} completed{RESET}"
            if exit_code:
                # The final event said success and wins (see the adapters' verdicts); the exit
                # code is kept, and said here so the footer's "exit N" is not a riddle.
                head += f"{YELLOW} (exited with code {exit_code} after its final result){RESET}"
            if seconds:
                parts.append(seconds)
        else:
            reason = f": {one_line(verdict.error, 200)}" if verdict.error else ""
            head = f"{RED}{MARK_END} {self.cli} failed{reason}{RESET}"
            if seconds:
                parts.append(seconds)
        usage = self.usage
        if usage is not None:
            parts.append(
                f"tokens in {human_count(usage.input_tokens)}"
                f" (cached {human_count(usage.cached_tokens)})"
                f" · out {human_count(usage.output_tokens)}"
                f" · total {human_count(usage.total_tokens)}"
            )
            if usage.cost_usd is not None and usage.cost_source is not None:
                parts.append(f"≈${usage.cost_usd:.4f} (estimate: {usage.cost_source})")
            elif usage.cost_usd is not None:
                parts.append(f"${usage.cost_usd:.4f}")
        tail = f"{DIM} · {' · '.join(parts)}{RESET}" if parts else ""
        return head + tail


# How the transcript's last line says who stopped the run.
_STOPPED = {
    CompletionReason.CANCELLED: "cancelled by the user",
    CompletionReason.EMERGENCY_STOP: "stopped by the emergency stop",
    CompletionReason.TIME_LIMIT_EXCEEDED: "stopped by its time limit",
    CompletionReason.TOKEN_LIMIT_EXCEEDED: "stopped by its token budget",
    CompletionReason.MEMORY_LIMIT_EXCEEDED: "stopped by its memory limit",
    CompletionReason.AGENT_STOPPED: "stopped with the agent",
    CompletionReason.AGENT_LOST: "stopped: the app no longer knows this command",
}
