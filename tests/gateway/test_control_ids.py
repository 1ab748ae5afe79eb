"""Command ids on the command line: a full id, or a unique prefix of any command's id (open or
finished; 4+ hex digits, dashes optional), resolved by the app (``commands.resolve``) for every
``onsembl ctl`` subcommand that takes one.

The real CLI, in its own process, against the real app (port 0) with its real store.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any

from sqlalchemy import Connection, event

from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus, CommandType
from onsembl_desktop.store import queries
from onsembl_desktop.store.types import utcnow
from tests.support import env_for_children

from .conftest import Live, submit

# Finished commands (as history holds them) whose ids share their first four digits.
SHARED = [
    uuid.UUID("53ec1111-0000-4000-8000-000000000001"),
    uuid.UUID("53ec2222-0000-4000-8000-000000000002"),
    uuid.UUID("53ec3333-0000-4000-8000-000000000003"),
]


async def ctl(live: Live, *args: str) -> tuple[int, str, str]:
    """``onsembl ctl ARGS`` as a separate process: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "onsembl_desktop", "ctl", "--data-dir", str(live.data_dir)),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env_for_children(PYTHONIOENCODING="utf-8"),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def store_finished(live: Live, command_id: uuid.UUID, content: str, agent: str) -> None:
    """A finished command in the app's database, written as the app writes one."""
    info = live.core.agents.by_name(agent)
    assert info is not None
    now = utcnow()
    command = {
        "id": command_id,
        "user_id": live.core.store.user_id,
        "content": content,
        "type": CommandType.NATURAL,
        "target_agents": [str(info.id)],
        "status": CommandStatus.COMPLETED,
        "created_at": now,
        "updated_at": now,
        "completed_at": now,
    }
    run = {
        "id": uuid.uuid4(),
        "command_id": command_id,
        "agent_id": info.id,
        "status": CommandStatus.COMPLETED,
        "created_at": now,
        "updated_at": now,
    }
    live.core.store.call(queries.insert_command, command, [run])
    await live.core.store.flush()


async def history(live: Live) -> uuid.UUID:
    """Agent ``sh1`` running one command (returned), and the three finished ones in SHARED."""
    agent = await live.agent("sh1")
    running = await submit(live, "sh1", "sleep 30")
    assert (await agent.expect(m.CommandRequest)).command_id == running
    for command_id, content in zip(SHARED, ["sleep 1", "sleep 2", "sleep 3"], strict=True):
        await store_finished(live, command_id, content, "sh1")
    return running


async def test_a_unique_prefix_names_a_finished_command_in_every_subcommand(live: Live) -> None:
    await history(live)
    first = str(SHARED[0])
    # What `ctl history` prints (8 digits) works where a full id does.
    code, out, err = await ctl(live, "traces", first[:8])
    assert code == 0, err
    assert out.startswith(f"command {first}  COMPLETED  sleep 1")
    # Dashes are optional (anywhere), and so is lower case.
    for text in ("53ec11110000", "53ec1111-0000-4", "53EC-1111", first):
        code, out, err = await ctl(live, "show", text)
        assert code == 0, (text, err)
        assert out.startswith(f"command {first}  COMPLETED"), text
    code, out, err = await ctl(live, "show", "53ec2", "--json")
    assert code == 0 and f'"id": "{SHARED[1]}"' in out, err
    code, out, err = await ctl(live, "reports", "--command", "53ec3")
    assert code == 0 and out == "", err
    code, out, err = await ctl(live, "audit", "--command", "53ec3")
    assert code == 0, err


async def test_a_prefix_of_an_open_command_moves_reprioritises_and_cancels_it(live: Live) -> None:
    running = await history(live)
    [agent] = live.agents
    waiting = await submit(live, "sh1", "echo later")
    code, out, err = await ctl(live, "priority", waiting.hex[:6], "70")
    assert code == 0 and out.startswith(f"{waiting} priority 70"), err
    code, out, err = await ctl(live, "move", str(waiting)[:6], "--position", "1")
    assert code == 0 and out == f"{waiting} is now 1 in sh1's queue\n", err
    code, out, err = await ctl(live, "cancel", running.hex[:5])
    assert code == 0 and out == f"{running} EXECUTING\n", err  # until the agent has stopped it
    assert (await agent.expect(m.CommandCancel)).command_id == running


