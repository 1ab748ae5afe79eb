"""Fixtures for the sync tests: a real PostgreSQL (``tests.store.conftest``) and local apps.

``Device`` is one data dir with its own SQLite store and sync engine, in this process; the
end-to-end tests run whole apps as processes instead (``tests.support``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from onsembl_desktop.store import queries
from onsembl_desktop.store.store import Store
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import OutputRow
from onsembl_desktop.sync import local
from onsembl_desktop.sync.engine import SyncEngine
from onsembl_desktop.sync.status import SyncStatus
from tests.store.conftest import PgServer, pg  # noqa: F401  (the session's server)

pytestmark = pytest.mark.postgres


class Device:
    """A data dir, its store and its sync engine (started by ``run``/``start``)."""

    def __init__(self, data_dir: Path, url: str) -> None:
        self.data_dir = data_dir
        self.url = url
        self.store: Store
        self.engine: SyncEngine
        self.statuses: list[SyncStatus] = []
        self.applied: list[set[str]] = []

    async def open(self) -> Device:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = await Store.open(self.data_dir)
        await self.store.write_wait(lambda conn: local.enable(conn, self.url))
        self.engine = SyncEngine(
            self.store, on_status=self.statuses.append, on_applied=self._applied, version="test"
        )
        return self

    async def _applied(self, tables: set[str]) -> None:
        self.applied.append(tables)

    async def close(self) -> None:
        await self.engine.stop()
        self.store.close()

    async def sync(self) -> SyncStatus:
        return await self.engine.run_once()

    # --- rows ------------------------------------------------------------------------------------

    async def agent(self, name: str) -> uuid.UUID:
        agent_id = uuid.uuid4()
        await self.store.write_wait(
            lambda conn: queries.upsert_agent(conn, agent_id, {"name": name, "type": "SHELL"})
        )
        return agent_id

    async def command(self, agent_id: uuid.UUID, text: str = "echo hi") -> uuid.UUID:
        command_id = uuid.uuid4()
        values = {"id": command_id, "user_id": self.store.user_id, "content": text}
        run = {"id": uuid.uuid4(), "command_id": command_id, "agent_id": agent_id}
        await self.store.write_wait(lambda conn: queries.insert_command(conn, values, [run]))
        return command_id

    async def output(
        self, command_id: uuid.UUID, agent_id: uuid.UUID, lines: list[str], start: int = 1
    ) -> None:
        for seq, line in enumerate(lines, start=start):
            self.store.submit(
                OutputRow(
                    queries.output_row(
                        command_id=command_id,
                        agent_id=agent_id,
                        seq=seq,
                        stream="STDOUT",
                        data=line,
                        timestamp=utcnow(),
                        raw=f'{{"n": {seq}}}',
                    )
                )
            )
        await self.store.flush()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import sqlite3

        con = sqlite3.connect(self.data_dir / "onsembl.db")
        try:
            return [tuple(r) for r in con.execute(sql, params)]
        finally:
            con.close()


@pytest.fixture
def remote_url(pg: PgServer) -> str:  # noqa: F811
    """A new, empty database: the engine brings the schema."""
    return pg.create_database()


@pytest.fixture
async def devices(tmp_path: Path, remote_url: str) -> AsyncIterator[Callable[..., Any]]:
    made: list[Device] = []

    async def make(name: str, url: str | None = None) -> Device:
        device = await Device(tmp_path / name, url or remote_url).open()
        made.append(device)
        return device

    yield make
    for device in made:
        await device.close()


def remote_rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql, params or None).fetchall()]
