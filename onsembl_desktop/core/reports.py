"""Investigation reports as documents: Markdown, HTML and a JSON-ready dict (Qt-free).

One rendering for every place that exports a report (``onsembl ctl report``, the UI's export and
its PDF, which is this HTML printed), from the stored row's fields: ``content`` is the
ReportContent dict (sections, findings, recommendations, metadata) as the agent sent it, so
fields may be missing or oddly typed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True, slots=True)
class ReportDocument:
    id: str
    title: str
    summary: str
    status: str
    content: dict[str, Any] = field(default_factory=dict)
    command_id: str | None = None
    agent: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None

    def sections(self) -> list[dict[str, Any]]:
        found = [s for s in _list(self.content.get("sections")) if isinstance(s, dict)]
        return sorted(found, key=lambda s: _int(s.get("order")))

    def findings(self) -> list[dict[str, Any]]:
        found = [f for f in _list(self.content.get("findings")) if isinstance(f, dict)]
        # Most severe first; the agent's order among equals.
        return sorted(found, key=lambda f: _severity_rank(f.get("severity")))

    def recommendations(self) -> list[dict[str, Any]]:
        return [r for r in _list(self.content.get("recommendations")) if isinstance(r, dict)]


def to_markdown(doc: ReportDocument) -> str:
    out = [f"# {_one_line(doc.title) or 'Untitled report'}", ""]
    facts = _facts(doc, doc.status, lambda t: t.isoformat(timespec="seconds"))
    out += [" · ".join(f"**{name}:** {value}" for name, value in facts), ""]
    if doc.summary.strip():
        out += ["## Summary", "", doc.summary.strip(), ""]
    for section in doc.sections():
        out += [f"## {_one_line(str(section.get('title', ''))) or 'Section'}", ""]
        body = str(section.get("content", "")).strip()
        if body:
            out += [body, ""]
    findings = doc.findings()
    if findings:
        out += ["## Findings", ""]
        for finding in findings:
            severity = str(finding.get("severity") or "info").upper()
            out.append(f"- **{severity}** {_one_line(str(finding.get('description', '')))}")
            out += [f"  - Evidence: {_one_line(str(e))}" for e in _list(finding.get("evidence"))]
        out.append("")
    recommendations = doc.recommendations()
    if recommendations:
        out += ["## Recommendations", ""]
        for i, rec in enumerate(recommendations, start=1):
            priority = str(rec.get("priority") or "medium")
            line = f"{i}. **{priority.capitalize()}** {_one_line(str(rec.get('action', '')))}"
            if rec.get("rationale"):
                line += f" — {_one_line(str(rec['rationale']))}"
            out.append(line)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_STYLE = (
    "body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.45}"
    "h1{margin-bottom:.2em}.meta{color:#555}.sev{font-weight:bold;text-transform:uppercase}"
    "pre{white-space:pre-wrap}"
)


def to_html(doc: ReportDocument) -> str:
    """The report as a standalone HTML page (what the PDF export prints)."""
    e = html.escape
    title = _one_line(doc.title) or "Untitled report"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    status = doc.status.replace("_", " ").lower()
    facts = _facts(doc, status, lambda t: t.astimezone().strftime("%Y-%m-%d %H:%M"))
    parts.append(f"<p class='meta'>{' · '.join(e(f'{n}: {v}') for n, v in facts)}</p>")
    if doc.summary.strip():
        parts += ["<h2>Summary</h2>", _paragraphs(doc.summary)]
    for section in doc.sections():
        heading = _one_line(str(section.get("title", ""))) or "Section"
        parts += [f"<h2>{e(heading)}</h2>", _paragraphs(str(section.get("content", "")))]
    findings = doc.findings()
    if findings:
        parts.append("<h2>Findings</h2><ul>")
        for f in findings:
            evidence = "".join(f"<li>{e(str(x))}</li>" for x in _list(f.get("evidence")))
            parts.append(
                f"<li><span class='sev'>{e(str(f.get('severity') or 'info'))}</span> "
                f"{e(str(f.get('description', '')))}"
                + (f"<ul>{evidence}</ul>" if evidence else "")
                + "</li>"
            )
        parts.append("</ul>")
    recommendations = doc.recommendations()
    if recommendations:
        parts.append("<h2>Recommendations</h2><ol>")
        for r in recommendations:
            rationale = f" — {e(str(r['rationale']))}" if r.get("rationale") else ""
            parts.append(
                f"<li><b>{e(str(r.get('priority') or 'medium').capitalize())}</b> "
                f"{e(str(r.get('action', '')))}{rationale}</li>"
            )
        parts.append("</ol>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _facts(
    doc: ReportDocument, status: str, when: Callable[[datetime], str]
) -> list[tuple[str, str]]:
    """The report's status, agent and times, as the header line of either rendering shows them."""
    facts = [("Status", status)]
    if doc.agent:
        facts.append(("Agent", doc.agent))
    for name, at in (("Created", doc.created_at), ("Completed", doc.completed_at)):
        if at is not None:
            facts.append((name, when(at)))
    return facts


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.strip().split("\n\n") if b.strip()]
    return "".join("<p>" + html.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


def to_dict(doc: ReportDocument) -> dict[str, Any]:
    """The JSON view (camelCase, as the control endpoint speaks)."""
    return {
        "id": doc.id,
        "commandId": doc.command_id,
        "agent": doc.agent,
        "title": doc.title,
        "summary": doc.summary,
        "status": doc.status,
        "content": doc.content,
        "createdAt": _iso(doc.created_at),
        "updatedAt": _iso(doc.updated_at),
        "completedAt": _iso(doc.completed_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _severity_rank(value: Any) -> int:
    name = str(value or "info").lower()
    return SEVERITY_ORDER.index(name) if name in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _one_line(text: str) -> str:
    return " ".join(text.split())
