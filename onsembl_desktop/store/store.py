"""The store as the rest of the app sees it: reads on a small thread pool, writes via the writer.

Nothing here blocks the asyncio loop: ``read`` awaits a worker thread, ``write`` only enqueues.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from .db import DB_FILENAME, local_user_id, open_database
from .writer import Apply, Callback, Op, StoreWriter

T = TypeVar("T")


class Store:
    def __init__(self, engine: Engine, path: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.engine = engine
        self.path = path
        self.user_id: uuid.UUID = local_user_id(engine)
        self._loop = loop
        self._status_listeners: list[Callable[[str | None], None]] = []
        self.writer = StoreWriter(engine, loop.call_soon_threadsafe, self._status_changed)
        self._reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="onsembl-store-read")
        self.error: str | None = None

    @classmethod
    async def open(cls, data_dir: Path) -> Store:
        """Open (create, migrate) the database without blocking the loop, and start the writer."""
        loop = asyncio.get_running_loop()
        path = data_dir / DB_FILENAME
        engine = await loop.run_in_executor(None, open_database, path)
        store = cls(engine, path, loop)
        store.writer.start()
        return store

    def on_status(self, listener: Callable[[str | None], None]) -> None:
        """``listener(message)`` when writing starts failing (message) or works again (None)."""
        self._status_listeners.append(listener)

    def _status_changed(self, message: str | None) -> None:
        self.error = message
        for listener in self._status_listeners:
            listener(message)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        return await self._loop.run_in_executor(self._reads, self._run_read, fn)

    def _run_read(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return fn(conn)

    def write(self, fn: Callable[[Connection], Any], done: Callback | None = None) -> None:
        self.writer.submit(Apply(fn, done))

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Write ``fn(conn, *args, **kwargs)`` (enqueued; runs in order on the writer thread)."""
        self.writer.submit(Apply(lambda conn: fn(conn, *args, **kwargs)))

    def submit(self, op: Op) -> None:
        self.writer.submit(op)

    async def write_wait(self, fn: Callable[[Connection], T]) -> T:
        """Write and wait until it has committed; raises what ``fn`` raised."""
        future: asyncio.Future[T] = self._loop.create_future()

        def done(value: Any, exc: BaseException | None) -> None:
            if future.done():
                return
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(value)

        self.writer.submit(Apply(fn, done))
        return await future

    async def flush(self) -> None:
        """Wait until everything submitted so far has committed."""
        future: asyncio.Future[None] = self._loop.create_future()

        def done(_value: Any, _exc: BaseException | None) -> None:
            if not future.done():
                future.set_result(None)

        self.writer.barrier(done)
        await future

    def close(self) -> None:
        self.writer.close()
        self._reads.shutdown(wait=True)
        self.engine.dispose()
