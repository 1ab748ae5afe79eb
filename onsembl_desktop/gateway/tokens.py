"""Agent tokens: the default one plus per-agent tokens the user creates, labels and revokes.

* The **default token** (``DATA_DIR/agent_token``, 0600) stays readable: the app itself needs it
  to launch its local agents and to show the copyable agent command.
* **Per-agent tokens** are shown once, when created, and only their SHA-256 is kept, in the
  machine-local ``DATA_DIR/agent_tokens.json`` (0600; not the synced database). A token may be
  bound to one agent name: a connection using it can only say AGENT_CONNECT with that name.
* **An agent belongs to the token it registered with** (:meth:`AgentTokens.refusal`), so no other
  token can take over its identity — its queue, its history, the commands waiting for it — while
  it is offline. AGENT_CONNECT as a name is allowed with:

  - a token bound to that name (the user made it for that agent: how an agent is moved onto its
    own token, or given a new one after a revocation);
  - otherwise, only if no token is bound to the name, and the agent is new, or was registered
    with this same token, or with a token since revoked that was not bound to the name.

  So the default token cannot take over an agent of a per-agent token, nor a per-machine
  (unbound) token an agent of the default token or of another machine; an agent once registered
  with a token bound to its name stays reserved for tokens bound to its name, even after that
  token is revoked. Who registered each name is kept in the same file (names only, no tokens).
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
import secrets
import time
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
from ..protocol.messages import AGENT_NAME_RULE, is_agent_name

log = logging.getLogger("onsembl.gateway.tokens")

FILE_NAME = "agent_tokens.json"
DEFAULT_ID = "default"
MAX_LABEL = 100
REFUSAL_AUDIT_EVERY_S = 60.0  # refused claims of one name by one token: one audit row a minute


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


@dataclass(frozen=True, slots=True)
class _Owner:
    """The token an agent name last registered with."""

    token_id: str
    bound: bool  # that token was bound to the name


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
        self._owners: dict[str, _Owner] = {}  # agent name -> who registered it
        self._refused: dict[tuple[str, str], tuple[float, int]] = {}  # (token, name) -> audit
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
        owners = data.get("agents", {}) if isinstance(data, dict) else {}
        for name, owner in owners.items() if isinstance(owners, dict) else ():
            if isinstance(owner, dict) and isinstance(owner.get("token"), str):
                self._owners[str(name)] = _Owner(owner["token"], bool(owner.get("bound")))
            else:
                log.warning("skipping an unreadable agent owner in %s", FILE_NAME)

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

    # --- who may connect as which agent -----------------------------------------------------------

    def refusal(self, grant: Grant, name: str) -> str | None:
        """Why ``grant`` may not connect as the agent ``name`` (None: it may).

        The reason is meant for the refused agent: it names no token and no other token's label.
        """
        if grant.agent is not None:
            return bound_refusal(grant, name)
        if any(e.agent == name for e in self._entries.values()):
            return (
                f"the agent {name!r} has a token of its own: connect as {name!r} with that token "
                "(`onsembl ctl tokens list` shows it)"
            )
        owner = self._owners.get(name)
        if owner is None or owner.token_id == grant.token_id:
            return None
        if owner.bound:
            return (
                f"the agent {name!r} was registered with a token of its own: connect with a token "
                f"made for it (`onsembl ctl tokens create --label LABEL --agent {name}`)"
            )
        if owner.token_id == DEFAULT_ID or owner.token_id in self._entries:
            return (
                f"the agent {name!r} was registered with another token: connect with that one, "
                f"or with a token made for it (`onsembl ctl tokens create --label LABEL "
                f"--agent {name}`), or choose another name"
            )
        return None  # its token was revoked and was not bound to the name: the name is free

    def refused(self, grant: Grant, name: str) -> int | None:
        """Count a refused claim; when it is one to audit, how many went unaudited before it.

        One a minute per token and name: an agent retrying cannot fill the audit trail.
        """
        now = time.monotonic()
        key = (grant.token_id, name)
        last, count = self._refused.get(key, (-REFUSAL_AUDIT_EVERY_S, 0))
        if now - last < REFUSAL_AUDIT_EVERY_S:
            self._refused[key] = (last, count + 1)
            return None
        if len(self._refused) > 10_000:
            self._refused.clear()
        self._refused[key] = (now, 0)
        return count

    def claimed(self, grant: Grant, name: str) -> None:
        """``name`` connected with ``grant``: from now on it belongs to that token."""
        owner = _Owner(grant.token_id, grant.agent == name)
        if self._owners.get(name) != owner:
            self._owners[name] = owner
            self._save()

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
        if agent and not is_agent_name(agent):
            raise TokenError(f"{agent!r} is not a valid agent name ({AGENT_NAME_RULE})")
        token = secrets.token_urlsafe(32)
        token_id = secrets.token_hex(4)
        # (Not the id of a revoked token either: an agent it registered must not pass for this
        # one's.)
        taken = {o.token_id for o in self._owners.values()}
        while token_id in self._entries or token_id in taken:
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
                "agents": {
                    name: {"token": o.token_id, "bound": o.bound}
                    for name, o in sorted(self._owners.items())
                },
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


def bound_refusal(grant: Grant, name: str) -> str | None:
    """Why a token bound to an agent name may not connect as ``name`` (None: it may)."""
    if grant.agent is not None and name != grant.agent:
        return f"this token is for the agent {grant.agent!r}, not {name!r}"
    return None


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
