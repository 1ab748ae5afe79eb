"""The WebSocket server: ``/ws/agent`` for agents, ``/ws/control`` for ``onsembl ctl``.

Authentication happens in the HTTP handshake: a missing or wrong ``Authorization: Bearer`` token
gets 401 with a one-line reason, before any WebSocket traffic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from ..core.service import Core
from .agent_endpoint import handle_agent
from .auth import bearer, matches
from .control import ReplayGuard, handle_control

log = logging.getLogger("onsembl.gateway")

AGENT_PATH = "/ws/agent"
CONTROL_PATH = "/ws/control"
MAX_MESSAGE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Tokens:
    agent: str
    control: str


class Gateway:
    def __init__(self, core: Core, tokens: Tokens) -> None:
        self.core = core
        self.tokens = tokens
        self._server: Server | None = None
        self._guard = ReplayGuard()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await serve(
            self._route,
            host,
            port,
            process_request=self._authenticate,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,  # local traffic: CPU matters more than bytes
            ping_interval=20,
            ping_timeout=20,
            server_header=None,
        )
        sock = next(iter(self._server.sockets))
        bound_host, bound_port = sock.getsockname()[:2]
        log.info("listening on ws://%s:%d", bound_host, bound_port)
        return str(bound_host), int(bound_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()

    def _authenticate(self, conn: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == AGENT_PATH:
            expected = self.tokens.agent
        elif path == CONTROL_PATH:
            expected = self.tokens.control
        else:
            return conn.respond(HTTPStatus.NOT_FOUND, f"no endpoint {path[:100]}\n")
        presented = bearer(request.headers.get("Authorization"))
        if presented is None:
            log.warning("refused %s: no token", conn.remote_address)
            return conn.respond(
                HTTPStatus.UNAUTHORIZED,
                "missing token: send 'Authorization: Bearer TOKEN' (see `onsembl token`)\n",
            )
        if not matches(presented, expected):
            log.warning("refused %s on %s: wrong token", conn.remote_address, path)
            return conn.respond(HTTPStatus.UNAUTHORIZED, "wrong token for this endpoint\n")
        return None

    async def _route(self, conn: ServerConnection) -> None:
        assert conn.request is not None
        path = conn.request.path.split("?", 1)[0]
        if path == AGENT_PATH:
            await handle_agent(conn, self.core)
        else:
            await handle_control(conn, self.core, self._guard)
