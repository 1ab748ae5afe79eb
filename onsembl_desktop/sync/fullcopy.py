"""Copying the whole remote database into the local one: a new device, a new remote database,
or a device whose cursor is older than the sync log keeps.

One REPEATABLE READ snapshot, table by table in parent-to-child order, page by page in key
order, each page applied with the progress made, so a copy cut short resumes where it stopped.
A resumed copy reads a newer snapshot: rows whose parent it skipped are left out (and logged),
and come with the log, which is read from the *first* snapshot's xmin on: every change since
then is in it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from ..store.outbox import OUTPUTS, SYNCED_TABLES
from ..store.store import Store
from . import apply, local
from .remote import Remote

log = logging.getLogger("onsembl.sync.fullcopy")

PAGE = 2_000
OUTPUT_PAGE = 10_000


async def full_copy(
    remote: Remote,
    store: Store,
    device: str,
    applied: Callable[[set[str]], Awaitable[None]],
) -> tuple[str, int]:
    """Copy everything; returns the pull cursor to go on from."""
    saved = await store.read(lambda conn: local.get_state(conn, local.FULL_PULL))
    progress: dict[str, Any] = json.loads(saved.get(local.FULL_PULL) or "{}")
    tables: set[str] = set()
    async with remote.conn.transaction():
        xmin = await remote.snapshot()
        progress.setdefault("xmin", xmin)
        start = int(progress.get("table", 0))
        log.info("sync: copying the remote database (from %s)", SYNCED_TABLES[start])
        for index in range(start, len(SYNCED_TABLES)):
            name = SYNCED_TABLES[index]
            after = progress.get("after") if index == start else None
            carry: list[dict[str, Any]] = []
            while True:
                page = await remote.table_page(
                    name, after, OUTPUT_PAGE if name == OUTPUTS else PAGE
                )
                if not page.rows and not carry:
                    break
                after = page.after or after
                progress |= {"table": index, "after": after}
                rows: dict[str, list[Any]] = {} if name == OUTPUTS else {name: page.rows}
                done = await store.write_wait(
                    partial(
                        apply.apply_page,
                        rows=rows,
                        outputs=page.rows if name == OUTPUTS else None,
                        carry=carry,
                        device=device,
                        state={local.FULL_PULL: json.dumps(progress)},
                    )
                )
                tables |= done.tables
                carry = done.leftover
                if not page.rows:
                    if carry:
                        log.warning("sync: %d trace entries without their parent", len(carry))
                    break
    cursor = (str(progress["xmin"]), 0)
    await store.write_wait(
        partial(
            local.set_state,
            values={local.PULL_XID: cursor[0], local.PULL_SEQ: "0", local.FULL_PULL: None},
        )
    )
    if tables:
        await applied(tables)
    return cursor
