"""``/ws/control``: requests from ``onsembl ctl`` and scripts, answered from the core.

Methods are registered in :data:`METHODS`; each takes its params Struct and returns JSON-ready data.
Methods live in sibling modules by domain (``commands``, ...), each registering with
:func:`method`; :mod:`.` imports them all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ...core.audit import CTL_ORIGIN, acting_as
from ...core.service import Core
from ...errors import KnownError
from ...protocol import control as c
from ...protocol.codec import ErrorCode, ProtocolError
from ..limits import MAX_MESSAGE_BYTES

if TYPE_CHECKING:
    from ..tokens import AgentTokens

log = logging.getLogger("onsembl.gateway.control")

Handler = Callable[["ControlSession", Any], Awaitable[Any]]
METHODS: dict[str, tuple[type[c.Params], Handler]] = {}


def method(name: str, params: type[c.Params]) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = (params, fn)
        return fn

    return register


class ReplyTooLargeError(KnownError):
    def __init__(self, size: int) -> None:
        super().__init__(
            f"the reply of {size} bytes is over the {c.MAX_REPLY_BYTES} byte limit of a control "
            "message: ask for less (a smaller limit, a page at a time)"
        )


class ReplayGuard:
    """Refuses a request id seen before, or a request too old to tell (a replayed capture)."""

    def __init__(self, window_ms: int = c.MAX_REQUEST_AGE_MS) -> None:
        self._window_ms = window_ms
        self._seen: dict[str, int] = {}

    def check(self, req: c.ControlRequest) -> None:
        now = int(time.time() * 1000)
        if abs(now - req.timestamp) > self._window_ms:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "request timestamp outside the allowed window", ref_id=req.id
            )
        if req.id in self._seen:
            raise ProtocolError(ErrorCode.FORBIDDEN, "request id already used", ref_id=req.id)
        # Remember it for as long as its timestamp stays acceptable (it may lie in the future).
        self._seen[req.id] = max(now, req.timestamp)
        if len(self._seen) > 10_000:
            cutoff = now - self._window_ms
            self._seen = {k: v for k, v in self._seen.items() if v >= cutoff}


class ControlSession:
    def __init__(
        self,
        ws: ServerConnection,
        core: Core,
        guard: ReplayGuard,
        tokens: AgentTokens | None = None,
    ) -> None:
        self.ws = ws
        self.core = core
        self.guard = guard
        self.tokens = tokens
        self.tasks: set[asyncio.Task[None]] = set()

    async def send(self, msg: c.ControlResponse | c.ControlEvent) -> None:
        data = c.encode(msg)
        if len(data) > c.MAX_REPLY_BYTES:  # the client would drop the connection (1009)
            raise ReplyTooLargeError(len(data))
        await self.ws.send(data, text=True)

    async def serve(self) -> None:
        try:
            with acting_as(CTL_ORIGIN):  # what ctl does is audited as ctl's, not the window's
                async for raw in self.ws:
                    await self._handle(raw)
        except ConnectionClosed:
            pass
        finally:
            for task in self.tasks:
                task.cancel()
            # Wait for them: they read the store, which the app may be about to close.
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _handle(self, raw: str | bytes) -> None:
        req_id = ""
        try:
            if len(raw) > MAX_MESSAGE_BYTES:
                raise ProtocolError(
                    ErrorCode.INVALID_MESSAGE,
                    f"a request of {len(raw)} bytes is over the {MAX_MESSAGE_BYTES} byte limit",
                )
            req = c.decode_request(raw)
            req_id = req.id
            self.guard.check(req)
            entry = METHODS.get(req.method)
            if entry is None:
                raise ProtocolError(
                    ErrorCode.UNKNOWN_TYPE, f"unknown method {req.method!r}", ref_id=req.id
                )
            params_type, handler = entry
            params = c.parse_params(params_type, req)
            result = await handler(self, params)
            await self.send(c.ControlResponse(id=req.id, ok=True, result=result))
        except ProtocolError as exc:
            await self._error(req_id, exc.code.value, exc.message)
        except KnownError as exc:
            await self._error(req_id, "REFUSED", str(exc))
        except ConnectionClosed:
            raise
        except Exception as exc:
            log.exception("control request failed")
            await self._error(req_id, ErrorCode.INTERNAL.value, f"internal error: {exc}")

    async def _error(self, req_id: str, code: str, message: str) -> None:
        info = c.ControlErrorInfo(code=code, message=message)
        await self.send(c.ControlResponse(id=req_id, ok=False, error=info))


async def handle_control(
    ws: ServerConnection, core: Core, guard: ReplayGuard, tokens: AgentTokens | None = None
) -> None:
    await ControlSession(ws, core, guard, tokens).serve()
