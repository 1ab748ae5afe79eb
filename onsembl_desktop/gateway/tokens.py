"""Agent tokens: the default one plus per-agent tokens the user creates, labels and revokes.

* The **default token** (``DATA_DIR/agent_token``, 0600) stays readable: the app itself needs it
  to launch its local agents and to show the copyable agent command.
* **Per-agent tokens** are shown once, when created, and only their SHA-256 is kept, in the
  machine-local ``DATA_DIR/agent_tokens.json`` (0600; not the synced database). A token may be
  bound to one agent name: a connection using it can only say AGENT_CONNECT with that name.
* Why SHA-256 and not a slow KDF (scrypt, Argon2): a slow hash protects *guessable* secrets
  (passwords) against offline guessing. These tokens are 256 random bits, so reversing their
  SHA-256 is out of reach whatever the speed of the hash, while a KDF would cost tens of ms of
  CPU on every handshake: 200 agents reconnecting at once, or anyone able to reach the port,
  would stall the app.
* Checking compares the presented token's digest with *every* known digest with
  ``hmac.compare_digest`` (no early exit), so the time taken says nothing about which one, if
  any, matched. Tokens are never logged; only ids and labels are.
* Revoking closes the connections that authenticated with the token at once.

File I/O happens at start (:meth:`AgentTokens.load`, off the loop) and in writes coalesced by
:class:`~onsembl_desktop.core.jsonfile.JsonFile` (off the loop, atomic, 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.audit import Audit
from ..core.events import EventBus, TokensChanged
from ..core.jsonfile import JsonFile
from ..errors import KnownError
from ..protocol.enums import AuditEventType

log = logging.getLogger("onsembl.gateway.tokens")

FILE_NAME = "agent_tokens.json"
DEFAULT_ID = "default"
MAX_LABEL = 100
_AGENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # as AGENT_CONNECT.name


class TokenError(KnownError):
    """A token request the user can correct (unknown id, bad label)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the UI and ``ctl tokens list`` show about a token (never the token itself)."""

    id: str
    label: str
    agent: str | None  # the only agent name it may connect as; None: any
    created_at: str | None  # ISO 8601, UTC
    last_used_at: str | None
    connections: int = 0  # live connections authenticated with it
    default: bool = False


@dataclass(frozen=True, slots=True)
class Grant:
    """Who a connection authenticated as."""

    token_id: str
    agent: str | None


@dataclass(slots=True)
class _Entry:
    id: str
    label: str
    agent: str | None
    digest: bytes
    created_at: str | None
    last_used_at: str | None = None


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AgentTokens:
    def __init__(
        self,
        data_dir: Path,
        default_token: str,
        bus: EventBus | None = None,
        audit: Audit | None = None,
    ) -> None:
        self._file = JsonFile(data_dir / FILE_NAME)
        self._default = _Entry(DEFAULT_ID, "Default agent token", None, digest(default_token), None)
        self._entries: dict[str, _Entry] = {}
        self._bus = bus
        self._audit = audit
        self._live: dict[str, set[Callable[[], None]]] = {}

    # --- start ------------------------------------------------------------------------------------

    async def load(self) -> None:
        data = await self._file.load({})
        for item in data.get("tokens", []) if isinstance(data, dict) else []:
            try:
                entry = _Entry(
                    id=str(item["id"]),
                    label=str(item.get("label", "")),
                    agent=item.get("agent") or None,
                    digest=bytes.fromhex(item["sha256"]),
                    created_at=item.get("createdAt"),
                    last_used_at=item.get("lastUsedAt"),
                )
            except (KeyError, TypeError, ValueError):
                log.warning("skipping an unreadable entry in %s", FILE_NAME)
                continue
            if len(entry.digest) == 32 and entry.id != DEFAULT_ID:
                self._entries[entry.id] = entry

    # --- checking ---------------------------------------------------------------------------------

    def authenticate(self, presented: str | None) -> Grant | None:
        """The grant for ``presented``, or None. Constant time over every known token."""
        if not presented:
            return None
        given = digest(presented)
        found: _Entry | None = None
        for entry in (self._default, *self._entries.values()):
            if hmac.compare_digest(given, entry.digest):
                found = entry
        if found is None:
            return None
        if found is not self._default:
            found.last_used_at = _now()
            self._save()
        return Grant(found.id, found.agent)

    # --- what the UI and ctl drive ----------------------------------------------------------------

    def all(self) -> list[TokenInfo]:
        """The default token first, then the others by creation time."""
        entries = sorted(self._entries.values(), key=lambda e: (e.created_at or "", e.id))
        return [self._info(e) for e in (self._default, *entries)]

    def get(self, token_id: str) -> TokenInfo:
        entry = self._default if token_id == DEFAULT_ID else self._entries.get(token_id)
        if entry is None:
            raise TokenError(f"no token with id {token_id!r}")
        return self._info(entry)

    async def create(self, label: str, agent: str | None = None) -> tuple[TokenInfo, str]:
        """A new token; returns its info and the token itself (shown once, never stored)."""
        label = label.strip()
        if not label or len(label) > MAX_LABEL:
            raise TokenError(f"a token needs a label of 1 to {MAX_LABEL} characters")
        if agent and not _AGENT_NAME.match(agent):
            raise TokenError(f"{agent!r} is not a valid agent name")
        token = secrets.token_urlsafe(32)
        token_id = secrets.token_hex(4)
        while token_id in self._entries:
            token_id = secrets.token_hex(4)
        entry = _Entry(token_id, label, agent or None, digest(token), _now())
        self._entries[token_id] = entry
        self._save()
        await self._file.flush()
        log.info("created agent token %s (%s)", token_id, label)
        self._record(AuditEventType.TOKEN_CREATED, entry)
        self._changed()
        return self._info(entry), token

    async def revoke(self, token_id: str) -> TokenInfo:
        """Forget a token and close every connection that used it, at once."""
        if token_id == DEFAULT_ID:
            raise TokenError("the default token cannot be revoked (the app's own agents use it)")
        entry = self._entries.pop(token_id, None)
        if entry is None:
            raise TokenError(f"no token with id {token_id!r}")
        info = self._info(entry)
        for close in list(self._live.pop(token_id, ())):
            close()
        self._save()
        await self._file.flush()
        log.info("revoked agent token %s (%s)", token_id, entry.label)
        self._record(AuditEventType.TOKEN_REVOKED, entry, connections_closed=info.connections)
        self._changed()
        return info

    # --- live connections -------------------------------------------------------------------------

    def attach(self, grant: Grant, close: Callable[[], None]) -> Callable[[], None]:
        """Remember a connection made with ``grant``; ``close`` ends it if the token is revoked.

        Returns the function to call when the connection ends. A token revoked while the
        connection was being set up closes it straight away.
        """
        if grant.token_id != DEFAULT_ID and grant.token_id not in self._entries:
            close()
            return lambda: None
        live = self._live.setdefault(grant.token_id, set())
        live.add(close)
        self._changed()

        def detach() -> None:
            live.discard(close)
            self._changed()

        return detach

    async def flush(self) -> None:
        await self._file.flush()

    # --- helpers ----------------------------------------------------------------------------------

    def _info(self, e: _Entry) -> TokenInfo:
        return TokenInfo(
            id=e.id,
            label=e.label,
            agent=e.agent,
            created_at=e.created_at,
            last_used_at=e.last_used_at,
            connections=len(self._live.get(e.id, ())),
            default=e is self._default,
        )

    def _save(self) -> None:
        self._file.save(
            {
                "version": 1,
                "tokens": [
                    {
                        "id": e.id,
                        "label": e.label,
                        "agent": e.agent,
                        "sha256": e.digest.hex(),
                        "createdAt": e.created_at,
                        "lastUsedAt": e.last_used_at,
                    }
                    for e in self._entries.values()
                ],
            }
        )

    def _record(self, kind: AuditEventType, entry: _Entry, **extra: Any) -> None:
        if self._audit is not None:
            self._audit.record(
                kind, token_id=entry.id, label=entry.label, agent=entry.agent, **extra
            )

    def _changed(self) -> None:
        if self._bus is not None:
            self._bus.publish(TokensChanged())


def token_view(t: TokenInfo) -> dict[str, Any]:
    return {
        "id": t.id,
        "label": t.label,
        "agent": t.agent,
        "createdAt": t.created_at,
        "lastUsedAt": t.last_used_at,
        "connections": t.connections,
        "default": t.default,
    }
