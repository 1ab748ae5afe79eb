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

NUL_STANDIN = "\ufffd"
_COPY_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": NUL_STANDIN}
)


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


def copy_text(rows: list[tuple[Any, ...]]) -> bytes:
    """terminal_outputs rows as stored in SQLite, as ``COPY ... FROM STDIN`` text."""
    lines = []
    for row in rows:
        fields = []
        for value in row:
            if value is None:
                fields.append("\\N")
            elif isinstance(value, str):
                fields.append(value.translate(_COPY_ESCAPES))
            else:
                fields.append(str(value))
        lines.append("\t".join(fields))
    lines.append("")
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
