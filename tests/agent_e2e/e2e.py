"""Helpers for the agent end-to-end tests: the app's database, a control client, the stand-ins."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from onsembl_desktop.ctl.client import ControlClient
from tests.support import STANDINS, AppProcess, wait_for

T = TypeVar("T")
FINAL = ("COMPLETED", "FAILED", "CANCELLED")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def standin(cli: str, **env: str) -> dict[str, Any]:
    """``start_agent`` keyword arguments for an agent driving the stand-in ``cli``."""
    return {
        "extra_args": ["--cli", str(STANDINS / cli)],
        "env": {f"ONSEMBL_STANDIN_{k.upper()}": v for k, v in env.items()},
    }


def claude_run(text: str, sid: str, *, tool_call: bool = False) -> str:
    """A minimal Claude stream-json run (for a stand-in to replay) answering ``text``; with
    ``tool_call``, one tool call and its result come first (a trace tree)."""
    usage = {"input_tokens": 20, "output_tokens": 10}
    events: list[dict[str, Any]] = [
        {"type": "system", "subtype": "init", "session_id": sid, "model": "m", "tools": []}
    ]
    if tool_call:
        tool = {"type": "tool_use", "id": f"toolu_{sid[:8]}", "name": "Read", "input": {"p": "x"}}
        result = {"type": "tool_result", "tool_use_id": tool["id"], "content": "ok"}
        events += [
            {
                "type": "assistant",
                "session_id": sid,
                "parent_tool_use_id": None,
                "message": {"id": "msg_1", "model": "m", "role": "assistant", "content": [tool]},
            },
            {"type": "user", "session_id": sid, "message": {"role": "user", "content": [result]}},
        ]
    events += [
        {
            "type": "assistant",
            "session_id": sid,
            "parent_tool_use_id": None,
            "message": {
                "id": f"msg_{2 if tool_call else 1}",
                "model": "m",
                "role": "assistant",
                "content": [{"type": "text", "text": text}],
                "usage": usage,
            },
        },
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "result": text,
            "session_id": sid,
            "usage": usage,
            "total_cost_usd": 0.001,
        },
    ]
    return "\n".join(json.dumps(e) for e in events) + "\n"


def flat(text: str) -> str:
    """Without ANSI sequences, with all whitespace runs as one space."""
    return re.sub(r"\s+", " ", ANSI.sub("", text)).strip()


class Db:
    """Read-only look at the app's SQLite file (WAL: reads see every committed write)."""

    def __init__(self, app: AppProcess) -> None:
        self.path = app.data_dir / "onsembl.db"

    def rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            return con.execute(
                sql, [a.hex if isinstance(a, uuid.UUID) else a for a in args]
            ).fetchall()
        finally:
            con.close()

    def run(self, command_id: uuid.UUID) -> sqlite3.Row:
        (row,) = self.rows("SELECT * FROM command_runs WHERE command_id = ?", command_id)
        return row

    def output(self, command_id: uuid.UUID) -> str:
        rows = self.rows(
            "SELECT content FROM terminal_outputs WHERE command_id = ? ORDER BY sequence",
            command_id,
        )
        return "".join(r["content"] for r in rows)

    def traces(self, command_id: uuid.UUID) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM trace_entries WHERE command_id = ?", command_id)

    def audit(self, event_type: str, command_id: uuid.UUID) -> list[sqlite3.Row]:
        return self.rows(
            "SELECT * FROM audit_logs WHERE event_type = ? AND command_id = ?",
            event_type,
            command_id,
        )


def control(app: AppProcess, work: Callable[[ControlClient], Awaitable[T]]) -> T:
    """Run ``work`` with a control client of ``app`` (in this process: no ``ctl`` start-up)."""

    async def main() -> T:
        async with ControlClient(app.data_dir) as client:
            return await work(client)

    return asyncio.run(main())


async def send(client: ControlClient, agent: str, content: str, **params: Any) -> uuid.UUID:
    view = await client.call("commands.send", content=content, agents=[agent], **params)
    return uuid.UUID(view["id"])


def wait_final(db: Db, command_ids: list[uuid.UUID], timeout: float = 30.0) -> dict[uuid.UUID, str]:
    """Wait until every command has ended in the database; returns their statuses."""
    wanted = {cid.hex: cid for cid in command_ids}

    def done() -> dict[uuid.UUID, str] | None:
        marks = ",".join("?" * len(wanted))
        rows = db.rows(f"SELECT id, status FROM commands WHERE id IN ({marks})", *wanted)
        statuses = {wanted[r["id"]]: r["status"] for r in rows if r["status"] in FINAL}
        return statuses if len(statuses) == len(wanted) else None

    result: dict[uuid.UUID, str] = wait_for(done, timeout, 0.1)
    return result
