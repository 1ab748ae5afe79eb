"""Full-text search over command content and terminal output (SQLite FTS5, local store only).

What is indexed: an agent's output for a command is cut into *complete lines*, stripped of ANSI
escape sequences, and stored in ``output_text`` blocks (up to ~16 KB, per stream and batch);
``output_fts`` is an external-content FTS5 index over those blocks, kept in step by triggers. The
unfinished last line of a stream is a block too, marked by its raw text in ``tail``, and replaced
as more output arrives. So a word split across two chunks, or a colour code split across two
chunks, is still found, and a search sees exactly what the writer has committed.
``command_fts`` indexes ``commands.content`` (triggers on ``commands``).

Searches match blocks with FTS5 (the command and agent ids are indexed too, so looking within one
command is a short list intersection), then pick the first matching lines out in Python.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

# Escape sequences all start with ESC, so the regex engine can jump from ESC to ESC.
_ESCAPES = re.compile(
    r"""\x1b(?:
        \[[0-?]*[\x20-/]*[@-~]            # CSI: colours, cursor moves, erases
      | \][^\x07\x1b]*(?:\x07|\x1b\\)     # OSC: titles, hyperlinks
      | [PX^_][^\x1b]*\x1b\\              # DCS, SOS, PM, APC strings
      | [\x20-/]*[0-~]                    # other escapes (charsets, keypad modes, ...)
    )""",
    re.VERBOSE,
)
# C0 controls and DEL, but \t \n \r (a stray ESC, which starts no complete sequence, goes too). A
# regex, not ``str.translate``: translate leaves its fast path on the first non-ASCII character
# (a box-drawing progress bar), and then runs at a fifth of the speed.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An escape sequence cut off by the end of the text (the rest is in the next chunk).
_UNFINISHED = re.compile(
    r"\x1b(?:\[[0-?]*[\x20-/]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|[\x20-/]*)\Z"
)
_WORD = re.compile(r"\w+")

# An unfinished line longer than this is indexed as if it ended (progress bars, binary noise).
MAX_TAIL_CHARS = 8192
# Complete lines are stored in blocks of about this size, so picking the matching lines out of a
# matching block stays cheap however much output one batch carried.
BLOCK_CHARS = 16384


def strip_ansi(text: str) -> str:
    """Text as a reader sees it: escape sequences and controls gone, each line after its last CR.

    Whole-string C passes (about 60 MB/s), not a Python step per line: this runs on the store
    writer's thread, and the event loop waits for the GIL while one of these passes runs.
    """
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    if "\r" in text:
        while "\r\n" in text:  # CR at a line's end (twice for CR CR LF)
            text = text.replace("\r\n", "\n")
        text = text.rstrip("\r")
        if "\r" in text:  # a line redrawn: what follows its last CR
            text = "\n".join(
                [line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n")]
            )
    return text


def stripped_blocks(text: str) -> list[str]:
    """``text`` cut into :func:`blocks` and each block stripped by :func:`strip_ansi`.

    Cut first, then stripped: each pass over a block holds the GIL for well under a millisecond,
    where one pass over a batch's whole text (megabytes, when the writer is behind) held the event
    loop up for tens of milliseconds.
    """
    return [strip_ansi(block) for block in blocks(text)]


def strip_partial(text: str) -> str:
    """:func:`strip_ansi` for an unfinished line, which may end inside an escape sequence."""
    unfinished = _UNFINISHED.search(text)
    if unfinished is not None:
        text = text[: unfinished.start()]
    return strip_ansi(text)


def split_complete(text: str) -> tuple[str, str]:
    """``(complete lines, unfinished rest)``; a rest over MAX_TAIL_CHARS counts as complete."""
    cut = text.rfind("\n") + 1
    complete, rest = text[:cut], text[cut:]
    if len(rest) > MAX_TAIL_CHARS:
        return text, ""
    return complete, rest


def blocks(text: str, size: int = BLOCK_CHARS) -> Iterator[str]:
    """``text`` (complete lines) in pieces of about ``size`` characters, cut after a newline."""
    start = 0
    while len(text) - start > size:
        cut = text.rfind("\n", start, start + size) + 1 or text.find("\n", start + size) + 1
        if cut == 0:
            break
        yield text[start:cut]
        start = cut
    if start < len(text):
        yield text[start:]


# --- queries -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """A user's search text, as an FTS5 query and as token sequences for picking lines."""

    fts: str
    terms: tuple[tuple[tuple[str, ...], bool], ...]  # (tokens, last token is a prefix)

    @classmethod
    def parse(cls, text: str) -> Query | None:
        """Every whitespace-separated word must match (quoted: no FTS5 syntax reaches SQLite).

        ``word*`` matches a prefix. Returns None when nothing searchable is left.
        """
        parts: list[str] = []
        terms: list[tuple[tuple[str, ...], bool]] = []
        for word in text.split():
            prefix = word.endswith("*") and len(word) > 1
            body = word.rstrip("*") if prefix else word
            tokens = tuple(t.lower() for t in _WORD.findall(body))
            if not tokens:
                continue
            quoted = '"' + body.replace('"', '""') + '"'
            parts.append(quoted + ("*" if prefix else ""))
            terms.append((tokens, prefix))
        if not parts:
            return None
        return cls(" AND ".join(parts), tuple(terms))

    def matches_line(self, line: str) -> bool:
        """Whether any term occurs in the line (tokens in a row, as FTS5 matches a phrase)."""
        tokens = [t.lower() for t in _WORD.findall(line)]
        return any(_contains(tokens, want, prefix) for want, prefix in self.terms)


