"""The WebSocket server: ``/ws/agent`` for agents, ``/ws/control`` for ``onsembl ctl``.

Authentication happens in the HTTP handshake: a missing or wrong ``Authorization: Bearer`` token
gets 401 with a one-line reason, before any WebSocket traffic. Agents present the default agent
token or a per-agent one (:mod:`.tokens`); control clients the separate control token. Refusals
are logged without the token and audited as AUTH_FAILED (at most once a minute per address, so a
flood cannot fill the audit trail).

Served over TLS when given an SSL context (``onsembl_desktop.tls``: non-loopback addresses).
"""

from __future__ import annotations

import logging
import ssl
import time
import weakref
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from ..core.service import Core
from ..logs import websockets_logger
from ..protocol.enums import AuditEventType
from .agent_endpoint import handle_agent
from .auth import bearer, matches
from .control import ReplayGuard, handle_control
from .limits import HARD_MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, ConnectionLimits
from .tokens import AgentTokens, Grant

log = logging.getLogger("onsembl.gateway")

AGENT_PATH = "/ws/agent"
CONTROL_PATH = "/ws/control"
__all__ = ["AGENT_PATH", "CONTROL_PATH", "MAX_MESSAGE_BYTES", "Gateway"]

AUTH_AUDIT_EVERY_S = 60.0


class Gateway:
    def __init__(
        self,
        core: Core,
        tokens: AgentTokens,
        control_token: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.core = core
        self.tokens = tokens
        self._control_token = control_token
        self._ssl = ssl_context
        self.limits = ConnectionLimits()  # per agent connection (limits.py)
        self._server: Server | None = None
        self._guard = ReplayGuard()
        self._grants: weakref.WeakKeyDictionary[ServerConnection, Grant] = (
            weakref.WeakKeyDictionary()
        )
        self._refused: dict[str, tuple[float, int]] = {}  # address -> (last audited, refusals)

    @property
    def secure(self) -> bool:
        return self._ssl is not None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await serve(
            self._route,
            host,
            port,
            process_request=self._authenticate,
            # Frames up to twice the message limit are read so they can be refused with an
            # ERROR (agent_endpoint); anything larger closes the connection (1009).
            max_size=HARD_MAX_FRAME_BYTES,
            compression=None,  # local traffic: CPU matters more than bytes
            ping_interval=20,
            ping_timeout=20,
            # A peer that stopped reading (a flood we are closing) cannot answer the close
            # handshake; do not wait for it long.
            close_timeout=2,
            server_header=None,
            ssl=self._ssl,
            logger=websockets_logger("onsembl.gateway.ws"),
        )
        sock = next(iter(self._server.sockets))
        bound_host, bound_port = sock.getsockname()[:2]
        log.info("listening on %s://%s:%d", "wss" if self._ssl else "ws", bound_host, bound_port)
        return str(bound_host), int(bound_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()

    def _authenticate(self, conn: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path not in (AGENT_PATH, CONTROL_PATH):
            return conn.respond(HTTPStatus.NOT_FOUND, f"no endpoint {path[:100]}\n")
        presented = bearer(request.headers.get("Authorization"))
        if presented is None:
            self._refuse(conn, path, "no token")
            return conn.respond(
                HTTPStatus.UNAUTHORIZED,
                "missing token: send 'Authorization: Bearer TOKEN' (see `onsembl token`)\n",
            )
        if path == AGENT_PATH:
            grant = self.tokens.authenticate(presented)
            if grant is not None:
                self._grants[conn] = grant
                return None
        elif matches(presented, self._control_token):
            return None
        self._refuse(conn, path, "wrong token")
        return conn.respond(HTTPStatus.UNAUTHORIZED, "wrong token for this endpoint\n")

    def _refuse(self, conn: ServerConnection, path: str, why: str) -> None:
        addr = conn.remote_address
        host = str(addr[0]) if addr else "?"
        log.warning("refused %s on %s: %s", host, path, why)
        now = time.monotonic()
        last, count = self._refused.get(host, (-AUTH_AUDIT_EVERY_S, 0))
        if now - last < AUTH_AUDIT_EVERY_S:
            self._refused[host] = (last, count + 1)
            return
        if len(self._refused) > 10_000:
            self._refused.clear()
        self._refused[host] = (now, 0)
        self.core.audit.record(
            AuditEventType.AUTH_FAILED,
            ip_address=host,
            by_user=False,
            endpoint=path,
            reason=why,
            refused_since_last=count,
        )

    async def _route(self, conn: ServerConnection) -> None:
        assert conn.request is not None
        path = conn.request.path.split("?", 1)[0]
        if path == AGENT_PATH:
            grant = self._grants.pop(conn, None)
            if grant is None:  # (cannot happen: the handshake stored it)
                await conn.close(1008, "not authenticated")
                return
            await handle_agent(conn, self.core, grant, self.tokens, self.limits)
        else:
            await handle_control(conn, self.core, self._guard, self.tokens)
