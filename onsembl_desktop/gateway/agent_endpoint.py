"""``/ws/agent``: one agent per connection. AGENT_CONNECT first, then anything the protocol allows.

A message that cannot be decoded or is refused gets an ERROR naming it, and the connection carries
on; only a failed AGENT_CONNECT (bad version, name in use) or a flood of bad messages closes it.
"""

from __future__ import annotations

import asyncio
import logging

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..core.agents import AgentSession
from ..core.service import Core
from ..protocol import MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, codec
from ..protocol import messages as m
from ..protocol.codec import Direction, ErrorCode, ProtocolError
from .link import WsLink

log = logging.getLogger("onsembl.gateway.agent")

HELLO_TIMEOUT_S = 10.0
# Bad messages tolerated in a row before the connection is closed as broken or hostile.
MAX_CONSECUTIVE_ERRORS = 100


async def handle_agent(ws: ServerConnection, core: Core) -> None:
    link = WsLink(ws)
    session: AgentSession | None = None
    reason = "connection closed"
    errors_in_row = 0
    try:
        while True:
            timeout = HELLO_TIMEOUT_S if session is None else None
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout)
            except TimeoutError:
                link.send(
                    m.Error(
                        code=ErrorCode.NOT_CONNECTED.value,
                        message=f"no AGENT_CONNECT within {HELLO_TIMEOUT_S:g} s",
                        fatal=True,
                    )
                )
                link.close(1008, "no AGENT_CONNECT")
                reason = "no AGENT_CONNECT"
                break
            version = session.protocol_version if session else PROTOCOL_VERSION
            try:
                env = codec.decode(
                    raw, expect=Direction.AGENT_TO_SERVER, negotiated_version=version
                )
                if session is None:
                    session = _hello(core, link, env)
                else:
                    core.agent_message(session, env.id, env.payload)
                errors_in_row = 0
            except ProtocolError as exc:
                errors_in_row += 1
                fatal = exc.code in (ErrorCode.UNSUPPORTED_VERSION, ErrorCode.NAME_IN_USE) and (
                    session is None
                )
                log.info("refused a message from %s: %s %s", link.remote, exc.code, exc.message)
                link.send(exc.to_payload(fatal=fatal))
                if fatal or errors_in_row >= MAX_CONSECUTIVE_ERRORS:
                    reason = exc.message if fatal else "too many invalid messages"
                    link.close(1008, reason)
                    break
            except Exception:
                # A bug in handling one message must not take the agent's connection (and the
                # handler's clean-up) with it.
                log.exception("failed to handle a message from %s", link.name or link.remote)
                link.send(
                    m.Error(
                        code=ErrorCode.INTERNAL.value,
                        message="the app failed to handle this message (see its log)",
                    )
                )
    except ConnectionClosed as exc:
        reason = f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
    finally:
        if session is not None:
            core.agent_disconnected(session, reason)
        await link.finish()


def _hello(core: Core, link: WsLink, env: codec.Envelope[m.Payload]) -> AgentSession:
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
    try:
        session = core.agent_connected(link, hello)
    except ProtocolError as exc:
        exc.ref_id = env.id
        raise
    link.name = hello.name
    return session
