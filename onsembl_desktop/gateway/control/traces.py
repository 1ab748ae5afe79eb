"""Control methods over what agents recorded: a command's trace tree, its reports.

``traces.get`` backs ``onsembl ctl traces``; ``reports.list``, ``reports.resolve`` (a report id's
unique prefix) and ``reports.get`` (JSON, Markdown or HTML) back ``onsembl ctl reports`` /
``report``. Reads run off the loop (``Store.read``) after a flush, so
everything the agents delivered so far is there.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import Connection, Row

from ...core.commands import CommandError
from ...core.reports import ReportDocument, to_dict, to_html, to_markdown
from ...protocol import control as c
from ...store import queries
from ..views import iso
from .commands import ResolveParams, one_match, prefix_digits
from .endpoint import ControlSession, method


class TracesParams(c.Params, kw_only=True):
    command_id: uuid.UUID


class ReportsParams(c.Params, kw_only=True):
    command_id: uuid.UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100


class ReportParams(c.Params, kw_only=True):
    report_id: uuid.UUID
    format: Literal["json", "md", "html"] = "json"


@method("traces.get", TracesParams)
async def traces_get(s: ControlSession, p: TracesParams) -> Any:
    """The command's trace tree: its roots, each node with its ``children``."""
    await s.core.store.flush()

    def load(conn: Connection) -> tuple[Row[Any] | None, list[Row[Any]]]:
        return queries.get_command(conn, p.command_id), queries.command_traces(conn, p.command_id)

    command, rows = await s.core.store.read(load)
    if command is None:
        raise CommandError(f"no command {p.command_id}")
    return {
        "commandId": str(p.command_id),
        "content": command.content,
        "status": command.status.value,
        "roots": trace_tree(rows),
    }


def trace_tree(rows: list[Row[Any]]) -> list[dict[str, Any]]:
    """Nest the rows by ``parent_id`` (rows come oldest first, and children keep that order). A
    node whose parent is missing is shown as a root rather than lost."""
    nodes = {row.id: node_view(row) for row in rows}
    roots: list[dict[str, Any]] = []
    for row in rows:
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        (parent["children"] if parent is not None else roots).append(nodes[row.id])
    return roots


def node_view(row: Row[Any]) -> dict[str, Any]:
    if row.error:
        status = "error"
    elif (row.metadata or {}).get("status") == "CANCELLED" and row.parent_id is not None:
        status = "cancelled"  # interrupted by a stop (the root's status is the command's)
    elif row.completed_at is None:
        status = "running"
    else:
        status = "ok"
    return {
        "id": str(row.id),
        "agent": row.agent_name,
        "parentId": str(row.parent_id) if row.parent_id else None,
        "type": row.type.value,
        "name": row.name,
        "status": status,
        "startedAt": iso(row.started_at),
        "completedAt": iso(row.completed_at),
        "durationMs": row.duration_ms,
        "tokens": row.tokens_used,
        "error": row.error,
        "content": row.content,
        "metadata": row.metadata,
        "children": [],
    }


@method("reports.list", ReportsParams)
async def reports_list(s: ControlSession, p: ReportsParams) -> Any:
    await s.core.store.flush()
    rows = await s.core.store.read(
        lambda conn: queries.list_reports(conn, command_id=p.command_id, limit=p.limit)
    )
    return [to_dict(document(row)) for row in rows]


@method("reports.get", ReportParams)
async def reports_get(s: ControlSession, p: ReportParams) -> Any:
    """One report: its JSON view, with ``markdown`` when ``format`` is ``md``, ``html`` (a whole
    page, what a PDF prints) when it is ``html``."""
    await s.core.store.flush()
    row = await s.core.store.read(lambda conn: queries.get_report(conn, p.report_id))
    if row is None:
        raise CommandError(f"no report {p.report_id}")
    doc = document(row)
    view = to_dict(doc)
    if p.format == "md":
        view["markdown"] = to_markdown(doc)
    elif p.format == "html":
        view["html"] = to_html(doc)
    return view


@method("reports.resolve", ResolveParams)
async def reports_resolve(s: ControlSession, p: ResolveParams) -> Any:
    """The full id of the one report whose id starts with ``prefix`` (4+ hex digits)."""
    digits = prefix_digits(p.prefix, "report")
    await s.core.store.flush()
    found = await s.core.store.read(partial(queries.reports_with_id_prefix, digits=digits))
    return {"id": str(one_match(p.prefix, "report", digits, *found))}


def document(row: Row[Any]) -> ReportDocument:
    return ReportDocument(
        id=str(row.id),
        title=row.title,
        summary=row.summary or "",
        status=row.status.value,
        content=dict(row.content or {}),
        command_id=str(row.command_id),
        agent=row.agent_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
    )