async def test_an_ambiguous_prefix_lists_the_candidates(live: Live) -> None:
    await history(live)
    for args in (["traces", "53ec"], ["show", "53-ec"], ["audit", "--command", "53ec"]):
        code, out, err = await ctl(live, *args)
        assert (code, out) == (2, ""), err
        assert err == (
            f"onsembl ctl: {args[-1]!r} matches 3 commands: 53ec3333 (sh1, 'sleep 3'), "
            "53ec2222 (sh1, 'sleep 2'), 53ec1111 (sh1, 'sleep 1') — give more of the id\n"
        )


async def test_ids_that_share_eight_digits_are_listed_with_enough_to_tell_them_apart(
    live: Live,
) -> None:
    await live.agent("sh1")
    a, b = uuid.UUID("abcdef01-2345-4000-8000-000000000001"), uuid.UUID(int=0xABCDEF012399 << 80)
    await store_finished(live, a, "first\nsecond line", "sh1")
    await store_finished(live, b, "x" * 50, "sh1")
    code, _out, err = await ctl(live, "traces", "abcdef")
    assert code == 2
    assert (
        f"'abcdef' matches 2 commands: abcdef01239 (sh1, '{'x' * 39}…'), "
        "abcdef01234 (sh1, 'first') — give more of the id"
    ) in err


async def test_a_missing_or_malformed_prefix_is_refused_clearly(live: Live) -> None:
    await history(live)
    for text, message in [
        ("abcd9", "no command id starts with 'abcd9'"),
        ("xyz", "no command id starts with 'xyz'"),
        ("53e", "'53e' is too short: give at least 4 hex digits of the id"),
        ("53-e", "'53-e' is too short: give at least 4 hex digits of the id"),
        ("53ec" + "0" * 29, f"no command id starts with {'53ec' + '0' * 29!r}"),
    ]:
        for args in (["traces", text], ["cancel", text], ["reports", "--command", text]):
            code, out, err = await ctl(live, *args)
            assert (code, out, err) == (2, "", f"onsembl ctl: {message}\n"), args


async def test_resolve_is_a_control_method(live: Live) -> None:
    """Any control client can resolve a prefix; the ambiguity and absence are REFUSED errors."""
    running = await history(live)
    control = await live.control()
    assert await control.call("commands.resolve", prefix=str(running)[:13]) == {"id": str(running)}
    assert await control.call("commands.resolve", prefix=running.hex.upper()) == {
        "id": str(running)
    }
    reply = await control.request("commands.resolve", prefix="53ec")
    assert reply.error is not None and reply.error.code == "REFUSED"
    assert reply.error.message.startswith("'53ec' matches 3 commands: ")
    reply = await control.request("commands.resolve", prefix="ffff0")
    assert reply.error is not None and reply.error.message == "no command id starts with 'ffff0'"


async def test_the_prefix_is_found_through_the_primary_key_index(live: Live) -> None:
    """The lookup is a range search of the commands' primary key index, not a scan."""
    await history(live)
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Connection, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        if "FROM commands" in sql:
            statements.append((sql, params))

    engine = live.core.store.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        count, matches = await live.core.store.read(
            lambda conn: queries.commands_with_id_prefix(conn, "53ec", limit=2)
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert count == 3 and [x.id for x in matches] == [SHARED[2], SHARED[1]]
    assert len(statements) == 2
    con = live.db()
    try:
        for sql, params in statements:
            plan = " ".join(row[-1] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "SEARCH commands USING" in plan and "INDEX" in plan, plan
            assert "(id>? AND id<?)" in plan, plan
    finally:
        con.close()