def _contains(tokens: Sequence[str], want: tuple[str, ...], prefix: bool) -> bool:
    n = len(want)
    for i in range(len(tokens) - n + 1):
        if all(tokens[i + k] == want[k] for k in range(n - 1)):
            last = tokens[i + n - 1]
            if last == want[-1] or (prefix and last.startswith(want[-1])):
                return True
    return False


# --- history -------------------------------------------------------------------------------------


@dataclass(slots=True)
class HistoryEntry:
    command: Any  # a commands row
    runs: list[Any] = field(default_factory=list)  # (command_id, agent_id, status, name) rows
    lines: list[tuple[str, str]] = field(default_factory=list)  # (agent name, line), in order
    more: bool = False  # more matching lines than were asked for


def history(
    conn: Connection,
    *,
    search: str | None = None,
    agent_id: uuid.UUID | None = None,
    limit: int = 50,
    max_lines: int = 20,
) -> list[HistoryEntry]:
    """Commands newest first; with ``search``, those whose content or output matches, with
    their first ``max_lines`` matching output lines (from ``agent_id`` only, if given)."""
    entries, _ = history_page(
        conn, search=search, agent_id=agent_id, limit=limit, max_lines=max_lines
    )
    return entries


def history_page(
    conn: Connection,
    *,
    search: str | None = None,
    agent_id: uuid.UUID | None = None,
    before: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
    max_lines: int = 20,
    max_chars: int | None = None,
) -> tuple[list[HistoryEntry], bool]:
    """One page of :func:`history`, and whether more entries follow it.

    Newest first by ``(created_at, id)``; ``before`` (the last entry's ``(created_at, id)``)
    continues after that entry. A page ends after ``limit`` entries or, with ``max_chars``, once
    its content and matching lines pass that many characters (at least one entry).
    """
    query = Query.parse(search) if search else None
    if search and query is None:
        return [], False
    candidates: set[str] | None = None
    if query is not None:
        candidates = _matching_commands(conn, query, agent_id)
    commands = _newest(conn, candidates, agent_id, before, limit + 1)
    more = len(commands) > limit
    commands = commands[:limit]
    if not commands:
        return [], False
    runs = _runs(conn, [c.id.hex for c in commands])
    entries: list[HistoryEntry] = []
    names: dict[str, str] = {}
    chars = 0
    for command in commands:
        entry = HistoryEntry(command, runs.get(command.id.hex, []))
        if query is not None:
            _pick_lines(conn, entry, query, agent_id, max_lines, names)
        size = len(command.content or "") + sum(len(line) for _, line in entry.lines)
        if max_chars is not None and entries and chars + size > max_chars:
            return entries, True  # this entry starts the next page
        entries.append(entry)
        chars += size
    return entries, more


def _output_match(query: Query, command_hex: str | None, agent_id: uuid.UUID | None) -> str:
    """An FTS5 expression: the words in the text, within one command and agent if given."""
    parts = [f"text : ({query.fts})"]
    if command_hex is not None:
        parts.append(f'command_id : "{command_hex}"')
    if agent_id is not None:
        parts.append(f'agent_id : "{agent_id.hex}"')
    return " AND ".join(parts)


