"""A report as Markdown, HTML or JSON (Qt-free; PDF is the HTML printed by Qt in the page).

Markdown and JSON are the core's renderings (``core.reports``: one for ``ctl report`` and here).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...core import reports
from ...core.reports import ReportDocument

SEVERITIES = ("critical", "high", "medium", "low", "info")
PRIORITIES = ("high", "medium", "low")


@dataclass(slots=True)
class ReportDoc:
    """The editable form of a report (the database row's title, summary, status and content)."""

    title: str
    summary: str
    status: str
    sections: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    agent: str = ""
    created_at: datetime | None = None
    id: str = ""
    command_id: str | None = None

    @classmethod
    def of(
        cls,
        title: str,
        summary: str,
        status: str,
        content: dict[str, Any],
        agent: str = "",
        created_at: datetime | None = None,
        *,
        id: str = "",
        command_id: str | None = None,
    ) -> ReportDoc:
        sections = sorted(
            (dict(s) for s in content.get("sections", []) if isinstance(s, dict)),
            key=lambda s: int(s.get("order", 0) or 0),
        )
        return cls(
            title,
            summary,
            status,
            sections,
            [dict(f) for f in content.get("findings", []) if isinstance(f, dict)],
            [dict(r) for r in content.get("recommendations", []) if isinstance(r, dict)],
            dict(content.get("metadata", {}) or {}),
            agent,
            created_at,
            id,
            command_id,
        )

    def content(self) -> dict[str, Any]:
        for i, section in enumerate(self.sections):
            section["order"] = i
        return {
            "sections": self.sections,
            "findings": self.findings,
            "recommendations": self.recommendations,
            "metadata": self.metadata,
        }


def _evidence(finding: dict[str, Any]) -> list[str]:
    evidence = finding.get("evidence") or []
    return [str(e) for e in evidence] if isinstance(evidence, list) else [str(evidence)]


def document(doc: ReportDoc) -> ReportDocument:
    """The core's form of the report, for the renderings every exporter shares."""
    return ReportDocument(
        id=doc.id,
        title=doc.title,
        summary=doc.summary,
        status=doc.status,
        content=doc.content(),
        command_id=doc.command_id,
        agent=doc.agent,
        created_at=doc.created_at,
    )


def to_markdown(doc: ReportDoc) -> str:
    return reports.to_markdown(document(doc))


def to_html(doc: ReportDoc) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{e(doc.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.45}"
        "h1{margin-bottom:.2em}.meta{color:#555}.sev{font-weight:bold;text-transform:uppercase}"
        "pre{white-space:pre-wrap}</style></head><body>",
        f"<h1>{e(doc.title)}</h1>",
    ]
    meta = [f"Status: {e(doc.status.replace('_', ' ').lower())}"]
    if doc.agent:
        meta.append(f"Agent: {e(doc.agent)}")
    if doc.created_at:
        meta.append(f"Created: {doc.created_at.astimezone().strftime('%Y-%m-%d %H:%M')}")
    parts.append(f"<p class='meta'>{' · '.join(meta)}</p>")
    if doc.summary.strip():
        parts += ["<h2>Summary</h2>", _paragraphs(doc.summary)]
    for section in doc.sections:
        parts += [
            f"<h2>{e(str(section.get('title', '')))}</h2>",
            _paragraphs(str(section.get("content", ""))),
        ]
    if doc.findings:
        parts.append("<h2>Findings</h2><ul>")
        for f in doc.findings:
            evidence = "".join(f"<li>{e(x)}</li>" for x in _evidence(f))
            parts.append(
                f"<li><span class='sev'>{e(str(f.get('severity', 'info')))}</span> "
                f"{e(str(f.get('description', '')))}"
                + (f"<ul>{evidence}</ul>" if evidence else "")
                + "</li>"
            )
        parts.append("</ul>")
    if doc.recommendations:
        parts.append("<h2>Recommendations</h2><ul>")
        for r in doc.recommendations:
            rationale = f" — {e(str(r['rationale']))}" if r.get("rationale") else ""
            parts.append(
                f"<li><b>{e(str(r.get('priority', 'medium')).title())}</b> "
                f"{e(str(r.get('action', '')))}{rationale}</li>"
            )
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.strip().split("\n\n") if b.strip()]
    return (
        "".join("<p>" + html.escape(b).replace("\n", "<br>") + "</p>" for b in blocks) or "<p></p>"
    )


def to_json(doc: ReportDoc) -> str:
    return (
        json.dumps(reports.to_dict(document(doc)), indent=2, ensure_ascii=False, default=str) + "\n"
    )


FORMATS = {"Markdown": ".md", "HTML": ".html", "JSON": ".json", "PDF": ".pdf"}


def safe_filename(title: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in title).strip()
    return "-".join(keep.split())[:80] or "report"
