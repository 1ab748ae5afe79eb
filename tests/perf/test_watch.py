"""``commands.watch`` (``ctl send --wait``) reads a command's stored output once, a page at a time:
not the whole output again at the end, nor all of it in one read."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from onsembl_desktop.gateway.control import commands
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus
from tests.gateway.conftest import Live, live
from tests.gateway.test_control import output_seqs, sent_through_control, watch

__all__ = ["live"]  # the gateway tests' fixture: a real app on port 0, raw agents and clients


async def test_watch_reads_each_stored_output_once(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands, "WATCH_PAGE_ROWS", 50)
    agent, ctl, command_id = await sent_through_control(live)
    await agent.send(m.CommandAck(seq=agent.next_seq(), command_id=command_id))
    seqs = [await agent.output(command_id, f"line {i}\n") for i in range(400)]
    await agent.ack_reaching(seqs[-1])  # stored before the watch starts

    reads: list[int] = []  # output rows per read of the store
    store_read = live.core.store.read

    async def counting_read(fn: Callable[[Any], Any]) -> Any:
        result = await store_read(fn)
        if isinstance(result, list) and result and hasattr(result[0], "sequence"):
            reads.append(len(result))
        return result

    monkeypatch.setattr(live.core.store, "read", counting_read)
    watching = asyncio.create_task(watch(ctl, command_id))
    for i in range(400, 500):  # and some while it watches
        seqs.append(await agent.output(command_id, f"line {i}\n"))
    await agent.send(
        m.CommandComplete(
            seq=agent.next_seq(), command_id=command_id, status=CommandStatus.COMPLETED
        )
    )
    events = await asyncio.wait_for(watching, 10)
    assert output_seqs(events) == seqs
    assert max(reads) <= 50  # a page at a time
    assert sum(reads) <= 500  # every row read at most once, not once more at the end
