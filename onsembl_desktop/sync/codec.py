"""Rows between the two stores: SQLite (as SQLAlchemy reads and writes it) and PostgreSQL.

Pushing: a table's rows go as one JSON array that PostgreSQL turns into rows itself
(``jsonb_populate_recordset``): one statement per table and batch, whatever the types. Terminal
output goes by ``COPY`` in text format, built straight from the values SQLite stores (hex UUIDs,
naive-UTC times, 0/1 flags), which PostgreSQL reads as they are (the session is in UTC).

PostgreSQL text cannot hold the NUL character, which SQLite can: it is sent as U+FFFD, the one
way in which a remote copy may differ from the local row.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from ..store.models import Base
from ..store.outputs import OUTPUT_COLUMNS

NUL_STANDIN = "\ufffd"
# copy_text knows the columns by position.
assert OUTPUT_COLUMNS[4] == "content" and OUTPUT_COLUMNS[9] == "raw" and len(OUTPUT_COLUMNS) == 10


def table(name: str) -> Table:
    found = Base.metadata.tables[name]
    assert isinstance(found, Table)
    return found


# --- pushing -------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", NUL_STANDIN) if "\x00" in value else value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {_json_value(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def row_to_json(tbl: Table, row: Any) -> dict[str, Any]:
    """A row read through SQLAlchemy, as a JSON object keyed by the database's column names."""
    mapping = row._mapping
    return {column.name: _json_value(mapping[column]) for column in tbl.columns}


def rows_json(rows: list[dict[str, Any]] | dict[str, Any]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def _escape(text: str) -> str:
    # Four passes in C beat one translate() through a dict: most chunks end in a newline.
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    text = text.replace("\t", "\\t")
    return text.replace("\x00", NUL_STANDIN) if "\x00" in text else text


def copy_text(rows: list[tuple[Any, ...]]) -> bytes:
    """terminal_outputs rows as stored in SQLite (``OUTPUT_COLUMNS`` order), as ``COPY ... FROM
    STDIN`` text. Only content and raw can hold what text format must escape."""
    lines: list[str] = []
    append = lines.append
    for r in rows:
        raw = r[9]
        append(
            f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{_escape(r[4])}\t{r[5]}\t{r[6]}\t{r[7]}\t{r[8]}\t"
            + ("\\N" if raw is None else _escape(raw))
        )
    append("")
    return "\n".join(lines).encode("utf-8", "replace")


# --- pulling -------------------------------------------------------------------------------------


def _local_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_local_value(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)  # inside JSON arrays (commands.target_agents): as the core stores them
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    return value


def from_remote(tbl: Table, record: dict[str, Any]) -> dict[str, Any]:
    """A row psycopg read (by column name), as values for a SQLAlchemy insert (by column key)."""
    values: dict[str, Any] = {}
    for column in tbl.columns:
        value = record.get(column.name)
        if isinstance(value, list | ipaddress.IPv4Address | ipaddress.IPv6Address):
            value = _local_value(value)
        values[column.key] = value
    return values


def json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Values (by column key) fit for an audit record's details."""
    return {k: _json_value(v) for k, v in values.items()}
