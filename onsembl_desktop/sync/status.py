"""What the sync engine tells the rest of the app: its state, as one immutable value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class SyncState(StrEnum):
    DISABLED = "disabled"  # not configured (or turned off)
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"  # the network or the database is away: retrying with backoff
    ERROR = "error"  # the configuration is wrong (URL, password, permissions, schema): retrying


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Published on the core's bus whenever it changes (``core.events``)."""

    state: SyncState
    backlog: int = 0  # local changes not yet in the remote database (rows)
    lag_s: float = 0.0  # age of the oldest of them
    error: str | None = None  # the last problem, in words for the user
    url: str | None = None  # without its password
    last_push: float | None = None  # Unix times
    last_pull: float | None = None
    retry_in_s: float | None = None  # OFFLINE / ERROR: the next attempt
    conflicts: int = 0  # resolved since start (the losing versions are in the audit log)
    lease: bool = False  # this app runs the remote retention jobs
    device_id: str | None = None

    def summary(self) -> str:
        """One line for a status bar: "offline — 1,234 changes waiting"."""
        waiting = f"{self.backlog:,} change{'s' if self.backlog != 1 else ''} waiting"
        if self.state is SyncState.ONLINE:
            return f"synced{f' — {waiting}' if self.backlog else ''}"
        if self.state in (SyncState.OFFLINE, SyncState.ERROR):
            return f"{self.state.value} — {waiting}" if self.backlog else self.state.value
        return self.state.value

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["summary"] = self.summary()
        return data
