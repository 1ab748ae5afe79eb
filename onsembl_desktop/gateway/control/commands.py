"""Control methods for agents and commands: list, send, resolve an id's prefix, show, cancel,
watch."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import Annotated, Any

import msgspec
from sqlalchemy import Connection, and_, func, or_, select
from websockets.exceptions import ConnectionClosed

from ...core.commands import CommandError
from ...core.events import CommandChanged, OutputReceived
from ...core.records import Limits
from ...core.sending import SendRequest
from ...core.service import Core
from ...protocol import control as c
from ...store import queries
from ...store.models import TerminalOutput
from ...words import first_line
from ..views import agent_view, command_view, iso
from .endpoint import ControlSession, method

# --- methods -------------------------------------------------------------------------------------


@method("agents.list", c.NoParams)
async def agents_list(s: ControlSession, _p: c.NoParams) -> Any:
    return [agent_view(a) for a in s.core.agents.all()]


@method("commands.send", c.SendParams)
async def commands_send(s: ControlSession, p: c.SendParams) -> Any:
    return command_view(s.core.send(send_request(s, p, content=p.content, type=p.type)))


@method("commands.sendPreset", c.SendPresetParams)
async def commands_send_preset(s: ControlSession, p: c.SendPresetParams) -> Any:
    request = send_request(s, p, preset=p.preset, variables=p.variables, type=p.type)
    return command_view(s.core.send(request))


def send_request(s: ControlSession, p: c.SendOptions, **what: Any) -> SendRequest:
    """The core's SendRequest for these params (agents by name, limits, profile)."""
    ids = []
    for name in p.agents:
        agent = s.core.agents.by_name(name)
        if agent is None:
            raise CommandError(f"no agent named {name!r}")
        ids.append(agent.id)
    limits = Limits(p.time_limit_ms, p.token_budget, p.memory_limit_mb, p.cpu_limit_percent)
    return SendRequest(
        agents=ids,
        broadcast=p.all,
        priority=p.priority,
        profile=p.profile,
        limits=limits,
        fail_if_offline=p.fail_if_offline,
        **what,
    )


@method("commands.cancel", c.CommandIdParams)
async def commands_cancel(s: ControlSession, p: c.CommandIdParams) -> Any:
    return command_view(s.core.commands.cancel(p.command_id))


class ResolveParams(c.Params, kw_only=True):
    """``commands.resolve`` / ``reports.resolve``: the full id of the one command (report) whose
    id starts with ``prefix``."""

    prefix: Annotated[str, msgspec.Meta(max_length=64)]


@method("commands.resolve", ResolveParams)
async def commands_resolve(s: ControlSession, p: ResolveParams) -> Any:
    return {"id": str(await resolve_command_id(s.core, p.prefix))}


MIN_PREFIX_DIGITS = 4
_HEX = frozenset("0123456789abcdef")


async def resolve_command_id(core: Core, prefix: str) -> uuid.UUID:
    """The id of the one command, open or finished, whose id starts with ``prefix``: a full id or
    at least :data:`MIN_PREFIX_DIGITS` of its hex digits (dashes optional, any case). A
    KnownError names the candidates when there are several, and says so when there are none."""
    digits = prefix_digits(prefix, "command")
    await core.store.flush()  # a command just sent is in the database too
    found = await core.store.read(partial(queries.commands_with_id_prefix, digits=digits))
    return one_match(prefix, "command", digits, *found)


def prefix_digits(prefix: str, what: str) -> str:
    """The hex digits of an id's prefix (dashes dropped, lowercase), or a KnownError saying why
    it cannot name a ``what``."""
    digits = prefix.strip().lower().replace("-", "")
    if not digits or len(digits) > 32 or not _HEX.issuperset(digits):
        raise CommandError(f"no {what} id starts with {prefix!r}")
    if len(digits) < MIN_PREFIX_DIGITS:
        raise CommandError(
            f"{prefix!r} is too short: give at least {MIN_PREFIX_DIGITS} hex digits of the id"
        )
    return digits


def one_match(
    prefix: str, what: str, digits: str, count: int, matches: list[queries.IdMatch]
) -> uuid.UUID:
    """The one id found, or a KnownError naming none or the candidates."""
    if count == 1:
        return matches[0].id
    if count == 0:
        raise CommandError(f"no {what} id starts with {prefix!r}")
    shown = _short_ids([m.id.hex for m in matches], len(digits))
    listed = ", ".join(
        f"{short} ({', '.join([*m.agents, repr(first_line(m.content, width=40))])})"
        for short, m in zip(shown, matches, strict=True)
    )
    more = f", and {count - len(matches)} more" if count > len(matches) else ""
    raise CommandError(f"{prefix!r} matches {count} {what}s: {listed}{more} — give more of the id")


