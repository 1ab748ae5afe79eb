"""Per-connection limits of ``/ws/agent``: message size, message rate, and output not yet stored.

Sans-I/O (a clock is passed in), so each rule is testable alone; ``agent_endpoint`` applies them.

* **Size.** A message over :data:`MAX_MESSAGE_BYTES` (1 MiB) is refused with ``INVALID_MESSAGE``
  and the connection carries on. The socket reads frames up to :data:`HARD_MAX_FRAME_BYTES` so
  that it can answer; a larger frame closes the connection (1009) without being read whole.
* **Rate.** A token bucket: :data:`RATE_PER_S` messages per second sustained, :data:`BURST`
  at once. Every frame takes a token before it is even decoded, valid or not, heartbeats
  included. A frame that finds the bucket empty is *delayed*, not dropped: the endpoint stops
  reading that socket until a token is free (TCP pushes back on that agent alone) and warns it
  with ``RATE_LIMIT``. Dropping would punch a hole in the agent's reliable stream (a later seq
  would be acknowledged over it). Over the rate for :data:`PERSIST_S` seconds in a row, the
  connection is closed (1008).
* **Unstored output.** Bytes an agent sent that the store has not yet committed are counted per
  connection; past :data:`MAX_UNSTORED_BYTES` reading pauses (``RESOURCE_EXHAUSTED``, once)
  until commits bring it under half. This bounds what one agent can make the app hold when the
  disk is slow or failing; nothing is refused, so nothing is lost.

The agent paces itself under the rate (``agent/pacer.py``): a well-behaved agent never meets
these limits, even resending a large backlog after a reconnect.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

MAX_MESSAGE_BYTES = 1 << 20
HARD_MAX_FRAME_BYTES = 2 << 20
RATE_PER_S = 100.0
BURST = 500.0
PERSIST_S = 5.0
MAX_UNSTORED_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The figures above, per gateway (tests and benchmarks may change them)."""

    rate_per_s: float = RATE_PER_S
    burst: float = BURST
    persist_s: float = PERSIST_S
    max_unstored_bytes: int = MAX_UNSTORED_BYTES

    def rate_limit(self) -> RateLimit:
        return RateLimit(TokenBucket(self.rate_per_s, self.burst), self.persist_s)

    def unstored(self) -> Unstored:
        return Unstored(self.max_unstored_bytes)


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; starts full."""

    rate: float = RATE_PER_S
    burst: float = BURST
    tokens: float = -1.0
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float) -> float:
        """Take one token; returns how long the caller must wait for it (0: available now).

        A token taken on credit is still taken, so waiting that long and carrying on keeps the
        long-run rate at ``rate``.
        """
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass(slots=True)
class RateLimit:
    """The bucket plus the memory of how long a connection has been over it."""

    bucket: TokenBucket = field(default_factory=TokenBucket)
    persist_s: float = PERSIST_S
    over_since: float | None = None  # when the current run of delayed frames began
    warned_at: float = -1e9

    def check(self, now: float) -> tuple[float, bool, bool]:
        """For one frame: (seconds to wait, warn now?, close now?)."""
        wait = self.bucket.take(now)
        if wait <= 0:
            if self.over_since is not None and self.bucket.tokens < 1.0:
                # No token to spare right after a delay: the sender is still ahead of the rate
                # (we paced it, so the bucket only just refilled). The episode goes on.
                return 0.0, False, now - self.over_since > self.persist_s
            self.over_since = None
            return 0.0, False, False
        if self.over_since is None:
            self.over_since = now
        if now + wait - self.over_since > self.persist_s:
            return wait, False, True
        warn = now - self.warned_at >= 1.0  # at most one warning a second
        if warn:
            self.warned_at = now
        return wait, warn, False


@dataclass(slots=True)
class Unstored:
    """Bytes taken from one connection that the store has not committed yet."""

    limit: int = MAX_UNSTORED_BYTES
    _pending: deque[tuple[int, int]] = field(default_factory=deque)  # (seq, bytes)
    bytes: int = 0

    def taken(self, seq: int, size: int) -> None:
        self._pending.append((seq, size))
        self.bytes += size

    def stored(self, durable_seq: int) -> None:
        pending = self._pending
        while pending and pending[0][0] <= durable_seq:
            self.bytes -= pending.popleft()[1]

    @property
    def over(self) -> bool:
        return self.bytes > self.limit

    @property
    def relieved(self) -> bool:
        return self.bytes <= self.limit // 2
