"""Sync benchmark: terminal output from the local store to PostgreSQL, beside row-by-row INSERTs.

    python benchmarks/bench_sync.py [--rows N] [--pg-url URL] [--lag-seconds S] [--rate R]

1. Throughput: ``--rows`` (default 200,000) terminal-output rows stored through the real writer
   with sync recording on, then one sync session pushes them (``SyncEngine.run_once``: connect,
   schema migrations on a fresh database, then batches of COPY + INSERT ... ON CONFLICT).
   Baselines in the same run, into another fresh database with the same schema: one INSERT per
   row in one transaction, and one INSERT and commit per row.
2. Lag: 10 simulated agents stream through the real writer (``--rate`` chunks/s each) while
   the engine runs in the background as in the app; lag = remote commit time - the row's
   timestamp, for every row, after a 2 s warm-up.
3. The writer with sync on: chunks/s through the writer while the engine pushes them, beside
   the writer with sync off, in the same run (the store's target is 50,000 chunks/s).

Targets: >= 20,000 rows/s to the remote; steady-state lag p99 <= 2 s.
PostgreSQL: ``--pg-url`` (an admin URL), else ``ONSEMBL_TEST_PG_URL``, else
postgresql://postgres@127.0.0.1:5432/postgres; databases are made and dropped here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from benchmarks.bench_store import payloads
from onsembl_desktop.store import pg_migrate, queries
from onsembl_desktop.store.outputs import OUTPUT_COLUMNS
from onsembl_desktop.store.store import Store
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import OutputRow
from onsembl_desktop.sync import local
from onsembl_desktop.sync.engine import SyncEngine
from onsembl_desktop.sync.local import OutboxBatch
from onsembl_desktop.sync.status import SyncState

RATE_TARGET = 20_000
LAG_TARGET_S = 2.0
WRITER_TARGET = 50_000
AGENTS = 10
WINDOW = 200_000


class Measured(SyncEngine):
    """The engine, noting when each batch reached the remote and the rows' own times."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, version="bench")
        self.lags: list[tuple[float, float]] = []  # (committed at, lag s)
        self.rows = 0
        self.first: float | None = None
        self.last = 0.0

    async def _connect(self, config: Any, *, listen: bool = True) -> None:
        await super()._connect(config, listen=listen)
        self.first = time.perf_counter()  # connected, schema up to date: pushing starts

    def pushed(self, batch: OutboxBatch, committed_at: float) -> None:
        self.rows += batch.output_count
        self.last = time.perf_counter()
        times = [local.unix_time(t) for t in batch.output_times]
        self.lags.extend((committed_at, committed_at - t) for t in times)


class Databases:
    def __init__(self, admin: str) -> None:
        self.admin = admin
        self.made: list[str] = []

    def create(self) -> str:
        name = f"onsembl_bench_{secrets.token_hex(4)}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.admin.rsplit("/", 1)[0] + f"/{name}"

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def device(folder: Path, url: str | None) -> tuple[Store, list[tuple[uuid.UUID, uuid.UUID]]]:
    """A store (sync on if ``url``) with AGENTS agents, each running one command."""
    folder.mkdir(parents=True)  # noqa: ASYNC240 - a benchmark's set-up
    store = await Store.open(folder)
    if url is not None:
        await store.write_wait(lambda conn: local.enable(conn, url))
    streams = []
    for i in range(AGENTS):
        agent_id, command_id = uuid.uuid4(), uuid.uuid4()
        values = {"id": command_id, "user_id": store.user_id, "content": f"task {i}"}
        run = {"id": uuid.uuid4(), "command_id": command_id, "agent_id": agent_id}

        agent = {"name": f"agent-{i}", "type": "CLAUDE"}

        def write(
            conn: Any, a: Any = agent_id, g: Any = agent, v: Any = values, r: Any = run
        ) -> None:
            queries.upsert_agent(conn, a, g)
            queries.insert_command(conn, v, [r])

        await store.write_wait(write)
        streams.append((agent_id, command_id))
    return store, streams


