"""The sync engine: one asyncio task that keeps the local database and the remote one in step.

Local reads run on the store's read threads and local writes go through its writer (in order
with the app's own writes); remote I/O is psycopg's async API, with a second connection
LISTENing for other devices' changes. Nothing here blocks the loop.

A session: bring the remote schema up to date (``schema/``; a newer one is refused), register
this device, settle who the person is (the first device's user; later devices adopt it), copy
everything if the cursor is missing or too old, then rounds until told to stop: push the outbox
in batches (each marked done only after the remote commit), pull what other devices changed
(when notified, and every few seconds anyway), renew the maintenance lease and run remote
retention when due. Any failure ends the session: offline (network, server away) or error
(wrong URL, password, permissions, schema), retried with exponential backoff. Since pushes are
idempotent upserts and each pulled page is applied with its cursor in one local transaction,
a session cut anywhere — or the app killed — loses and doubles nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import psycopg

from ..errors import KnownError
from ..store import pg_migrate
from ..store.store import Store
from . import apply, local, maintenance, remote
from .credentials import password_of
from .fullcopy import full_copy
from .status import SyncState, SyncStatus

log = logging.getLogger("onsembl.sync")

T = TypeVar("T")
OnApplied = Callable[[set[str]], Awaitable[None]]


class SyncEngine:
    PUSH_POLL_S = 0.25  # how often an idle engine looks for local changes
    PULL_EVERY_S = 2.0  # pull this often without notifications (10 s with them)
    PULL_EVERY_LISTENING_S = 10.0
    LEASE_EVERY_S = 60.0
    REMOTE_TIMEOUT_S = 60.0  # one remote step longer than this: the connection is gone
    BACKOFF = (1.0, 60.0)  # offline: first retry, longest wait
    BACKOFF_CONFIG = (15.0, 300.0)  # wrong configuration: no hammering of the server
    BATCH_ENTRIES = 2_000
    BATCH_OUTPUTS = 10_000

    def __init__(
        self,
        store: Store,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_applied: OnApplied | None = None,
        version: str = "",
        label: str | None = None,
    ) -> None:
        self._store = store
        self._data_dir = store.path.parent
        self._on_status = on_status
        self._on_applied = on_applied
        self._version = version
        self._label = label or socket.gethostname()
        self.status = SyncStatus(SyncState.DISABLED)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._restart = False
        self._remote: remote.Remote | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listen_conn: Any = None
        self._listening = False
        self._notified = True
        self._last_pull = 0.0
        self._last_lease = 0.0
        self._cursor: tuple[str, int] | None = None
        self._ahead: local.OutboxBatch | None = None  # read while the last one was pushed
        self._pushed_through = 0
        self._waiters: list[tuple[int, float, asyncio.Future[SyncStatus]]] = []
        self._retried = False  # the waiters have had their one retry after a failure
        self._published = 0.0
        self.device_id = ""

    # --- control ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._disconnect()

    def reconfigure(self) -> None:
        """The configuration changed (``sync configure`` / ``disable``): start a new session."""
        self._restart = True
        self._wake.set()

    async def sync_now(self, within: float = 120.0) -> SyncStatus:
        """Push everything waiting now and pull; returns the status once done."""
        if self.status.state is SyncState.DISABLED:
            raise KnownError("sync is not configured (onsembl sync configure --url ...)")
        target = await self._store.read(_last_seq)
        future: asyncio.Future[SyncStatus] = asyncio.get_running_loop().create_future()
        if not self._waiters:
            self._retried = False
        self._waiters.append((target, time.time(), future))
        self._notified = True
        self._wake.set()
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            raise KnownError(
                f"sync did not finish within {within:.0f} s ({self.status.summary()})"
            ) from None

    async def run_once(self) -> SyncStatus:
        """One session until nothing is left to push or pull (``onsembl sync now`` while the
        app is not running); raises what stopped it."""
        config = await self._store.read(local.load_config)
        if not config.enabled or not config.url:
            raise KnownError("sync is not configured (onsembl sync configure --url ...)")
        self.device_id = config.device_id
        try:
            self._set(state=SyncState.CONNECTING, url=config.url)
            await self._connect(config, listen=False)
            self._set(state=SyncState.ONLINE, error=None)
            while True:
                pushed = await self._push()
                await self._pull()
                if not pushed:
                    break
            await self._maintain()
            await self._publish(force=True)
            return self.status
        except Exception as exc:
            raise _user_error(exc) from None
        finally:
            await self._disconnect()

    # --- the loop --------------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            self._restart = False
            config = await self._store.read(local.load_config)
            self.device_id = config.device_id
            self.status = dataclasses.replace(self.status, device_id=config.device_id)
            if not config.enabled or not config.url:
                self._set(state=SyncState.DISABLED, url=None, error=None, retry_in_s=None)
                self._fail_waiters(KnownError("sync is not configured"))
                await self._sleep(math.inf)
                continue
            try:
                self._set(state=SyncState.CONNECTING, url=config.url, retry_in_s=None)
                await self._connect(config)
                failures = 0
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                await self._failed(exc, failures)
            finally:
                await self._disconnect()

    async def _failed(self, exc: Exception, failures: int) -> None:
        problem = _user_error(exc)
        wrong = isinstance(problem, remote.SyncConfigError | pg_migrate.SchemaError)
        first, longest = self.BACKOFF_CONFIG if wrong else self.BACKOFF
        delay = min(longest, first * 2 ** min(failures - 1, 16))
        state = SyncState.ERROR if wrong else SyncState.OFFLINE
        if not isinstance(problem, KnownError | remote.Offline):
            log.exception("sync failed")
        else:
            log.warning("sync %s: %s (retrying in %.0f s)", state.value, problem, delay)
        # ``sync now`` rides out one blip (a retry soon); a second failure, or a wrong
        # configuration, is its answer.
        if self._waiters and not wrong and not self._retried:
            self._retried, delay = True, min(delay, 1.0)
        else:
            self._fail_waiters(KnownError(f"sync is {state.value}: {problem}"))
        self._set(state=state, error=str(problem), retry_in_s=delay)
        await self._publish(force=True)
        await self._sleep(delay)

    async def _session(self) -> None:
        self._set(state=SyncState.ONLINE, error=None, retry_in_s=None)
        while not self._restart:
            pushed = await self._push()
            if self._pull_due():
                await self._pull()
            if time.monotonic() - self._last_lease > self.LEASE_EVERY_S:
                await self._maintain()
            await self._publish()
            if self._listener is not None and self._listener.done():
                raise remote.Offline("the notification connection was lost")
            if not pushed:
                await self._sleep(self.PUSH_POLL_S)

    def _pull_due(self) -> bool:
        every = self.PULL_EVERY_LISTENING_S if self._listening else self.PULL_EVERY_S
        return self._notified or bool(self._waiters) or time.monotonic() - self._last_pull > every

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), None if seconds == math.inf else seconds)
        self._wake.clear()

    # --- connecting ------------------------------------------------------------------------------

    async def _connect(self, config: local.LocalConfig, *, listen: bool = True) -> None:
        assert config.url is not None
        loop = asyncio.get_running_loop()
        url = await loop.run_in_executor(None, password_of, self._data_dir, config.url)
        conn = await remote.connect(url)  # first: it tells a wrong URL from a network away
        self._remote = remote.Remote(conn, config.device_id)
        await self._timed(loop.run_in_executor(None, pg_migrate.upgrade, url))
        await self._timed(self._remote.register(self._label, self._version))
        database_id = await self._timed(self._remote.meta("database_id"))
        if database_id is None:
            raise pg_migrate.SchemaError("the database has no onsembl_sync_meta.database_id")
        if config.database_id != database_id:
            log.info("sync: a new remote database (%s): pulling it all, pushing everything", url)
            await self._store.write_wait(partial(local.forget_remote, database_id=database_id))
        await self._identity()
        state = await self._store.read(
            lambda conn: local.get_state(conn, local.PULL_XID, local.PULL_SEQ, local.FULL_PULL)
        )
        horizon = await self._timed(self._remote.meta("log_horizon"))
        xid = state.get(local.PULL_XID)
        if xid is None or local.FULL_PULL in state or (horizon and int(xid) <= int(horizon)):
            self._cursor = None
        else:
            self._cursor = (xid, int(state.get(local.PULL_SEQ, "0")))
        self._notified = True
        if listen:
            await self._listen(url)

    async def _identity(self) -> None:
        """One person across devices: the database's first user; this device adopts it."""
        assert self._remote is not None
        owner = await self._timed(self._remote.meta("owner_user_id"))
        me = self._store.user_id
        if owner is None:
            row = await self._store.read(partial(_user_json, user_id=me))
            owner = await self._timed(self._remote.claim_owner(row))
        if uuid.UUID(owner) == me:
            return
        rows = await self._timed(self._remote.rows("users", [owner]))
        if not rows:
            raise remote.Offline("the database's user is not there yet")
        log.info("sync: this app's user becomes the database's user %s", owner)
        # New writes name the new user from now on; the writer moves the older ones first.
        self._store.user_id = uuid.UUID(owner)
        try:
            await self._store.write_wait(
                partial(apply.adopt_owner, owner=rows[0], old=me, device=self.device_id)
            )
        except BaseException:
            self._store.user_id = me
            raise
        await self._applied({"users", "commands", "command_presets", "audit_logs"})

    async def _listen(self, url: str) -> None:
        """LISTEN for other devices' changes (best effort: without it, pulls are polled)."""
        try:
            conn = await remote.connect(url)
            await conn.execute("LISTEN onsembl_sync")
        except Exception as exc:
            log.info("sync: no notifications (%s); polling every %.0f s", exc, self.PULL_EVERY_S)
            self._listening = False
            return
        self._listening = True
        self._listen_conn = conn
        self._listener = asyncio.create_task(self._hear(conn), name="sync-listen")

    async def _hear(self, conn: Any) -> None:
        me = str(uuid.UUID(self.device_id))
        try:
            async for note in conn.notifies():
                if note.payload != me:
                    self._notified = True
                    self._wake.set()
        finally:
            self._wake.set()

    async def _disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._listen_conn.close(), 5)
            self._listen_conn = None
        self._listening = False
        self._ahead = None
        if self._remote is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._remote.close(), 5)
            self._remote = None

    # --- push and pull ---------------------------------------------------------------------------

    async def _read(self, after: local.OutboxBatch | None) -> local.OutboxBatch:
        return await self._store.read(
            partial(
                local.read_batch,
                max_entries=self.BATCH_ENTRIES,
                max_outputs=self.BATCH_OUTPUTS,
                after=after,
            )
        )

    async def _push(self) -> int:
        """Push one batch; returns how many entries it covered (0: nothing was waiting).

        While a full batch goes to the remote, the next one is read (the local read and the
        remote write take about as long each). The next one starts behind this one, so
        marking this one pushed cannot disturb it."""
        assert self._remote is not None
        batch, self._ahead = self._ahead or await self._read(None), None
        if batch.empty:
            self._pushed_through = max(self._pushed_through, batch.high)
            return 0
        ahead = asyncio.ensure_future(self._read(batch)) if batch.more else None
        try:
            result = await self._timed(self._remote.push(batch, self._cursor))
        except BaseException:
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead
            raise
        done = await self._store.write_wait(
            partial(
                apply.take_push,
                last_seq=batch.last_seq,
                partial=batch.partial,
                lost=result.lost,
                gone=result.gone,
                collisions=result.collisions,
                overwritten=result.overwritten,
                device=self.device_id,
            )
        )
        through = batch.partial[0] - 1 if batch.partial else batch.last_seq
        self._pushed_through = max(self._pushed_through, through)
        now = time.time()
        self._set(last_push=now, conflicts=self.status.conflicts + done.conflicts)
        if result.refused:
            self._set(error=f"the remote database refused {result.refused[0]}")
        if done.tables:
            await self._applied(done.tables)
        self.pushed(batch, now)
        if ahead is not None:
            self._ahead = await ahead
        return batch.entries

    def pushed(self, batch: local.OutboxBatch, committed_at: float) -> None:
        """Hook: a batch reached the remote (benchmarks measure lag here)."""

    async def _pull(self) -> None:
        assert self._remote is not None
        started = time.time()
        self._notified = False
        if self._cursor is None:
            self._cursor = await full_copy(self._remote, self._store, self.device_id, self._applied)
        while True:
            page = await self._timed(self._remote.pull(self._cursor))
            assert page.cursor is not None
            if page.entries:
                state: dict[str, str | None] = {
                    local.PULL_XID: page.cursor[0],
                    local.PULL_SEQ: str(page.cursor[1]),
                }
                done = await self._store.write_wait(
                    partial(
                        apply.apply_page,
                        rows=page.rows,
                        gone=page.gone,
                        writers=page.writers,
                        outputs=page.outputs,
                        device=self.device_id,
                        state=state,
                    )
                )
                self._set(conflicts=self.status.conflicts + done.conflicts)
                if done.tables:
                    await self._applied(done.tables)
            self._cursor = page.cursor
            if page.caught_up:
                break
        self._last_pull = time.monotonic()
        self._set(last_pull=time.time())
        if self._waiters:
            await self._publish(force=True)  # they are answered with the current backlog
        self._resolve_waiters(started)

    async def _maintain(self) -> None:
        assert self._remote is not None
        self._last_lease = time.monotonic()
        conn = self._remote.conn
        held = await self._timed(maintenance.take_lease(conn, self._remote.device))
        self._set(lease=held)
        if held and await self._timed(maintenance.due(conn)):
            await self._timed(maintenance.run(conn))

    async def _applied(self, tables: set[str]) -> None:
        if self._on_applied is not None:
            try:
                await self._on_applied(tables)
            except Exception:
                log.exception("sync: reacting to pulled changes failed")

    async def _timed(self, work: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(work, self.REMOTE_TIMEOUT_S)
        except TimeoutError:
            raise remote.Offline(
                f"the database did not answer within {self.REMOTE_TIMEOUT_S:.0f} s"
            ) from None

    # --- status ----------------------------------------------------------------------------------

    def _set(self, **changes: Any) -> None:
        self.status = dataclasses.replace(self.status, **changes)
        if "state" in changes or "error" in changes:
            self._emit()

    async def _publish(self, *, force: bool = False) -> None:
        """Backlog and lag, at most twice a second unless forced."""
        if not force and time.monotonic() - self._published < 0.5:
            return
        count, oldest = await self._store.read(local.backlog)
        lag = 0.0 if oldest is None else max(0.0, time.time() - oldest)
        self.status = dataclasses.replace(
            self.status, backlog=count, lag_s=round(lag, 3), device_id=self.device_id
        )
        self._emit()

    def _emit(self) -> None:
        self._published = time.monotonic()
        if self._on_status is not None:
            try:
                self._on_status(self.status)
            except Exception:
                log.exception("sync status listener failed")

    def _resolve_waiters(self, pull_started: float) -> None:
        keep = []
        for target, asked, future in self._waiters:
            if future.done():
                continue
            if target <= self._pushed_through and asked <= pull_started:
                future.set_result(self.status)
            else:
                keep.append((target, asked, future))
        self._waiters = keep
        self._retried = self._retried and bool(keep)

    def _fail_waiters(self, exc: Exception) -> None:
        for _target, _asked, future in self._waiters:
            if not future.done():
                future.set_exception(exc)
        self._waiters = []
        self._retried = False


def _user_error(exc: BaseException) -> Exception:
    if isinstance(exc, pg_migrate.SchemaError) and str(exc).startswith("cannot connect"):
        return remote.classify(psycopg.OperationalError(str(exc)))
    if isinstance(exc, KnownError | remote.Offline | remote.SyncConfigError):
        return exc
    return remote.classify(exc)


def _last_seq(conn: Any) -> int:
    return local.high_seq(conn)


def _user_json(conn: Any, user_id: uuid.UUID) -> dict[str, Any]:
    from . import codec

    users = codec.table("users")
    row = conn.execute(users.select().where(users.c.id == user_id)).one()
    return codec.row_to_json(users, row)
