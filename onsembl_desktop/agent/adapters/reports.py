"""Investigation reports for INVESTIGATE, REVIEW, PLAN and SYNTHESIZE commands.

The prompt asks the CLI to end its answer with a fenced JSON report (:func:`report_prompt`).
:class:`ReportingParser` wraps any adapter's parser and adds :class:`~.base.Report` events:
DRAFT with the first line of output, IN_PROGRESS as the answer grows, COMPLETE at the end, built
from the JSON block or, when the CLI answered without it, from the answer's Markdown.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from ...protocol import messages as m
from ...protocol.enums import CommandStatus, CommandType, ReportStatus
from ._render import one_line
from ._report_parse import ParsedReport, parse_answer
from .base import AdapterEvent, Final, Report, Stopped, StreamParser

REPORT_TYPES = frozenset(
    {CommandType.INVESTIGATE, CommandType.REVIEW, CommandType.PLAN, CommandType.SYNTHESIZE}
)
PROGRESS_STEP = 400  # characters of new answer text between IN_PROGRESS updates

_TASKS = {
    CommandType.INVESTIGATE: (
        "Investigate this thoroughly: gather evidence (files, lines, commands, outputs) for each "
        "finding before you state it."
    ),
    CommandType.REVIEW: (
        "Review this critically: each problem you find is a finding with its severity and the "
        "evidence (file:line, snippet) that shows it."
    ),
    CommandType.PLAN: (
        "Write a plan: sections are its phases, recommendations are its concrete steps in order, "
        "findings are the risks and open questions."
    ),
    CommandType.SYNTHESIZE: (
        "Synthesize what is known: sections summarise each source or theme, findings are the "
        "conclusions with the evidence behind them."
    ),
}

_FORMAT = """\
When you are done, end your answer with a structured report: one fenced ```json block holding
one object of this shape (write prose in Markdown above it if you like):
{"title": "short title",
 "summary": "two or three sentences",
 "sections": [{"title": "...", "content": "Markdown text"}],
 "findings": [{"description": "...", "severity": "critical|high|medium|low|info",
               "evidence": ["file:line or command output", "..."]}],
 "recommendations": [{"action": "...", "priority": "high|medium|low", "rationale": "..."}]}"""


def report_prompt(request: m.CommandRequest) -> str:
    """The prompt to give the CLI: the command's text, asking for a report where it is one."""
    task = _TASKS.get(request.command_type)
    if task is None:
        return request.content
    return f"{request.content}\n\n---\n{task}\n\n{_FORMAT}\n"


class AnswerSource(StreamParser, Protocol):
    """A parser that also exposes the assistant's answer (all of ours do)."""

    answer_text: str  # top-level assistant text so far
    final_text: str | None  # the CLI's own final answer once it has given it


def with_reports(inner: AnswerSource, request: m.CommandRequest) -> StreamParser:
    """``inner``, wrapped in a :class:`ReportingParser` when the command asks for a report."""
    if request.command_type in REPORT_TYPES:
        return ReportingParser(inner, request)
    return inner


class ReportingParser:
    def __init__(self, inner: AnswerSource, request: m.CommandRequest) -> None:
        self._inner = inner
        self._request = request
        self._report_id = uuid.uuid5(request.id_scope, "report")
        self._drafted = False
        self._reported_chars = 0
        self._finished = False

    def feed_line(self, line: str) -> list[AdapterEvent]:
        events = self._draft()
        events += self._inner.feed_line(line)
        text = self._inner.answer_text
        grown = len(text) - self._reported_chars
        if grown > 0 and (self._reported_chars == 0 or grown >= PROGRESS_STEP):
            self._reported_chars = len(text)
            events.append(self._report(ReportStatus.IN_PROGRESS, parse_answer(text)))
        return events

    def feed_stderr(self, line: str) -> list[AdapterEvent]:
        return self._inner.feed_stderr(line)

    def note_stop(self) -> None:
        self._inner.note_stop()

    def finish(
        self, exit_code: int | None, stderr_tail: str = "", stopped: Stopped | None = None
    ) -> list[AdapterEvent]:
        if self._finished:
            return []
        self._finished = True
        events = self._draft() + self._inner.finish(exit_code, stderr_tail, stopped)
        final = next((e for e in reversed(events) if isinstance(e, Final)), None)
        answer = self._inner.final_text or self._inner.answer_text
        parsed = parse_answer(answer)
        if parsed is None and final is not None and final.status is not CommandStatus.COMPLETED:
            parsed = ParsedReport(
                title=None,
                summary=f"No report: {final.error or 'the command failed'}",
                content=m.ReportContent(metadata={"source": "none"}),
            )
        report = self._report(ReportStatus.COMPLETE, parsed)
        at = events.index(final) if final is not None else len(events)
        events.insert(at, report)  # the Final stays last
        return events

    def _draft(self) -> list[AdapterEvent]:
        if self._drafted:
            return []
        self._drafted = True
        return [self._report(ReportStatus.DRAFT, None)]

    def _report(self, status: ReportStatus, parsed: ParsedReport | None) -> Report:
        kind = self._request.command_type.value.title()
        title = parsed.title if parsed else None
        title = title or f"{kind}: {one_line(self._request.content, 80)}"
        content = parsed.content if parsed else m.ReportContent()
        metadata = {**content.metadata, "command_type": self._request.command_type.value}
        return Report(
            report_id=self._report_id,
            title=title,
            summary=parsed.summary if parsed else "",
            status=status,
            content=m.ReportContent(
                sections=content.sections,
                findings=content.findings,
                recommendations=content.recommendations,
                metadata=metadata,
            ),
        )
