"""The resume buffer against a plain model of it (hypothesis state machine)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from onsembl_desktop.agent.buffer import ResumeBuffer
from onsembl_desktop.protocol import codec
from onsembl_desktop.protocol import messages as m

COMMANDS = [uuid.UUID(int=i + 1) for i in range(3)]
command_ids = st.sampled_from([None, *COMMANDS])


def output(seq: int, command_id: uuid.UUID | None, text: str = "x") -> m.TerminalOutput:
    return m.TerminalOutput(seq=seq, command_id=command_id, data=f"{text}{seq}")


class BufferMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.buffer = ResumeBuffer()
        self.model: dict[int, tuple[bytes, str | None]] = {}  # unacknowledged, by seq
        self.last_seq = 0
        self.acked = 0

    def _add(self, command_id: uuid.UUID | None) -> None:
        entry = self.buffer.add(lambda seq: output(seq, command_id))
        self.last_seq += 1
        assert entry.seq == self.last_seq
        assert codec.decode(entry.data).payload == output(entry.seq, command_id)
        self.model[entry.seq] = (entry.data, str(command_id) if command_id else None)

    @rule(command_id=command_ids)
    def add(self, command_id: uuid.UUID | None) -> None:
        self._add(command_id)

    @rule(n=st.integers(500, 1500), command_id=command_ids)
    def add_many(self, n: int, command_id: uuid.UUID | None) -> None:
        for _ in range(n):
            self._add(command_id)

    @rule(delta=st.integers(-5, 2000))
    def ack(self, delta: int) -> None:
        seq = max(0, self.acked + delta)
        dropped = self.buffer.ack(seq)
        effective = min(seq, self.last_seq)
        gone = [s for s in self.model if s <= effective]
        for s in gone:
            del self.model[s]
        assert dropped == len(gone)
        self.acked = max(self.acked, effective)

    @rule()
    def ack_everything(self) -> None:
        self.buffer.ack(self.last_seq + 10)  # more than was ever sent is clamped
        self.model.clear()
        self.acked = self.last_seq

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def drop_command(self, data: st.DataObject) -> None:
        pending = sorted({c for _d, c in self.model.values() if c}) or [str(COMMANDS[0])]
        command_id = data.draw(st.sampled_from(pending))
        self.buffer.drop_command(command_id)
        self.model = {s: v for s, v in self.model.items() if v[1] != command_id}

    @rule(after=st.integers(-1, 5000), limit=st.integers(1, 600))
    def after(self, after: int, limit: int) -> None:
        got = self.buffer.after(after, limit)
        expected = sorted(s for s in self.model if s > after)[:limit]
        assert [e.seq for e in got] == expected
        assert [e.data for e in got] == [self.model[s][0] for s in expected]

    @invariant()
    def matches_the_model(self) -> None:
        assert len(self.buffer) == len(self.model)
        assert self.buffer.last_seq == self.last_seq
        assert self.buffer.acked == self.acked
        assert self.buffer.size_bytes == sum(len(d) for d, _c in self.model.values())
        assert self.buffer.commands_pending() == {c for _d, c in self.model.values() if c}
        everything = self.buffer.after(-1, 10**9)
        assert [e.seq for e in everything] == sorted(self.model)


TestResumeBuffer = BufferMachine.TestCase
TestResumeBuffer.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)


def test_payload_must_carry_the_seq_it_was_given() -> None:
    buffer = ResumeBuffer()
    with pytest.raises(ValueError, match="seq"):
        buffer.add(lambda seq: output(seq + 1, None))
    assert buffer.last_seq == 0 and len(buffer) == 0


def test_resend_is_byte_identical() -> None:
    buffer = ResumeBuffer()
    first = buffer.add(lambda seq: output(seq, COMMANDS[0]))
    again = buffer.after(0)[0]
    assert again.data == first.data  # same envelope id and timestamp: a true resend


def test_full_tracks_the_size_bound() -> None:
    buffer = ResumeBuffer(max_bytes=1000)
    while not buffer.full:
        buffer.add(lambda seq: output(seq, None, "y" * 100))
    buffer.ack(buffer.last_seq)
    assert not buffer.full and buffer.size_bytes == 0


@pytest.mark.expected_error(r"too large to send", logger="onsembl.agent.buffer")
def test_a_message_too_large_to_send_becomes_an_agent_error() -> None:
    buffer = ResumeBuffer(max_message_bytes=10_000)
    entry = buffer.add(
        lambda seq: m.TraceEvent(
            seq=seq,
            command_id=COMMANDS[0],
            entry=m.TraceNode(
                id=uuid.uuid4(),
                type="TOOL_CALL",
                name="big",
                content={"x": "z" * 50_000},
                started_at=0,
            ),
        )
    )
    assert len(entry.data) <= 10_000
    payload = codec.decode(entry.data).payload
    assert isinstance(payload, m.AgentError) and payload.seq == entry.seq
    assert payload.command_id == COMMANDS[0] and payload.code == "MESSAGE_TOO_LARGE"
    assert "TRACE_EVENT" in payload.message
