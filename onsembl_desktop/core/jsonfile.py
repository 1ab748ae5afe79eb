"""A small machine-local JSON file in the data dir (0600), read and written off the loop.

For state that belongs to this machine and not to the synced database: which local agents the app
supervises, which queues are paused. Saves are coalesced: the latest state is written, in order,
one write at a time, atomically (``paths.write_private``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from ..paths import write_private

log = logging.getLogger("onsembl.core.jsonfile")


class JsonFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: Any = None
        self._dirty = False
        self._writer: asyncio.Task[None] | None = None

    async def load(self, default: Any) -> Any:
        """The stored value, or ``default`` if there is none or it is unreadable."""
        loop = asyncio.get_running_loop()
        try:
            text = await loop.run_in_executor(None, self.path.read_text)
        except FileNotFoundError:
            return default
        except OSError as exc:
            log.warning("cannot read %s: %s", self.path, exc)
            return default
        try:
            return json.loads(text)
        except ValueError:
            log.warning("%s is not valid JSON; starting afresh", self.path)
            return default

    def save(self, value: Any) -> None:
        """Write ``value`` soon (returns at once; later saves supersede earlier pending ones)."""
        self._pending = value
        self._dirty = True
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._dirty:
            self._dirty = False
            text = json.dumps(self._pending, indent=2, sort_keys=True) + "\n"
            try:
                await loop.run_in_executor(None, write_private, self.path, text)
            except OSError as exc:
                log.error("cannot write %s: %s", self.path, exc)

    async def flush(self) -> None:
        """Wait until every save so far is on disk."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)
