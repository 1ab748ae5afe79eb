"""The agent's own rate limit: it stays under the gateway's (100 messages/s, bursts of 500).

Every frame the agent sends — hello, heartbeats, output, resends after a reconnect — waits for a
token here: :data:`RATE_PER_S` a second, :data:`BURST` at once, both well inside the gateway's
bucket, so the gateway never has to slow this agent down, however large the backlog it resends.
Resends count like any other message (the gateway cannot tell them apart, and need not); what
keeps the *number* of messages low is the outbox, which keeps gathering output into larger
messages while the sender is behind (``Outbox.ready``).
"""

from __future__ import annotations

import asyncio
import time

RATE_PER_S = 90.0
BURST = 50.0


class Pacer:
    def __init__(self, rate: float = RATE_PER_S, burst: float = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def available(self) -> bool:
        """Whether a frame could go out now without waiting."""
        self._refill()
        return self._tokens >= 1.0

    async def take(self) -> None:
        """Wait for a token and take it."""
        self._refill()
        self._tokens -= 1.0
        if self._tokens < 0:
            await asyncio.sleep(-self._tokens / self.rate)