def _short_ids(ids: list[str], given: int) -> list[str]:
    """The ids cut to 8 digits, or to as many as tell them apart (past the ``given`` ones)."""
    width = max(8, given + 1)
    while width < 32 and len({i[:width] for i in ids}) < len(ids):
        width += 1
    return [i[:width] for i in ids]


class ShowParams(c.Params, kw_only=True):
    """``commands.show``: a command and one page of its stored output.

    Output comes in ``(seq, row id)`` order; ``afterSeq`` + ``afterId`` (both from the previous
    reply's ``next``) continue after the last row read. A page ends after ``limit`` rows or
    :data:`SHOW_PAGE_CHARS` characters (at least one row), so no reply outgrows a control message
    however much a command printed.
    """

    command_id: uuid.UUID
    after_seq: Annotated[int, msgspec.Meta(ge=0)] | None = None  # None: from the first row
    after_id: uuid.UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000


# JSON may spell a character in up to 6 bytes (a control character: \u001b), and an output row
# holds at most one agent message (1 MiB): a page of this many characters plus its last row, and
# the command itself, stay well under c.MAX_REPLY_BYTES.
SHOW_PAGE_CHARS = 1 << 20


@method("commands.show", ShowParams)
async def commands_show(s: ControlSession, p: ShowParams) -> Any:
    return await show_command(s.core, p)


async def show_command(core: Core, p: ShowParams) -> dict[str, Any]:
    """A command with its runs (from memory if open, else from the database) and a page of its
    stored output; ``next`` is the cursor of the following page, None after the last one."""
    if (p.after_seq is None) != (p.after_id is None):
        raise CommandError("afterSeq and afterId go together (both from the last reply's next)")
    view, names = await _summary(core, p.command_id)
    outputs, more = await core.store.read(partial(_output_page, p=p))
    view["output"] = [_output_view(names.get(o.agent_id, str(o.agent_id)), o) for o in outputs]
    last = outputs[-1] if outputs else None
    view["next"] = {"afterSeq": last.sequence, "afterId": str(last.id)} if more and last else None
    return view


def _output_page(conn: Connection, p: ShowParams) -> tuple[list[Any], bool]:
    """The rows after the cursor, up to the page's size; and whether more follow."""
    o = TerminalOutput
    query = select(o.id, o.agent_id, o.sequence, o.stream_type, o.content, o.timestamp).where(
        o.command_id == p.command_id
    )
    if p.after_seq is not None and p.after_id is not None:
        query = query.where(
            or_(o.sequence > p.after_seq, and_(o.sequence == p.after_seq, o.id > p.after_id))
        )
    result = conn.execute(query.order_by(o.sequence, o.id))
    page: list[Any] = []
    chars = 0
    try:
        for row in result:  # fetched as iterated: only this page is ever in memory
            if len(page) == p.limit or (page and chars + len(row.content) > SHOW_PAGE_CHARS):
                return page, True
            page.append(row)
            chars += len(row.content)
        return page, False
    finally:
        result.close()


async def _summary(core: Core, command_id: uuid.UUID) -> tuple[dict[str, Any], dict[Any, str]]:
    """A command and its runs, without output; and its agents (id -> name)."""
    await core.store.flush()

    def load(conn: Any) -> tuple[Any, list[Any]]:
        return queries.get_command(conn, command_id), queries.get_runs(conn, command_id)

    row, runs = await core.store.read(load)
    return _view(core, command_id, row, runs), {r.agent_id: r.agent_name for r in runs}


def _view(core: Core, command_id: uuid.UUID, row: Any, runs: list[Any]) -> dict[str, Any]:
    live = core.commands.get(command_id)
    if live is not None:
        return command_view(live)
    if row is not None:
        return stored_command_view(row, runs)
    raise CommandError(f"no command {command_id}")


def _output_view(agent: str, o: Any) -> dict[str, Any]:
    return {
        "agent": agent,
        "seq": o.sequence,
        "stream": o.stream_type.value,
        "data": o.content,
        "timestamp": iso(o.timestamp),
    }


def stored_command_view(cmd: Any, runs: list[Any]) -> dict[str, Any]:
    return {
        "id": str(cmd.id),
        "content": cmd.content,
        "type": cmd.type.value,
        "status": cmd.status.value,
        "priority": cmd.priority,
        "broadcast": cmd.broadcast,
        "constraints": cmd.execution_constraints,
        "createdAt": iso(cmd.created_at),
        "startedAt": iso(cmd.started_at),
        "completedAt": iso(cmd.completed_at),
        "error": cmd.error,
        "runs": [
            {
                "agentId": str(r.agent_id),
                "agent": r.agent_name,
                "status": r.status.value,
                "exitCode": r.exit_code,
                "error": r.error,
                "reason": r.reason,
                "tokens": {
                    "input": r.input_tokens,
                    "output": r.output_tokens,
                    "cached": r.cached_tokens,
                    "total": r.total_tokens,
                    "costUsd": r.cost_usd,
                },
                "startedAt": iso(r.started_at),
                "completedAt": iso(r.completed_at),
                "queuePosition": None,
            }
            for r in runs
        ],
    }