def _matching_commands(conn: Connection, query: Query, agent_id: uuid.UUID | None) -> set[str]:
    found = set(
        conn.exec_driver_sql(
            "SELECT command_id FROM command_fts WHERE command_fts MATCH ?", (query.fts,)
        ).scalars()
    )
    # command_id precedes text in a row, so this never reads the (long) text itself.
    found.update(
        conn.exec_driver_sql(
            "SELECT DISTINCT o.command_id FROM output_fts JOIN output_text AS o "
            "ON o.id = output_fts.rowid WHERE output_fts MATCH ?",
            (_output_match(query, None, agent_id),),
        ).scalars()
    )
    return found


def _pick_lines(
    conn: Connection,
    entry: HistoryEntry,
    query: Query,
    agent_id: uuid.UUID | None,
    max_lines: int,
    names: dict[str, str],
) -> None:
    """The command's first matching lines, reading matching blocks only until there are enough."""
    found = conn.exec_driver_sql(
        "SELECT o.agent_id, o.text FROM output_fts JOIN output_text AS o "
        "ON o.id = output_fts.rowid WHERE output_fts MATCH ? ORDER BY output_fts.rowid",
        (_output_match(query, entry.command.id.hex, agent_id),),
    )
    for agent_hex, text in found:
        if agent_hex not in names:
            names.update(_agent_names(conn, [agent_hex]))
        for line in text.split("\n"):
            if line.strip() and query.matches_line(line):
                if len(entry.lines) == max_lines:
                    entry.more = True
                    return
                entry.lines.append((names.get(agent_hex, agent_hex), line))


def _newest(
    conn: Connection,
    candidates: set[str] | None,
    agent_id: uuid.UUID | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """Up to ``limit`` commands, newest first by ``(created_at, id)``, after ``before``."""
    from sqlalchemy import and_, or_, select

    from .models import Command, CommandRun

    query = select(Command).order_by(Command.created_at.desc(), Command.id.desc())
    if agent_id is not None:
        query = query.where(
            select(CommandRun.id)
            .where(CommandRun.command_id == Command.id, CommandRun.agent_id == agent_id)
            .exists()
        )
    if before is not None:
        at, last = before
        query = query.where(
            or_(Command.created_at < at, and_(Command.created_at == at, Command.id < last))
        )
    if candidates is None:
        return list(conn.execute(query.limit(limit)))
    rows: list[Any] = []
    for chunk in _chunks(sorted(candidates), 500):
        rows.extend(
            conn.execute(query.where(Command.id.in_([uuid.UUID(c) for c in chunk])).limit(limit))
        )
        rows.sort(key=lambda r: (r.created_at, r.id.hex), reverse=True)
        del rows[limit:]  # only a page's worth (and a chunk) is ever held
    return rows


def _runs(conn: Connection, command_hexes: list[str]) -> dict[str, list[Any]]:
    from sqlalchemy import select

    from .models import Agent, CommandRun

    result: dict[str, list[Any]] = {}
    for chunk in _chunks(command_hexes, 500):
        rows = conn.execute(
            select(CommandRun.command_id, CommandRun.agent_id, CommandRun.status, Agent.name)
            .join(Agent, Agent.id == CommandRun.agent_id)
            .where(CommandRun.command_id.in_([uuid.UUID(c) for c in chunk]))
            .order_by(Agent.name)
        )
        for row in rows:
            result.setdefault(row.command_id.hex, []).append(row)
    return result


def _agent_names(conn: Connection, agent_hexes: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for chunk in _chunks(agent_hexes, 500):
        rows = conn.exec_driver_sql(
            f"SELECT id, name FROM agents WHERE id IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        )
        names.update({row[0]: row[1] for row in rows})
    return names


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- indexing rows that did not come through the writer (migration, restore) ---------------------


def index_outputs(conn: Connection, rows: Iterable[tuple[str, str, str, str]]) -> int:
    """Index ``(command_hex, agent_hex, content, stored timestamp)`` rows, in order, as finished.

    For output the writer never saw (a migrated database, restored archives): each stream's text
    is stored complete, its unfinished last line included, stamped with its first row's time (as
    the writer stamps blocks when it writes their rows; retention deletes them by that stamp).
    """
    streams: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for command_hex, agent_hex, content, stamp in rows:
        streams.setdefault((command_hex, agent_hex), (stamp, []))[1].append(content)
    rows_out = [
        (command_hex, agent_hex, piece, stamp)
        for (command_hex, agent_hex), (stamp, parts) in streams.items()
        for piece in stripped_blocks("".join(parts))
    ]
    conn.exec_driver_sql(
        "INSERT INTO output_text (command_id, agent_id, text, created_at) VALUES (?, ?, ?, ?)",
        rows_out,
    )
    return len(rows_out)
