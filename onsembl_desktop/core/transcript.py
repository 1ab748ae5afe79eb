"""An agent's terminal transcript: each command's header, its output, and a closing line.

The same formatting serves live output and a rebuild from the database, so a restarted app shows
the earlier commands exactly as they looked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ..protocol.enums import CommandStatus
from ..store.models import Command, CommandRun, TerminalOutput
from ..words import duration

DIM, BOLD, RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"
STATUS_SGR = {
    CommandStatus.COMPLETED: "\x1b[32m",
    CommandStatus.FAILED: "\x1b[31m",
    CommandStatus.CANCELLED: "\x1b[33m",
}
# The marks of the app's own lines: WGL4 glyphs (the set Consolas and Menlo cover; DejaVu Sans Mono
# has them too), as the adapters' markers (agent/adapters/_render.py), so none is painted as a box.
MARK_COMMAND = "›"  # in front of a command's first line (U+203A)
MARK_END = "■"  # the command's closing line


def header(content: str, when: datetime | None) -> str:
    first, _, rest = content.strip().partition("\n")
    more = " …" if rest else ""
    stamp = when.astimezone().strftime("%H:%M:%S") if when else ""
    return f"\r\n{DIM}{stamp}{RESET} \x1b[1;36m{MARK_COMMAND}{RESET} {BOLD}{first}{more}{RESET}\r\n"


def footer(
    status: CommandStatus,
    exit_code: int | None,
    error: str | None,
    started: datetime | None,
    completed: datetime | None,
) -> str:
    parts = [status.value.lower()]
    if exit_code is not None:
        parts.append(f"exit {exit_code}")
    if started and completed:
        # "ran": the run's wall time by the app's clock (an AI CLI's own count of its time,
        # on its last line above, can differ: it leaves out its start-up, or was recorded).
        parts.append(f"ran {duration((completed - started).total_seconds())}")
    if error and status is not CommandStatus.COMPLETED:
        parts.append(error)
    color = STATUS_SGR.get(status, DIM)
    return f"\r\n{color}{MARK_END}{RESET} {DIM}{' · '.join(parts)}{RESET}\r\n"


@dataclass(slots=True)
class TranscriptCommand:
    command_id: uuid.UUID
    text: str
    last_seq: int = 0
    final: bool = False
    chunks: list[str] = field(default_factory=list)


def load_agent_transcript(
    conn: Connection, agent_id: uuid.UUID, *, max_commands: int = 30, max_chars: int = 2_000_000
) -> list[TranscriptCommand]:
    """The agent's most recent commands, oldest first, as terminal text (bounded in size)."""
    runs = conn.execute(
        select(
            CommandRun.command_id,
            CommandRun.status,
            CommandRun.exit_code,
            CommandRun.error,
            CommandRun.started_at,
            CommandRun.completed_at,
            Command.content,
        )
        .join(Command, Command.id == CommandRun.command_id)
        .where(CommandRun.agent_id == agent_id, CommandRun.started_at.is_not(None))
        .order_by(CommandRun.started_at.desc())
        .limit(max_commands)
    ).all()
    result: list[TranscriptCommand] = []
    budget = max_chars
    for run in runs:
        if budget <= 0:
            break
        item = TranscriptCommand(run.command_id, "")
        outputs: list[Any] = list(
            conn.execute(
                select(TerminalOutput.sequence, TerminalOutput.content)
                .where(
                    TerminalOutput.command_id == run.command_id,
                    TerminalOutput.agent_id == agent_id,
                )
                .order_by(TerminalOutput.sequence)
            )
        )
        body = [o.content for o in outputs]
        size = sum(len(b) for b in body)
        while body and size > budget:  # keep the end of an oversized output
            size -= len(body.pop(0))
        budget -= size
        item.last_seq = outputs[-1].sequence if outputs else 0
        item.chunks = [header(run.content, run.started_at), *body]
        if run.status.is_final:
            item.final = True
            item.chunks.append(
                footer(run.status, run.exit_code, run.error, run.started_at, run.completed_at)
            )
        item.text = run.content
        result.append(item)
    result.reverse()
    return result
