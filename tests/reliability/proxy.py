"""A TCP proxy that can drop every connection through it: a network fault between agent and app.

Runs its own asyncio loop in a thread, so tests (and benchmarks) that drive processes
synchronously can use it. ``drop()`` aborts every open connection at once (an RST each way, as a
dying NAT or Wi-Fi does); ``refuse(seconds)`` makes new connections fail for a while (the network
stays down). Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from concurrent.futures import Future
from typing import Any


class DropProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = listen_port
        self.drops = 0
        self.connections = 0
        self._refuse_until = 0.0
        self._transports: set[asyncio.Transport] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="drop-proxy", daemon=True
        )

    # --- control (from any thread) ---------------------------------------------------------------

    def start(self) -> DropProxy:
        self._thread.start()
        self._call(self._listen()).result(10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def drop(self) -> int:
        """Abort every connection now; returns how many pairs were cut."""
        return int(self._call(self._drop()).result(10))

    def refuse(self, seconds: float) -> None:
        """New connections are cut at once for ``seconds`` (the network is still down)."""
        self._refuse_until = time.monotonic() + seconds

    def retarget(self, host: str, port: int) -> None:
        self.target = (host, port)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _call(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # --- the loop side ---------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop()

    async def _drop(self) -> int:
        pairs = len(self._transports) // 2
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()
        if pairs:
            self.drops += 1
        return pairs

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        pair = {writer.transport, up_writer.transport}
        self._transports |= pair  # type: ignore[arg-type]
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._transports -= pair  # type: ignore[arg-type]
            for w in (writer, up_writer):
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(Exception):
        writer.transport.abort()
