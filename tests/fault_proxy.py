"""A TCP proxy that can drop every connection through it: the network going away between two
processes (agent and app, or the app and PostgreSQL).

It runs its own asyncio loop in a thread, so tests (and benchmarks) that drive processes
synchronously can use it. ``drop()`` aborts every open connection at once (an RST each way, as a
dying NAT or Wi-Fi does); ``refuse(seconds)`` makes new connections fail for a while (the network
stays down); ``cut(refuse_s)`` does both, refusing first so that no reconnection slips in between.
Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from concurrent.futures import Future
from typing import Any


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = listen_port
        self.connections = 0  # connections made through to the target
        self.cuts = 0  # calls of drop() / cut()
        self.drops = 0  # of those, the ones that found a connection to cut
        self._refuse_until = 0.0
        self._links: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fault-proxy", daemon=True
        )

    # --- control (from any thread) ---------------------------------------------------------------

    def start(self) -> FaultProxy:
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
        """New connections are cut at once for ``seconds`` from now (the network is still down)."""
        self._refuse_until = time.monotonic() + seconds

    def cut(self, refuse_s: float = 0.0) -> int:
        """Refuse new connections for ``refuse_s``, then drop every one open; returns how many."""
        self.refuse(refuse_s)
        return self.drop()

    def retarget(self, host: str, port: int) -> None:
        self.target = (host, port)

    @property
    def ws_url(self) -> str:
        """A WebSocket URL to this proxy (for an agent connecting to the app behind it)."""
        return f"ws://127.0.0.1:{self.port}"

    def route(self, url: str) -> str:
        """``url`` (``scheme://user@host:port/...``) pointed at this proxy instead of the target."""
        host, port = self.target
        return url.replace(f"@{host}:{port}/", f"@127.0.0.1:{self.port}/")

    def _call(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # --- on the proxy's loop ---------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.refuse(3600)
        await self._abort_all()

    async def _drop(self) -> int:
        self.cuts += 1
        pairs = await self._abort_all()
        if pairs:
            self.drops += 1
        return pairs

    async def _abort_all(self) -> int:
        links = list(self._links)
        self._links.clear()
        for writer in links:
            writer.transport.abort()
        return len(links) // 2

    async def _link(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self.connections += 1
        pair = (client_w, server_w)
        self._links.update(pair)
        try:
            await asyncio.gather(_pump(client_r, server_w), _pump(server_r, client_w))
        finally:
            for writer in pair:
                self._links.discard(writer)
                writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(Exception):
        writer.transport.abort()
