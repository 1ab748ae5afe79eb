"""The agent's resume buffer: reliable messages kept, in order, until the app says they are stored.

Sans-I/O. ``add`` gives a payload the next ``seq`` and keeps its encoded bytes (encoded once, so a
resend is byte-identical, same envelope id included); ``ack`` forgets everything up to a seq;
``after`` returns what to (re)send after a given seq.

Bounded by back-pressure, never by dropping: past ``max_bytes`` the buffer reports *pressure*
(``on_pressure(True)``) and the agent stops reading its command's output, so the program blocks
on write; once acknowledgements bring it down to ``low_bytes`` (half the bound: hysteresis, so it
does not flap at the edge) it reports ``on_pressure(False)`` and reading resumes.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..protocol import codec
from ..protocol import messages as m

log = logging.getLogger("onsembl.agent.buffer")


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    data: bytes
    command_id: str | None


# The gateway refuses a message larger than 1 MiB by closing the connection; one such message in
# the buffer would be resent after every reconnect, forever, and block everything after it.
MAX_MESSAGE_BYTES = (1 << 20) - 1024


class ResumeBuffer:
    def __init__(
        self,
        max_bytes: int = 256 * 1024 * 1024,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        on_pressure: Callable[[bool], None] | None = None,
    ) -> None:
        self._entries: list[Entry] = []
        self._seqs: list[int] = []
        self._head = 0  # entries before it are acknowledged (compacted now and then)
        self._last_seq = 0
        self._acked = 0
        self._bytes = 0
        self.max_bytes = max_bytes
        self.low_bytes = max_bytes // 2
        self.max_message_bytes = max_message_bytes
        self.on_pressure = on_pressure
        self.under_pressure = False

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def acked(self) -> int:
        return self._acked

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries) - self._head

    @property
    def full(self) -> bool:
        """Past its size bound: the producer should stop reading its process until acks arrive."""
        return self._bytes >= self.max_bytes

    def add(self, make: Callable[[int], m.Sequenced]) -> Entry:
        """Build the next reliable message with ``make(seq)``, keep it, and return it."""
        seq = self._last_seq + 1
        payload = make(seq)
        if payload.seq != seq:
            raise ValueError("payload must carry the seq it was given")
        command_id = getattr(payload, "command_id", None)
        data = codec.encode(payload)
        if len(data) > self.max_message_bytes:
            # Terminal output is split before it gets here; this is for a trace or report that
            # cannot be. Say what was dropped rather than block the stream.
            kind = codec.BY_PAYLOAD[type(payload)].type
            log.error("dropping a %s message of %d bytes: too large to send", kind, len(data))
            data = codec.encode(
                m.AgentError(
                    seq=seq,
                    command_id=command_id,
                    code="MESSAGE_TOO_LARGE",
                    message=f"a {kind} message of {len(data)} bytes was too large to send "
                    f"(limit {self.max_message_bytes}) and was dropped",
                )
            )
        entry = Entry(seq, data, str(command_id) if command_id else None)
        self._last_seq = seq
        self._entries.append(entry)
        self._seqs.append(seq)
        self._bytes += len(entry.data)
        if not self.under_pressure and self._bytes >= self.max_bytes:
            self._set_pressure(True)
        return entry

    def _set_pressure(self, on: bool) -> None:
        self.under_pressure = on
        log.info(
            "resume buffer at %d bytes: %s reading output",
            self._bytes,
            "stop" if on else "resume",
        )
        if self.on_pressure is not None:
            self.on_pressure(on)

    def _relieve(self) -> None:
        if self.under_pressure and self._bytes <= self.low_bytes:
            self._set_pressure(False)

    def ack(self, seq: int) -> int:
        """Forget entries up to ``seq``; returns how many were dropped."""
        seq = min(seq, self._last_seq)  # the app cannot have stored what was never sent
        end = bisect.bisect_right(self._seqs, seq, lo=self._head)
        dropped = end - self._head
        for entry in self._entries[self._head : end]:
            self._bytes -= len(entry.data)
        self._head = end
        self._acked = max(self._acked, seq)
        if self._head > 1024 and self._head * 2 > len(self._entries):
            del self._entries[: self._head]
            del self._seqs[: self._head]
            self._head = 0
        self._relieve()
        return dropped

    def after(self, seq: int, limit: int = 512) -> list[Entry]:
        """Up to ``limit`` unacknowledged entries with a seq greater than ``seq``, in order."""
        start = bisect.bisect_right(self._seqs, seq, lo=self._head)
        return self._entries[start : start + limit]

    def commands_pending(self) -> set[str]:
        """Commands that still have unacknowledged messages."""
        return {e.command_id for e in self._entries[self._head :] if e.command_id}

    def drop_command(self, command_id: str) -> None:
        """Forget a command's messages the app said it will not take (their seqs become gaps)."""
        kept = [e for e in self._entries[self._head :] if e.command_id != command_id]
        self._bytes = sum(len(e.data) for e in kept)
        self._entries = kept
        self._seqs = [e.seq for e in kept]
        self._head = 0
        self._relieve()
