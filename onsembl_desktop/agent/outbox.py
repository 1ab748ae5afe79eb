"""Everything the agent must deliver, in order: coalesced terminal output and other reliable
messages.

Output is coalesced for a few milliseconds (or up to a size) into one TERMINAL_OUTPUT, which keeps
message rates sane under fast output. While the sender cannot send at once (it is paced under the
gateway's rate limit, resending, or disconnected: ``ready`` says so) output keeps gathering up to
the size bound, so the number of messages follows what can be sent, not how the program writes.
Any other reliable message first flushes pending output, so the app sees output, traces and the
completion in the order they happened.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from ..protocol import messages as m
from ..protocol.enums import StreamType
from .buffer import ResumeBuffer

COALESCE_S = 0.008
COALESCE_MAX_CHARS = 32 * 1024


class Outbox:
    def __init__(self, buffer: ResumeBuffer, on_new: Callable[[], None]) -> None:
        self.buffer = buffer
        self._on_new = on_new  # wakes the sender
        self._pending: list[str] = []
        self._pending_raw: list[str] = []
        self._pending_key: tuple[uuid.UUID | None, StreamType] | None = None
        self._pending_chars = 0
        self._timer: asyncio.TimerHandle | None = None
        self.ready: Callable[[], bool] = lambda: True  # can the sender send right now?

    def output(
        self,
        command_id: uuid.UUID | None,
        text: str,
        *,
        stream: StreamType = StreamType.STDOUT,
        raw: str | None = None,
    ) -> None:
        if not text and raw is None:
            return
        if len(text) > COALESCE_MAX_CHARS:
            # One TERMINAL_OUTPUT must stay well under the gateway's message size limit.
            last = len(text) - (len(text) - 1) % COALESCE_MAX_CHARS - 1
            for start in range(0, len(text), COALESCE_MAX_CHARS):
                piece = text[start : start + COALESCE_MAX_CHARS]
                self.output(command_id, piece, stream=stream, raw=raw if start == last else None)
            return
        if raw is not None and len(raw) > COALESCE_MAX_CHARS:
            raw = raw[:COALESCE_MAX_CHARS] + f"... [{len(raw) - COALESCE_MAX_CHARS} chars cut]"
        key = (command_id, stream)
        if self._pending_key is not None and self._pending_key != key:
            self.flush()
        self._pending_key = key
        self._pending.append(text)
        if raw is not None:
            self._pending_raw.append(raw)
        self._pending_chars += len(text) + len(raw or "")
        if self._pending_chars >= COALESCE_MAX_CHARS:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(COALESCE_S, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._pending and not self.ready():
            self._timer = asyncio.get_running_loop().call_later(COALESCE_S, self._due)
            return
        self.flush()

    def send(self, make: Callable[[int], m.Sequenced]) -> None:
        self.flush()
        self.buffer.add(make)
        self._on_new()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending or self._pending_key is None:
            return
        command_id, stream = self._pending_key
        data = "".join(self._pending)
        raw = "\n".join(self._pending_raw) if self._pending_raw else None
        self._pending.clear()
        self._pending_raw.clear()
        self._pending_chars = 0
        self._pending_key = None
        self.buffer.add(
            lambda seq: m.TerminalOutput(
                seq=seq, command_id=command_id, stream_type=stream, data=data, raw=raw
            )
        )
        self._on_new()
