"""``/ws/agent``: one agent per connection. AGENT_CONNECT first, then anything the protocol allows.

A message that cannot be decoded or is refused gets an ERROR naming it, and the connection carries
on; only a failed AGENT_CONNECT (bad version, name in use, a name the token may not connect as —
see :meth:`.tokens.AgentTokens.refusal`), a flood of bad messages, a rate kept over the limit, or
a revoked token closes it. The limits (size, rate, unstored output) are in :mod:`.limits`.

An agent connection speaks only the agent protocol: it can report on commands assigned to it, and
nothing it sends can create, target or touch another agent's commands (the codec refuses
server-to-agent types, the core refuses command ids not assigned to this agent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..core.agents import AgentSession
from ..core.service import Core
from ..protocol import MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, codec
from ..protocol import messages as m
from ..protocol.codec import Direction, ErrorCode, ProtocolError
from ..protocol.enums import AuditEventType
from .limits import MAX_MESSAGE_BYTES, ConnectionLimits
from .link import WsLink
from .tokens import AgentTokens, Grant, bound_refusal

log = logging.getLogger("onsembl.gateway.agent")

HELLO_TIMEOUT_S = 10.0
# Bad messages tolerated in a row before the connection is closed as broken or hostile.
MAX_CONSECUTIVE_ERRORS = 100
# A connection with messages waiting is served this long before it lets the loop run others
# (the socket's other messages are read without waiting, so otherwise one busy agent would hold
# the loop, UI and heartbeats included, for as long as it keeps sending).
TURN_S = 0.002
# Refusals of AGENT_CONNECT that end the connection (retrying on it cannot help).
_FATAL_AT_HELLO = (ErrorCode.UNSUPPORTED_VERSION, ErrorCode.NAME_IN_USE, ErrorCode.FORBIDDEN)


class _Closed(Exception):
    """This connection is over (we closed it); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def handle_agent(
    ws: ServerConnection,
    core: Core,
    grant: Grant,
    tokens: AgentTokens | None = None,
    limits: ConnectionLimits | None = None,
) -> None:
    await AgentConnection(ws, core, grant, tokens, limits or ConnectionLimits()).serve()