def produce(store: Store, streams: list[tuple[uuid.UUID, uuid.UUID]], n: int) -> float:
    """Submit ``n`` chunks as fast as the writer takes them (from this thread); chunks/s."""
    texts = payloads()
    seqs = [0] * len(streams)
    started = time.perf_counter()
    for i in range(n):
        s = i % len(streams)
        agent_id, command_id = streams[s]
        seqs[s] += 1
        row = queries.output_row(
            command_id=command_id,
            agent_id=agent_id,
            seq=seqs[s],
            stream="STDOUT",
            data=texts[i % len(texts)],
            timestamp=utcnow(),
        )
        store.writer.submit(OutputRow(row))
        if i % 1000 == 0:
            while i - store.writer.stats.rows > WINDOW:
                time.sleep(0.001)
    done = threading.Event()
    store.writer.barrier(lambda _v, _e: done.set())
    done.wait()
    return n / (time.perf_counter() - started)


async def throughput(root: Path, dbs: Databases, rows: int) -> tuple[float, float, float, Path]:
    url = dbs.create()
    store, streams = await device(root / "push", url)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, produce, store, streams, rows)
    engine = Measured(store)
    started = time.perf_counter()
    await engine.run_once()
    total = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        remote = conn.execute("SELECT count(*) FROM terminal_outputs").fetchone()
    assert remote is not None and remote[0] == rows, f"{remote} rows arrived, not {rows}"
    await loop.run_in_executor(None, store.close)
    assert engine.first is not None
    pushing = rows / (engine.last - engine.first)
    return rows / total, pushing, total, root / "push"


def baseline(source: Path, url: str, rows: int, commit_each: bool) -> float:
    """Row-by-row INSERTs of stored rows (their commands and agents copied first)."""
    import sqlite3

    from sqlalchemy import create_engine, select

    from onsembl_desktop.sync import codec

    pg_migrate.upgrade(url)
    engine = create_engine(f"sqlite:///{source / 'onsembl.db'}")
    with psycopg.connect(url) as conn, engine.connect() as lite:
        for name in ("users", "agents", "commands"):
            tbl = codec.table(name)
            for row in lite.execute(select(tbl)):
                conn.execute(
                    f"INSERT INTO {name} SELECT * FROM jsonb_populate_record(NULL::{name}, %s)",
                    (codec.rows_json(codec.row_to_json(tbl, row)),),
                )
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(source / "onsembl.db")
    data = con.execute(
        f"SELECT {', '.join(OUTPUT_COLUMNS)} FROM terminal_outputs LIMIT ?", (rows,)
    ).fetchall()
    con.close()
    sql = (
        f"INSERT INTO terminal_outputs ({', '.join(OUTPUT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(OUTPUT_COLUMNS))})"
    )
    with psycopg.connect(url, options="-c TimeZone=UTC") as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for row in data:
            cur.execute(sql, (*row[:5], bool(row[5]), *row[6:]))
            if commit_each:
                conn.commit()
        conn.commit()
        elapsed = time.perf_counter() - started
    return len(data) / elapsed


async def lag(root: Path, dbs: Databases, seconds: float, rate: int) -> list[float]:
    store, streams = await device(root / "lag", dbs.create())
    engine = Measured(store)
    engine.start()
    while engine.status.state is not SyncState.ONLINE:
        assert engine.status.state is not SyncState.ERROR, engine.status.error
        await asyncio.sleep(0.05)
    texts = payloads()
    seqs = [0] * AGENTS
    tick = 0.01
    started = time.time()
    n = 0
    while time.time() - started < seconds:  # each agent: ``rate`` chunks/s, in 10 ms slices
        for s, (agent_id, command_id) in enumerate(streams):
            for _ in range(max(1, round(rate * tick))):
                seqs[s] += 1
                n += 1
                store.submit(
                    OutputRow(
                        queries.output_row(
                            command_id=command_id,
                            agent_id=agent_id,
                            seq=seqs[s],
                            stream="STDOUT",
                            data=texts[n % len(texts)],
                            timestamp=utcnow(),
                        )
                    )
                )
        await asyncio.sleep(tick)
    await engine.sync_now(within=60)
    await engine.stop()
    await asyncio.get_running_loop().run_in_executor(None, store.close)
    warm = started + 2.0
    return sorted(value for at, value in engine.lags if at - value >= warm)