@method("commands.watch", c.SubscribeParams)
async def commands_watch(s: ControlSession, p: c.SubscribeParams) -> Any:
    """Stream a command's output (stored first, then live) and end with a ``done`` event.

    The stored output is read a page at a time, and at the end only what came after the last
    output sent is read again: never the whole output per event or per page (a long command's
    output would be decoded over and over, holding the loop's GIL while agents wait for acks).
    """
    core = s.core
    queue: asyncio.Queue[OutputReceived | CommandChanged] = asyncio.Queue()

    def on_output(ev: OutputReceived) -> None:
        if ev.command_id == p.command_id:
            queue.put_nowait(ev)

    def on_command(ev: CommandChanged) -> None:
        if ev.command.id == p.command_id:
            queue.put_nowait(ev)

    unsubscribe = [
        core.bus.subscribe(OutputReceived, on_output),
        core.bus.subscribe(CommandChanged, on_command),
    ]

    async def stream() -> None:
        try:
            sent: dict[uuid.UUID, int] = {}  # agent -> highest seq sent (or seen)
            view, agents = await _summary(core, p.command_id)
            if p.from_start:
                await _replay_stored(s, core, p.command_id, agents, sent)
            else:  # only what comes from now on; what is stored already counts as seen
                sent.update(await core.store.read(partial(_last_seqs, command_id=p.command_id)))
            status = view["status"]
            while status not in ("COMPLETED", "FAILED", "CANCELLED"):
                ev = await queue.get()
                if isinstance(ev, OutputReceived):
                    await _emit_live(s, ev, sent)
                else:
                    status = ev.command.status.value
            while not queue.empty():
                ev = queue.get_nowait()
                if isinstance(ev, OutputReceived):
                    await _emit_live(s, ev, sent)
            # Output committed after the last event we saw is still delivered: read the rest.
            final, agents = await _summary(core, p.command_id)
            await _replay_stored(s, core, p.command_id, agents, sent)
            await s.send(c.ControlEvent(event="done", data=final))
        except ConnectionClosed:
            pass
        finally:
            for unsub in unsubscribe:
                unsub()

    view = core.commands.get(p.command_id)
    task = asyncio.get_running_loop().create_task(stream())
    s.tasks.add(task)
    task.add_done_callback(s.tasks.discard)
    return {"watching": str(p.command_id), "status": view.status.value if view else None}


WATCH_PAGE_ROWS = 500


async def _replay_stored(
    s: ControlSession,
    core: Core,
    command_id: uuid.UUID,
    agents: dict[uuid.UUID, str],
    sent: dict[uuid.UUID, int],
) -> None:
    """Each agent's stored output after what was sent, a page at a time."""
    for agent_id, name in agents.items():
        while True:
            page = await core.store.read(
                partial(
                    queries.get_outputs,
                    command_id=command_id,
                    agent_id=agent_id,
                    after_seq=sent.get(agent_id, 0),
                    limit=WATCH_PAGE_ROWS,
                )
            )
            for o in page:
                await _emit_output(
                    s, agent_id, name, o.sequence, o.content, o.stream_type.value, sent
                )
            if len(page) < WATCH_PAGE_ROWS:
                break


def _last_seqs(conn: Connection, command_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """The highest stored output seq of each of the command's agents."""
    rows = conn.execute(
        select(TerminalOutput.agent_id, func.max(TerminalOutput.sequence))
        .where(TerminalOutput.command_id == command_id)
        .group_by(TerminalOutput.agent_id)
    )
    return {agent_id: seq for agent_id, seq in rows}


async def _emit_live(s: ControlSession, ev: OutputReceived, sent: dict[uuid.UUID, int]) -> None:
    await _emit_output(s, ev.agent_id, ev.agent_name, ev.seq, ev.data, ev.stream.value, sent)


async def _emit_output(
    s: ControlSession,
    agent_id: uuid.UUID,
    agent: str,
    seq: int,
    data: str,
    stream: str,
    sent: dict[uuid.UUID, int],
) -> None:
    if seq <= sent.get(agent_id, 0):
        return
    sent[agent_id] = seq
    await s.send(
        c.ControlEvent(
            event="output", data={"agent": agent, "seq": seq, "data": data, "stream": stream}
        )
    )
