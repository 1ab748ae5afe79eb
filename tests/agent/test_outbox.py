"""The outbox: coalescing of terminal output, and order against other reliable messages."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from onsembl_desktop.agent import outbox as ob
from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.agent.outbox import Outbox
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import CommandStatus, StreamType

A, B = uuid.UUID(int=1), uuid.UUID(int=2)
MAX_MESSAGE_BYTES = 1 << 20  # what the gateway accepts


def make() -> tuple[Outbox, ResumeBuffer, list[int]]:
    buffer = ResumeBuffer()
    wakes: list[int] = []
    return Outbox(buffer, lambda: wakes.append(1)), buffer, wakes


def sent(buffer: ResumeBuffer) -> list[Any]:
    entries = buffer.after(0, 10**9)
    assert all(len(e.data) <= MAX_MESSAGE_BYTES for e in entries)
    return [codec.decode(e.data).payload for e in entries]


def complete(command_id: uuid.UUID) -> Any:
    return lambda seq: m.CommandComplete(
        seq=seq, command_id=command_id, status=CommandStatus.COMPLETED
    )


async def test_output_is_coalesced_until_the_timer() -> None:
    box, buffer, wakes = make()
    for i in range(100):
        box.output(A, f"{i} ")
    assert len(buffer) == 0  # nothing yet: waiting for more
    await asyncio.sleep(ob.COALESCE_S * 5)
    [out] = sent(buffer)
    assert out.data == "".join(f"{i} " for i in range(100)) and out.command_id == A
    assert wakes == [1]


async def test_completion_follows_the_output_before_it() -> None:
    box, buffer, _ = make()
    box.output(A, "last words")
    box.send(complete(A))
    out, done = sent(buffer)
    assert isinstance(out, m.TerminalOutput) and out.data == "last words"
    assert isinstance(done, m.CommandComplete) and done.seq == out.seq + 1
    await asyncio.sleep(ob.COALESCE_S * 3)  # the cancelled timer adds nothing
    assert len(sent(buffer)) == 2


async def test_a_change_of_command_or_stream_starts_a_new_message() -> None:
    box, buffer, _ = make()
    box.output(A, "a1")
    box.output(A, "a2")
    box.output(A, "err", stream=StreamType.STDERR)
    box.output(B, "b1")
    box.output(None, "between commands")
    box.flush()
    got = [(p.command_id, p.stream_type, p.data) for p in sent(buffer)]
    assert got == [
        (A, StreamType.STDOUT, "a1a2"),
        (A, StreamType.STDERR, "err"),
        (B, StreamType.STDOUT, "b1"),
        (None, StreamType.STDOUT, "between commands"),
    ]


async def test_nothing_is_sent_for_empty_output() -> None:
    box, buffer, wakes = make()
    box.output(A, "")
    box.flush()
    assert len(buffer) == 0 and wakes == []


async def test_size_bound_flushes_at_once() -> None:
    box, buffer, _ = make()
    box.output(A, "x" * ob.COALESCE_MAX_CHARS)
    assert len(buffer) == 1


async def test_raw_lines_are_kept() -> None:
    box, buffer, _ = make()
    box.output(A, "one\r\n", raw='{"n":1}')
    box.output(A, "two\r\n", raw='{"n":2}')
    box.flush()
    [out] = sent(buffer)
    assert out.raw == '{"n":1}\n{"n":2}'


async def test_huge_output_is_split_into_sendable_messages() -> None:
    box, buffer, _ = make()
    # Control characters are the worst case: each is six bytes in JSON (\u001b).
    text = "\x01" * 3_000_000 + "tail"
    box.output(A, text, raw="r" * 3_000_000)
    box.flush()
    outs = sent(buffer)  # every message fits the gateway's size limit
    assert len(outs) > 1
    assert "".join(o.data for o in outs) == text


@settings(max_examples=50, deadline=None)
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("out"), st.sampled_from([A, B]), st.text(min_size=1, max_size=50)),
            st.tuples(st.just("done"), st.sampled_from([A, B]), st.just("")),
            st.tuples(st.just("flush"), st.just(A), st.just("")),
        ),
        max_size=40,
    )
)
def test_order_is_preserved(ops: list[tuple[str, uuid.UUID, str]]) -> None:
    async def scenario() -> None:
        box, buffer, _ = make()
        expected: list[tuple[str, uuid.UUID, str]] = []
        for kind, cid, text in ops:
            if kind == "out":
                box.output(cid, text)
                if expected and expected[-1][0] == "out" and expected[-1][1] == cid:
                    expected[-1] = ("out", cid, expected[-1][2] + text)
                else:
                    expected.append(("out", cid, text))
            elif kind == "done":
                box.send(complete(cid))
                expected.append(("done", cid, ""))
            else:
                box.flush()
                expected.append(("flush", cid, ""))
        box.flush()
        # Outputs of one command in a row are joined into one message, unless a flush or another
        # message came between them; everything keeps its order.
        got = [
            ("out", p.command_id, p.data)
            if isinstance(p, m.TerminalOutput)
            else ("done", p.command_id, "")
            for p in sent(buffer)
        ]
        assert got == [x for x in expected if x[0] != "flush"]

    asyncio.run(scenario())
