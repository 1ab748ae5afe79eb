"""A live WebSocket connection as the core sees it: ``send`` never blocks, a task does the writing.

Outgoing messages wait in a queue bounded in messages and bytes; an agent that stops reading until
the queue is full is disconnected rather than allowed to grow the app's memory without bound (it
would not read an ERROR either).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..protocol import codec
from ..protocol import messages as m

log = logging.getLogger("onsembl.gateway.link")


class WsLink:
    MAX_QUEUED = 10_000
    MAX_QUEUED_BYTES = 16 << 20

    def __init__(self, ws: ServerConnection, name: str = "") -> None:
        self.ws = ws
        self.name = name
        addr = ws.remote_address
        self.remote = f"{addr[0]}:{addr[1]}" if addr else ""
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._task: asyncio.Task[None] = asyncio.create_task(
            self._pump(), name=f"send:{self.remote}"
        )
        self._closing = False
        self._closer: asyncio.Task[None] | None = None
        self._queued_bytes = 0

    def send(self, payload: m.Payload) -> None:
        self.send_raw(codec.encode(payload))

    def send_raw(self, data: bytes) -> None:
        if self._closing:
            return
        if self._queue.qsize() >= self.MAX_QUEUED or self._queued_bytes > self.MAX_QUEUED_BYTES:
            # It would not read an ERROR or a close frame either: cut the connection now.
            log.warning("%s is not reading its messages; disconnecting it", self.remote)
            self._closing = True
            self._task.cancel()
            self.ws.transport.abort()
            return
        self._queued_bytes += len(data)
        self._queue.put_nowait(data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self._closing:
            return
        self._closing = True
        self._queue.put_nowait(None)
        self._closer = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        # Let queued messages (e.g. a fatal ERROR) go out first, briefly.
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), 2.0)
        with contextlib.suppress(ConnectionClosed, OSError):
            await self.ws.close(code, reason[:120])

    async def _pump(self) -> None:
        try:
            while True:
                data = await self._queue.get()
                if data is None:
                    return
                self._queued_bytes -= len(data)
                await self.ws.send(data, text=True)
        except ConnectionClosed:
            pass
        except OSError as exc:
            log.info("send to %s failed: %s", self.remote, exc)

    async def finish(self) -> None:
        """The connection is over: let a close in progress send what it must, stop the sender."""
        self._closing = True
        if self._closer is not None:
            # A close we asked for (e.g. after a fatal ERROR): the queued messages go out first,
            # then the close frame with its code and reason, each step bounded in time.
            await self._closer
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
