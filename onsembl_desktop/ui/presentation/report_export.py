"""A report as Markdown, HTML or JSON (Qt-free; PDF is the HTML printed by Qt, ``ui/pdf.py``).

All three are the core's renderings (``core.reports``: one for ``ctl report`` and here).
"""

from __future__ import annotations

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
    return reports.to_html(document(doc))


def to_json(doc: ReportDoc) -> str:
    return (
        json.dumps(reports.to_dict(document(doc)), indent=2, ensure_ascii=False, default=str) + "\n"
    )


FORMATS = {"Markdown": ".md", "HTML": ".html", "JSON": ".json", "PDF": ".pdf"}


def safe_filename(title: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in title).strip()
    return "-".join(keep.split())[:80] or "report"
