"""Archive files of old terminal output, in ``DATA_DIR/archive/``, and restoring them.

A file is gzip-compressed JSON Lines (``zcat FILE | head`` shows it):

1. a header: ``{"format": "onsembl-archive", "version": 1, "table": ..., "columns": [...], ...}``
2. one row per line: a JSON array of the values exactly as SQLite stores them (UUIDs as hex text,
   times as text, flags as 0/1); bytes, if any, as ``{"$bytes": base64}``
3. a trailer: ``{"end": true, "rows": N, "sha256": ...}`` over the row lines, so a truncated or
   damaged file is refused instead of half-restored.

Restoring inserts those same values, so restored rows equal the archived ones byte for byte.
Files are written to a temporary name, flushed to disk, then renamed: a crash never leaves a file
that looks complete but is not.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ..errors import KnownError
from .search import index_outputs

ARCHIVE_DIR = "archive"
FORMAT = "onsembl-archive"
VERSION = 1


class ArchiveError(KnownError):
    """An archive file cannot be read or restored."""


@dataclass(frozen=True, slots=True)
class RestoreResult:
    path: Path
    rows: int  # in the file
    restored: int  # inserted
    present: int  # already in the database
    orphaned: int  # their command or agent no longer exists


def write_archive(
    path: Path, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], **meta: Any
) -> int:
    """Write ``rows`` to a new archive file at ``path``; returns how many were written."""
    tmp = path.with_name(f".{path.name}.tmp")
    digest = hashlib.sha256()
    count = 0
    header = {"format": FORMAT, "version": VERSION, "table": table, "columns": list(columns)}
    try:
        # 0600 like everything in the data dir: archives hold terminal output.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                gz.write(_line({**header, **meta}))
                for row in rows:
                    line = _line([_encode(v) for v in row])
                    digest.update(line)
                    gz.write(line)
                    count += 1
                gz.write(_line({"end": True, "rows": count, "sha256": digest.hexdigest()}))
            raw.flush()
            os.fsync(raw.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return count


def read_archive(path: Path) -> tuple[dict[str, Any], list[list[Any]]]:
    """The header and rows of an archive file, after checking it is whole."""
    try:
        with gzip.open(path, "rb") as gz:
            lines = gz.read().splitlines(keepends=True)
    except (OSError, EOFError) as exc:
        raise ArchiveError(f"{path} is not a readable archive: {exc}") from None
    if len(lines) < 2:
        raise ArchiveError(f"{path} is not an Onsembl archive (too short)")
    header = _parse(path, lines[0])
    trailer = _parse(path, lines[-1])
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError(f"{path} is not an Onsembl archive")
    if header.get("version") != VERSION:
        raise ArchiveError(
            f"{path} is archive format version {header.get('version')}; this Onsembl Desktop "
            f"reads version {VERSION}. Upgrade Onsembl Desktop."
        )
    body = lines[1:-1]
    digest = hashlib.sha256(b"".join(body)).hexdigest()
    if not (
        isinstance(trailer, dict)
        and trailer.get("end") is True
        and trailer.get("rows") == len(body)
        and trailer.get("sha256") == digest
    ):
        raise ArchiveError(f"{path} is incomplete or damaged (its checksum does not match)")
    return header, [[_decode(v) for v in _parse(path, line)] for line in body]


def restore_archive(conn: Connection, path: Path) -> RestoreResult:
    """Put an archive's rows back (those not already there); they become searchable again.

    Restored rows lie before the retention job's deletion mark, so they stay until removed by
    hand (the job only deletes rows it has not deleted before).
    """
    header, rows = read_archive(path)
    return insert_restored(conn, path, header, rows)


def insert_restored(
    conn: Connection, path: Path, header: dict[str, Any], rows: list[list[Any]]
) -> RestoreResult:
    """The writing half of :func:`restore_archive`, for rows already read."""
    table = header["table"]
    columns: list[str] = header["columns"]
    if table != "terminal_outputs":
        raise ArchiveError(f"{path} holds {table!r} rows; only terminal_outputs can be restored")
    current = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
    missing = [c for c in columns if c not in current]
    if missing:
        raise ArchiveError(f"{path} has columns this database lacks: {', '.join(missing)}")
    col = {name: i for i, name in enumerate(columns)}
    present = existing_ids(conn, "terminal_outputs", "id", [r[col["id"]] for r in rows])
    commands = existing_ids(conn, "commands", "id", [r[col["command_id"]] for r in rows])
    agents = existing_ids(conn, "agents", "id", [r[col["agent_id"]] for r in rows])
    fresh = [r for r in rows if r[col["id"]] not in present]
    keep = [r for r in fresh if r[col["command_id"]] in commands and r[col["agent_id"]] in agents]
    if keep:
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(r) for r in keep],
        )
        ordered = sorted(keep, key=lambda r: (r[col["command_id"]], r[col["sequence"]]))
        index_outputs(
            conn,
            (
                (r[col["command_id"]], r[col["agent_id"]], r[col["content"]], r[col["timestamp"]])
                for r in ordered
            ),
        )
    return RestoreResult(path, len(rows), len(keep), len(rows) - len(fresh), len(fresh) - len(keep))


def archive_files(archive_dir: Path) -> list[Path]:
    return sorted(archive_dir.glob("*.jsonl.gz")) if archive_dir.is_dir() else []


def existing_ids(conn: Connection, table: str, column: str, values: list[Any]) -> set[Any]:
    """Which of ``values`` the table's ``column`` holds (in chunks within SQLite's limits)."""
    found: set[Any] = set()
    unique = sorted(set(values))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        sql = f"SELECT {column} FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})"
        found.update(conn.exec_driver_sql(sql, tuple(chunk)).scalars())
    return found


def _line(value: Any) -> bytes:
    # ASCII-escaped JSON: any str SQLite handed us round-trips exactly.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$bytes"}:
        return base64.b64decode(value["$bytes"])
    return value


def _parse(path: Path, line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise ArchiveError(f"{path} is damaged (a line is not JSON)") from None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (Windows); the rename is still atomic
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
