"""``onsembl ctl history``: any amount of stored history, a page at a time.

The real CLI, in its own process, against the real app (port 0) with its real store.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, select

from onsembl_desktop.gateway.control.history import HISTORY_PAGE_CHARS
from onsembl_desktop.protocol import control as c
from onsembl_desktop.store import queries, search
from onsembl_desktop.store.models import Command

from .conftest import Live
from .test_control_show import run_command, run_ctl

N = 1500
# Control characters cost 6 bytes each in JSON: N entries of this are ~18 MB as one reply.
FILLER = "\x01" * 2000


async def big_history(live: Live) -> tuple[uuid.UUID, list[tuple[datetime, uuid.UUID]]]:
    """A real command (with output matching "needle") and N stored ones, every third sharing its
    created_at with the two before it; the real one's id and everyone's (created_at, id)."""
    agent = await live.agent("h1")
    real = await run_command(live, agent, ["hay\n", "a needle in the output\n", "more hay\n"])
    await live.core.store.flush()

    def insert(conn: Connection) -> list[tuple[datetime, uuid.UUID]]:
        user_id = conn.execute(select(Command.user_id).where(Command.id == real)).scalar_one()
        start = datetime(2020, 1, 1, tzinfo=UTC)
        made = []
        for i in range(N):
            at = start + timedelta(seconds=i // 3)
            word = "needle" if i % 2 == 0 else "straw"
            values = {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "content": f"{word} {i:05d} {FILLER}",
                "status": "COMPLETED",
                "created_at": at,
            }
            queries.insert_command(conn, values, [])
            made.append((at, values["id"]))
        return made

    made = await live.core.store.write_wait(insert)
    return real, made


def newest_first(keys: list[tuple[datetime, uuid.UUID]]) -> list[str]:
    return [str(i) for _at, i in sorted(keys, key=lambda k: (k[0], k[1].hex), reverse=True)]


async def test_ctl_history_prints_more_than_a_control_message(live: Live) -> None:
    real, made = await big_history(live)
    everything = [str(real), *newest_first(made)]  # the real command is the newest

    code, out, err, _rss = await run_ctl(live, "history", "--json", "--limit", "10000")
    assert code == 0, err
    assert len(out) > c.MAX_REPLY_BYTES  # more than one reply could have carried
    entries = json.loads(out)
    assert [e["id"] for e in entries] == everything
    first = entries[1]
    assert set(first) == {
        "id",
        "content",
        "type",
        "status",
        "createdAt",
        "completedAt",
        "runs",
        "matches",
        "moreMatches",
    }
    words = ["needle", "straw"]
    assert {e["id"]: e["content"] for e in entries[1:]} == {
        str(i): f"{words[n % 2]} {n:05d} {FILLER}" for n, (_at, i) in enumerate(made)
    }

    # A search across pages: the even ones by their content, the real one by its output.
    code, out, err, _rss = await run_ctl(
        live, "history", "--json", "--search", "needle", "--limit", "10000"
    )
    assert code == 0, err
    found = json.loads(out)
    wanted = [str(real), *newest_first(made[0::2])]
    assert [e["id"] for e in found] == wanted
    assert found[0]["matches"] == [{"agent": "h1", "line": "a needle in the output"}]
    assert found[0]["runs"] == [{"agent": "h1", "status": "COMPLETED"}]

    # --agent: only the real command was sent to h1.
    code, out, err, _rss = await run_ctl(live, "history", "--json", "--agent", "h1")
    assert code == 0, err
    assert [e["id"] for e in json.loads(out)] == [str(real)]

    # --limit counts entries over all pages; text mode prints one line an entry.
    code, out, err, _rss = await run_ctl(live, "history", "--limit", "1234")
    assert code == 0, err
    lines = out.decode().splitlines()
    assert len(lines) == 1234
    assert [line.split()[3] for line in lines] == [i[:8] for i in everything[:1234]]

    code, out, err, _rss = await run_ctl(live, "history", "--json", "--search", "nothing-here")
    assert code == 0, err
    assert json.loads(out) == []


async def test_history_pages_follow_the_cursor(live: Live) -> None:
    real, made = await big_history(live)
    ctl = await live.control()
    seen: list[str] = []
    page: dict[str, Any] = {"next": {}}
    calls = 0
    while page["next"] is not None:
        page = await ctl.call("history.list", search="needle", limit=7, **page["next"])
        assert len(page["entries"]) <= 7
        seen.extend(e["id"] for e in page["entries"])
        calls += 1
    assert seen == [str(real), *newest_first(made[0::2])]
    assert calls == -(-len(seen) // 7)

    # A page also ends on its size: these entries are ~2,000 characters each.
    entries, more = await live.core.store.read(
        partial(search.history_page, limit=10_000, max_chars=HISTORY_PAGE_CHARS)
    )
    assert more and 100 < len(entries) < N
    assert sum(len(e.command.content) for e in entries) <= HISTORY_PAGE_CHARS

    reply = await ctl.request("history.list", beforeAt="2020-01-01T00:00:00+00:00")
    assert reply.error is not None and "beforeAt and beforeId go together" in reply.error.message