class AgentConnection:
    def __init__(
        self,
        ws: ServerConnection,
        core: Core,
        grant: Grant,
        tokens: AgentTokens | None,
        limits: ConnectionLimits,
    ) -> None:
        self.ws = ws
        self.core = core
        self.grant = grant
        self.tokens = tokens
        self.link = WsLink(ws)
        self.session: AgentSession | None = None
        self.limits = limits
        self.rate = limits.rate_limit()
        self.unstored = limits.unstored()
        self.errors_in_row = 0
        self._detach: Callable[[], None] = (
            tokens.attach(grant, self._revoked) if tokens is not None else lambda: None
        )

    async def serve(self) -> None:
        reason = "connection closed"
        loop = asyncio.get_running_loop()
        turn_ends = loop.time() + TURN_S
        try:
            while True:
                raw = await self._receive()
                now = loop.time()
                await self._pace(now)
                self._take(raw)
                await self._hold_while_unstored()
                if now >= turn_ends:
                    await asyncio.sleep(0)
                    turn_ends = loop.time() + TURN_S
        except _Closed as closed:
            reason = closed.reason
        except ConnectionClosed as exc:
            reason = f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
        finally:
            self._detach()
            if self.session is not None:
                self.core.agent_disconnected(self.session, reason)
            await self.link.finish()

    # --- steps ------------------------------------------------------------------------------------

    async def _receive(self) -> str | bytes:
        timeout = HELLO_TIMEOUT_S if self.session is None else None
        try:
            return await asyncio.wait_for(self.ws.recv(), timeout)
        except TimeoutError:
            self._close_with(
                ErrorCode.NOT_CONNECTED, f"no AGENT_CONNECT within {HELLO_TIMEOUT_S:g} s"
            )
            raise _Closed("no AGENT_CONNECT") from None

    async def _pace(self, now: float) -> None:
        """Every frame takes a token, valid or not; an empty bucket delays reading this socket."""
        wait, warn, close = self.rate.check(now)
        if close:
            self._close_with(
                ErrorCode.RATE_LIMIT,
                f"over {self.limits.rate_per_s:g} messages/s for {self.rate.persist_s:g} s",
            )
            raise _Closed("over the rate limit")
        if warn:
            log.warning("%s is over the rate limit", self._who())
            self.link.send(
                m.Error(
                    code=ErrorCode.RATE_LIMIT.value,
                    message=f"over {self.limits.rate_per_s:g} messages/s: reading from you is "
                    "slowed down "
                    f"(the connection is closed after {self.rate.persist_s:g} s of this)",
                )
            )
        if wait > 0:
            await asyncio.sleep(wait)

    def _take(self, raw: str | bytes) -> None:
        session = self.session
        size = _size(raw)
        try:
            if size > MAX_MESSAGE_BYTES:
                raise ProtocolError(
                    ErrorCode.INVALID_MESSAGE,
                    f"a message of {size} bytes is over the {MAX_MESSAGE_BYTES} byte limit",
                )
            version = session.protocol_version if session else PROTOCOL_VERSION
            env = codec.decode(raw, expect=Direction.AGENT_TO_SERVER, negotiated_version=version)
        except ProtocolError as exc:
            if session is not None:  # (the core counts what it refuses itself)
                self.core.agents.refused(session, exc.message)
            self._refused(exc)
            return
        try:
            if session is None:
                self.session = self._hello(env)
            else:
                self.core.agent_message(session, env.id, env.payload)
                if isinstance(env.payload, m.Sequenced):
                    self.unstored.taken(env.payload.seq, size)
            self.errors_in_row = 0
        except ProtocolError as exc:
            self._refused(exc)
        except Exception:
            # A bug in handling one message must not take the agent's connection (and the
            # handler's clean-up) with it.
            log.exception("failed to handle a message from %s", self._who())
            self.link.send(
                m.Error(
                    code=ErrorCode.INTERNAL.value,
                    message="the app failed to handle this message (see its log)",
                )
            )

    def _refused(self, exc: ProtocolError) -> None:
        self.errors_in_row += 1
        fatal = self.session is None and exc.code in _FATAL_AT_HELLO
        if self.session is None:  # (a connected agent's refusals are logged, sparingly, by
            # AgentRegistry.refused)
            log.info("refused a message from %s: %s %s", self._who(), exc.code, exc.message)
        self.link.send(exc.to_payload(fatal=fatal))
        if fatal or self.errors_in_row >= MAX_CONSECUTIVE_ERRORS:
            reason = exc.message if fatal else "too many invalid messages"
            self.link.close(1008, reason)
            raise _Closed(reason)

    async def _hold_while_unstored(self) -> None:
        """Past the bound of unstored output, stop reading until commits catch up."""
        session = self.session
        if session is None:
            return
        self.unstored.stored(session.durable_seq)
        if not self.unstored.over:
            return
        log.warning("%s: %d bytes not yet stored; pausing", self._who(), self.unstored.bytes)
        self.link.send(
            m.Error(
                code=ErrorCode.RESOURCE_EXHAUSTED.value,
                message=f"{self.unstored.bytes} bytes of yours are not stored yet: reading "
                "from you pauses until the database catches up (nothing is lost)",
            )
        )
        loop = asyncio.get_running_loop()
        delay = 0.005
        while not self.unstored.relieved and session.open:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
            # We stopped reading, not the agent: its heartbeats wait in the socket.
            session.last_heard = loop.time()
            self.unstored.stored(session.durable_seq)

    # --- AGENT_CONNECT ----------------------------------------------------------------------------

    def _hello(self, env: codec.Envelope[m.Payload]) -> AgentSession:
        hello = env.payload
        if not isinstance(hello, m.AgentConnect):
            raise ProtocolError(
                ErrorCode.NOT_CONNECTED,
                f"send AGENT_CONNECT before {env.type}",
                ref_id=env.id,
                msg_type=env.type,
            )
        if hello.protocol_version < MIN_PROTOCOL_VERSION:
            raise ProtocolError(
                ErrorCode.UNSUPPORTED_VERSION,
                f"protocol version {hello.protocol_version} is too old; this app speaks "
                f"{MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}. Update onsembl-agent.",
                ref_id=env.id,
            )
        refusal = self._refusal(hello.name)
        if refusal is not None:
            self._forbidden(hello.name, refusal)
            raise ProtocolError(ErrorCode.FORBIDDEN, refusal, ref_id=env.id)
        try:
            session = self.core.agent_connected(self.link, hello)
        except ProtocolError as exc:
            exc.ref_id = env.id
            raise
        if self.tokens is not None:
            self.tokens.claimed(self.grant, hello.name)
        self.link.name = hello.name
        return session

    def _refusal(self, name: str) -> str | None:
        """Why this connection's token may not connect as ``name`` (None: it may)."""
        if self.tokens is None:
            return bound_refusal(self.grant, name)
        return self.tokens.refusal(self.grant, name)

    def _forbidden(self, name: str, reason: str) -> None:
        """Log and audit a refused claim of ``name`` (the token's id, never the token)."""
        log.warning(
            "refused %s as the agent %r (token %s): FORBIDDEN %s",
            self.link.remote,
            name,
            self.grant.token_id,
            reason,
        )
        unaudited = self.tokens.refused(self.grant, name) if self.tokens is not None else 0
        if unaudited is None:
            return
        self.core.audit.record(
            AuditEventType.AUTH_FAILED,
            ip_address=str(addr[0]) if (addr := self.ws.remote_address) else None,
            by_user=False,
            endpoint="/ws/agent",
            reason="agent name not allowed for this token",
            name=name,
            token_id=self.grant.token_id,
            refused_since_last=unaudited,
        )

    # --- closing ----------------------------------------------------------------------------------

    def _close_with(self, code: ErrorCode, message: str) -> None:
        self.link.send(m.Error(code=code.value, message=message, fatal=True))
        self.link.close(1008, message)

    def _revoked(self) -> None:
        log.info("%s: its token was revoked; disconnecting", self._who())
        self._close_with(ErrorCode.UNAUTHORIZED, "the token of this connection was revoked")
        if self.session is not None:
            # Gone now, not when the close handshake ends: no message of it is taken any more.
            self.core.agent_disconnected(self.session, "token revoked")

    def _who(self) -> str:
        return self.link.name or self.link.remote


def _size(raw: str | bytes) -> int:
    """The frame's size in bytes (text frames arrive decoded; only long ones are measured)."""
    if isinstance(raw, bytes) or len(raw) * 4 <= MAX_MESSAGE_BYTES:
        return len(raw)
    return len(raw.encode("utf-8", "surrogatepass"))