async def writer_rates(root: Path, dbs: Databases, chunks: int) -> tuple[float, float]:
    """Chunks/s through the writer: sync off, then on with the engine pushing meanwhile."""
    loop = asyncio.get_running_loop()
    plain, streams = await device(root / "writer-off", None)
    off = await loop.run_in_executor(None, produce, plain, streams, chunks)
    await loop.run_in_executor(None, plain.close)
    synced, streams = await device(root / "writer-on", dbs.create())
    engine = Measured(synced)
    engine.start()
    on = await loop.run_in_executor(None, produce, synced, streams, chunks)
    await engine.stop()
    await loop.run_in_executor(None, synced.close)
    return off, on


def quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def step(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace, root: Path, dbs: Databases) -> int:
    step("throughput")
    rate, pushing, total, source = await throughput(root, dbs, args.rows)
    step("baselines")
    row_by_row = baseline(source, dbs.create(), min(args.rows, args.baseline_rows), False)
    commit_each = baseline(source, dbs.create(), min(args.rows, 2_000), True)
    step("lag")
    lags = await lag(root, dbs, args.lag_seconds, args.rate)
    step("writer")
    off, on = await writer_rates(root, dbs, args.writer_chunks)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work skews timings)")
    print(f"push: {args.rows:,} terminal-output rows from the local store to PostgreSQL")
    print(
        f"  {rate:>10,.0f} rows/s   ({total:.1f} s, connect and schema included; target "
        f"{RATE_TARGET:,}: {'met' if rate >= RATE_TARGET else 'NOT met'})"
    )
    print(f"  {pushing:>10,.0f} rows/s   once connected (the batches alone)")
    print("baselines (same run, a fresh database with the same schema):")
    print(
        f"  {row_by_row:>10,.0f} rows/s   one INSERT per row, one transaction "
        f"({rate / row_by_row:,.1f}x slower than sync)"
    )
    print(
        f"  {commit_each:>10,.0f} rows/s   one INSERT and one commit per row "
        f"({rate / commit_each:,.1f}x slower than sync)"
    )
    p99 = quantile(lags, 0.99)
    print(
        f"lag: {AGENTS} agents x {args.rate:,} chunks/s for {args.lag_seconds:.0f} s, engine in "
        f"the background ({len(lags):,} rows after a 2 s warm-up)"
    )
    print(
        f"  p50 {quantile(lags, 0.5):.3f} s, p99 {p99:.3f} s, max {quantile(lags, 1.0):.3f} s "
        f"(target p99 <= {LAG_TARGET_S:g} s: {'met' if p99 <= LAG_TARGET_S else 'NOT met'})"
    )
    print(f"store writer, {args.writer_chunks:,} chunks from {AGENTS} agents:")
    print(f"  {off:>10,.0f} chunks/s   sync off")
    print(
        f"  {on:>10,.0f} chunks/s   sync on, the engine pushing meanwhile (target "
        f"{WRITER_TARGET:,}: {'met' if on >= WRITER_TARGET else 'NOT met'})"
    )
    return 0 if rate >= RATE_TARGET and p99 <= LAG_TARGET_S else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--baseline-rows", type=int, default=20_000)
    p.add_argument("--lag-seconds", type=float, default=20.0)
    p.add_argument("--rate", type=int, default=200, help="chunks/s per agent in the lag run")
    p.add_argument("--writer-chunks", type=int, default=300_000)
    p.add_argument(
        "--pg-url",
        default=os.environ.get(
            "ONSEMBL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = p.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="onsembl-bench-sync-"))
    dbs = Databases(args.pg_url)
    try:
        return asyncio.run(run(args, root, dbs))
    finally:
        dbs.drop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
