"""Turning an agent's answer into a report: its fenced JSON block, or else its Markdown.

Both readers are lenient: the model writes the JSON, so a list of strings where objects were
asked for, a missing field or an odd severity word still gives a report rather than nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ...protocol import messages as m
from ._json import JsonObj, as_list, as_str, to_text

_FENCE = re.compile(r"```[ \t]*(json|JSON|jsonc)?[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+(.*)$")
_REPORT_KEYS = {"title", "summary", "sections", "findings", "recommendations"}

_FINDING_HEADINGS = re.compile(r"finding|issue|problem|observation|risk|bug|concern|defect", re.I)
_ADVICE_HEADINGS = re.compile(r"recommend|next step|action|suggest|fix|todo|step", re.I)

_SEVERITIES = {
    "critical": "critical",
    "blocker": "critical",
    "high": "high",
    "major": "high",
    "medium": "medium",
    "moderate": "medium",
    "warning": "medium",
    "low": "low",
    "minor": "low",
    "info": "info",
    "informational": "info",
    "note": "info",
}
_PRIORITIES = {
    "critical": "high",
    "urgent": "high",
    "high": "high",
    "p0": "high",
    "p1": "high",
    "medium": "medium",
    "p2": "medium",
    "low": "low",
    "p3": "low",
}
# A level at the start of a bullet: "[high] …", "(priority: low) …", "**High**: …", "High - …".
_WORDS = r"(critical|blocker|high|major|medium|moderate|warning|low|minor|info|p[0-3]|urgent)"
_DASH = r"[:\-\u2013\u2014]"  # colon, hyphen, en dash, em dash
_LEVEL = re.compile(
    rf"^\s*(?:\[{_WORDS}\]|\((?:severity|priority)?:?\s*{_WORDS}\)"
    rf"|(?:\*\*|__){_WORDS}:?(?:\*\*|__)\s*{_DASH}?|{_WORDS}(?:\s*:|\s+{_DASH}\s))\s*",
    re.I,
)


@dataclass(frozen=True, slots=True)
class ParsedReport:
    title: str | None
    summary: str
    content: m.ReportContent


def severity(value: object) -> str:
    word = as_str(value).strip().lower()
    return _SEVERITIES.get(word, word[:32] or "info")


def priority(value: object) -> str:
    word = as_str(value).strip().lower()
    return _PRIORITIES.get(word, word[:32] or "medium")


def parse_answer(text: str) -> ParsedReport | None:
    """The report in an answer: its JSON block if it has one, else its Markdown (None: empty)."""
    if not text.strip():
        return None
    data = find_json_report(text)
    prose = _without_fences(text)
    markdown = from_markdown(prose)
    if data is None:
        return markdown
    report = from_json(data)
    if not report.content.sections and markdown.content.sections:
        # the model put its prose in Markdown and only the verdict in JSON: keep both
        content = m.ReportContent(
            sections=markdown.content.sections,
            findings=report.content.findings,
            recommendations=report.content.recommendations,
            metadata=report.content.metadata,
        )
        report = ParsedReport(report.title, report.summary or markdown.summary, content)
    return report


def find_json_report(text: str) -> JsonObj | None:
    """The last fenced block (or the whole answer) that is a JSON object shaped like a report."""
    candidates = [match.group(2) for match in _FENCE.finditer(text)]
    candidates.reverse()
    candidates.append(text.strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict) and value.keys() & _REPORT_KEYS:
            return value
    return None


def from_json(data: JsonObj) -> ParsedReport:
    sections = []
    raw_sections: Any = data.get("sections")
    if isinstance(raw_sections, dict):
        raw_sections = [{"title": k, "content": v} for k, v in raw_sections.items()]
    for order, item in enumerate(as_list(raw_sections)):
        if isinstance(item, dict):
            title = as_str(item.get("title")) or as_str(item.get("heading"))
            title = title or f"Section {order + 1}"
            body = item.get("content", item.get("body", ""))
            kind = as_str(item.get("type"), "text") or "text"
        else:
            title, body, kind = f"Section {order + 1}", item, "text"
        sections.append(m.ReportSection(title=title, content=to_text(body), type=kind, order=order))
    findings = [_finding(item) for item in as_list(data.get("findings"))]
    recommendations = [_recommendation(item) for item in as_list(data.get("recommendations"))]
    return ParsedReport(
        title=as_str(data.get("title")).strip() or None,
        summary=to_text(data.get("summary")).strip(),
        content=m.ReportContent(
            sections=sections,
            findings=[f for f in findings if f.description],
            recommendations=[r for r in recommendations if r.action],
            metadata={"source": "json"},
        ),
    )


def _finding(item: object) -> m.ReportFinding:
    if not isinstance(item, dict):
        return m.ReportFinding(description=to_text(item).strip())
    description = item.get("description") or item.get("finding") or item.get("title") or ""
    evidence = item.get("evidence", [])
    evidence_list = [to_text(e) for e in evidence] if isinstance(evidence, list) else [evidence]
    return m.ReportFinding(
        description=to_text(description).strip(),
        severity=severity(item.get("severity")),
        evidence=[to_text(e) for e in evidence_list if e],
    )


def _recommendation(item: object) -> m.ReportRecommendation:
    if not isinstance(item, dict):
        return m.ReportRecommendation(action=to_text(item).strip())
    action = item.get("action") or item.get("recommendation") or item.get("title") or ""
    return m.ReportRecommendation(
        action=to_text(action).strip(),
        priority=priority(item.get("priority")),
        rationale=to_text(item.get("rationale") or item.get("reason") or "").strip(),
    )


def from_markdown(text: str) -> ParsedReport:
    """Headings become sections; bullets under Findings/Recommendations-like headings, items."""
    title: str | None = None
    summary = ""
    sections: list[m.ReportSection] = []
    findings: list[m.ReportFinding] = []
    advice: list[m.ReportRecommendation] = []
    heading: str | None = None
    body: list[str] = []
    paragraph: list[str] = []

    def close_section() -> None:
        content = "\n".join(body).strip()
        if heading is not None:
            kind = _section_kind(heading)
            order = len(sections)
            sections.append(m.ReportSection(title=heading, content=content, type=kind, order=order))
            _collect_items(heading, body, findings, advice)

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            if not summary and paragraph:
                summary = " ".join(paragraph)
            paragraph = []
            if match.group(1) == "#" and title is None and not sections and heading is None:
                title = _plain(match.group(2))
                continue
            close_section()
            heading, body = _plain(match.group(2)), []
            continue
        body.append(line)
        if summary:
            continue
        if line.strip() and not _BULLET.match(line) and not line.lstrip().startswith(("```", "|")):
            paragraph.append(line.strip())
        elif paragraph:
            summary = " ".join(paragraph)
    if not summary and paragraph:
        summary = " ".join(paragraph)
    close_section()
    if not sections and text.strip():
        sections.append(m.ReportSection(title="Answer", content=text.strip(), order=0))
    return ParsedReport(
        title=title,
        summary=summary,
        content=m.ReportContent(
            sections=sections,
            findings=findings,
            recommendations=advice,
            metadata={"source": "markdown"},
        ),
    )


def _section_kind(heading: str) -> str:
    if _FINDING_HEADINGS.search(heading):
        return "findings"
    if _ADVICE_HEADINGS.search(heading):
        return "recommendations"
    return "text"


def _collect_items(
    heading: str,
    lines: list[str],
    findings: list[m.ReportFinding],
    advice: list[m.ReportRecommendation],
) -> None:
    kind = _section_kind(heading)
    if kind == "text":
        return
    items: list[tuple[str, list[str]]] = []  # top-level bullet text and its nested bullets
    base_indent: int | None = None
    for line in lines:
        match = _BULLET.match(line)
        if not match:
            continue
        indent = len(match.group(1).expandtabs(4))
        if base_indent is None or indent <= base_indent:
            base_indent = indent if base_indent is None else base_indent
            items.append((match.group(2).strip(), []))
        elif items:
            items[-1][1].append(_plain(match.group(2)))
    for text, nested in items:
        level_match = _LEVEL.match(text)
        level = next((g for g in level_match.groups() if g), "") if level_match else ""
        body = _plain(text[level_match.end() :] if level_match else text)
        if kind == "findings":
            findings.append(
                m.ReportFinding(description=body, severity=severity(level), evidence=nested)
            )
        else:
            action, _, rationale = body.partition(" — ")
            advice.append(
                m.ReportRecommendation(
                    action=action.strip(), priority=priority(level), rationale=rationale.strip()
                )
            )


def _plain(text: str) -> str:
    """Markdown emphasis markers dropped from a heading or item."""
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text).strip()


def _without_fences(text: str) -> str:
    """The answer without its JSON blocks, nor an unclosed fence at the end (still streaming)."""
    text = _FENCE.sub(lambda match: "" if match.group(1) else match.group(0), text)
    if text.count("```") % 2:
        text = text[: text.rfind("```")]
    return text
