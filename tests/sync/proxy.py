"""A TCP proxy that can drop every connection through it at once: the network going away.

It runs its own asyncio loop in a thread (the tests around it are plain, process-driving ones).
``cut(refuse_s)`` aborts all open connections, both ways, and refuses new ones for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time


class Proxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.cuts = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._links: set[asyncio.StreamWriter] = set()
        self._refuse_until = 0.0
        self._server: asyncio.Server | None = None

    def start(self) -> Proxy:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def cut(self, refuse_s: float = 0.0) -> int:
        """Drop every connection now (and refuse new ones for ``refuse_s``); returns how many."""
        self.cuts += 1
        return asyncio.run_coroutine_threadsafe(self._cut(refuse_s), self._loop).result(10)

    def url(self, url: str) -> str:
        """``url`` pointed at this proxy instead of the server."""
        host, port = self.target
        return url.replace(f"@{host}:{port}/", f"@127.0.0.1:{self.port}/")

    # --- on the proxy's loop ---------------------------------------------------------------------

    async def _serve(self) -> int:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _link(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        pair = (client_w, server_w)
        self._links.update(pair)
        try:
            await asyncio.gather(self._pump(client_r, server_w), self._pump(server_r, client_w))
        finally:
            for writer in pair:
                self._links.discard(writer)
                writer.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    async def _cut(self, refuse_s: float) -> int:
        self._refuse_until = time.monotonic() + refuse_s
        links = list(self._links)
        for writer in links:
            writer.transport.abort()
        return len(links) // 2

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._cut(3600)
