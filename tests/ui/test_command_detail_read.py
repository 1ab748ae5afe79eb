"""The History page's command detail reads only the output it shows, however much is stored.

A real SQLite store holding ~40 MB of one command's output; the statements the read sends are
caught with SQLAlchemy's cursor event (nothing is stubbed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from onsembl_desktop.store import queries
from onsembl_desktop.store.db import DB_FILENAME, ensure_local_user, open_database
from onsembl_desktop.store.models import TerminalOutput
from onsembl_desktop.ui.presentation import reads

ROW = 64 * 1024
ROWS = 640  # 40 MiB stored
CUT = 2_000_000


def test_command_detail_reads_only_what_it_shows(tmp_path: Path) -> None:
    engine = open_database(tmp_path / DB_FILENAME)
    a, b, command_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    stored: list[tuple[int, str, uuid.UUID, str]] = []  # (seq, row id hex, agent, content)
    with engine.begin() as conn:
        user = ensure_local_user(conn)
        for agent_id, name in ((a, "big"), (b, "small")):
            queries.upsert_agent(conn, agent_id, {"name": name, "type": "CLAUDE"})
        runs = [
            {"id": uuid.uuid4(), "command_id": command_id, "agent_id": x, "status": "COMPLETED"}
            for x in (a, b)
        ]
        queries.insert_command(
            conn,
            {"id": command_id, "user_id": user, "content": "print a lot", "status": "COMPLETED"},
            runs,
        )
        rows = [(seq, a, f"{seq:06d} " + "x" * (ROW - 8) + "\n") for seq in range(1, ROWS + 1)]
        rows += [(seq, b, f"small {seq}\n") for seq in (1, 2, 3, ROWS + 5)]
        values = []
        for seq, agent_id, content in rows:
            row_id = uuid.uuid4()
            stored.append((seq, row_id.hex, agent_id, content))
            values.append(
                {
                    "id": row_id,
                    "command_id": command_id,
                    "agent_id": agent_id,
                    "content": content,
                    "timestamp": now,
                    "sequence": seq,
                }
            )
        conn.execute(insert(TerminalOutput), values)

    statements: list[tuple[str, Any]] = []

    def caught(_c: Any, _cur: Any, statement: str, params: Any, *_rest: Any) -> None:
        if "terminal_outputs" in statement:
            statements.append((statement, params))

    event.listen(engine, "after_cursor_execute", caught)
    with engine.connect() as conn:
        detail = reads.command_detail(conn, command_id, max_chars=CUT)
    event.remove(engine, "after_cursor_execute", caught)
    assert detail is not None

    # What was read: every output query has a LIMIT, and together they cover about what is shown.
    assert statements and all(" LIMIT " in s for s, _p in statements)
    limits = sum(p[-2] if len(p) > 1 and isinstance(p[-2], int) else 0 for _s, p in statements)
    assert limits <= CUT // ROW + reads.DETAIL_BATCH + 2 * len(statements), statements

    # What is shown: the oldest rows, in (seq, row id) order, to the first one past the cut.
    want: dict[uuid.UUID, str] = {a: "", b: ""}
    size = 0
    for _seq, _id, agent_id, content in sorted(stored):
        if size > CUT:
            break
        want[agent_id] += content
        size += len(content)
    for agent_id in (a, b):  # both have more stored after the cut
        text = detail.output[agent_id]
        body, sep, notice = text.rpartition("\r\n\x1b[2m… cut after ")
        assert sep and body == want[agent_id], agent_id
        assert notice.startswith(f"{size:,} characters")
    assert CUT < len(detail.output[a]) < CUT + ROW + 200
    engine.dispose()


def test_command_detail_shows_small_output_whole(tmp_path: Path) -> None:
    engine = open_database(tmp_path / DB_FILENAME)
    a, command_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        user = ensure_local_user(conn)
        queries.upsert_agent(conn, a, {"name": "one", "type": "CLAUDE"})
        run = {"id": uuid.uuid4(), "command_id": command_id, "agent_id": a, "status": "COMPLETED"}
        queries.insert_command(
            conn, {"id": command_id, "user_id": user, "content": "hi", "status": "COMPLETED"}, [run]
        )
        conn.execute(
            insert(TerminalOutput),
            [
                {
                    "id": uuid.uuid4(),
                    "command_id": command_id,
                    "agent_id": a,
                    "content": f"line {seq}\n",
                    "timestamp": now,
                    "sequence": seq,
                }
                for seq in range(1, 2 * reads.DETAIL_BATCH + 1)  # two full batches exactly
            ],
        )
    with engine.connect() as conn:
        detail = reads.command_detail(conn, command_id)
    assert detail is not None
    assert detail.output == {
        a: "".join(f"line {s}\n" for s in range(1, 2 * reads.DETAIL_BATCH + 1))
    }
    engine.dispose()
