"""Investigation reports as documents: Markdown and a JSON-ready dict (Qt-free).

One rendering for every place that exports a report (``onsembl ctl report``, the UI's export), from
the stored row's fields: ``content`` is the ReportContent dict (sections, findings,
recommendations, metadata) as the agent sent it, so fields may be missing or oddly typed.
"""

from __future__ import annotations

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
    meta = [f"**Status:** {doc.status}"]
    if doc.agent:
        meta.append(f"**Agent:** {doc.agent}")
    if doc.created_at is not None:
        meta.append(f"**Created:** {doc.created_at.isoformat(timespec='seconds')}")
    if doc.completed_at is not None:
        meta.append(f"**Completed:** {doc.completed_at.isoformat(timespec='seconds')}")
    out += [" · ".join(meta), ""]
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
