"""Store benchmark: terminal output through the batched writer, beside plain row-by-row inserts.

    python benchmarks/bench_store.py [--chunks N] [--cursors]

1. ``--chunks`` (default 1,000,000) terminal-output chunks from 8 agents' commands go through
   the real :class:`StoreWriter` as ``OutputRow`` ops (``--cursors``: plus a delivery-cursor op
   per chunk, as the core submits them), into a real SQLite file with the app's pragmas
   (WAL, synchronous=FULL) and the search index. Chunks are coloured log lines, some several
   lines long, some ending mid-line, as agent wrappers send them. The producer keeps at most
   200,000 chunks unstored, as the agents' acknowledgement window does.
2. Meanwhile another thread reads, as a busy UI and ``ctl`` would: a page of 200 stored output
   rows every 20 ms, and every 50th time a full-text history search instead; latencies are
   reported. (Reads hold Python's GIL while they decode rows: they slow the writer a little.)
3. Baselines, measured in the same run on a fresh database: one SQLAlchemy ``INSERT`` per chunk
   with a commit per chunk (no batching at all), and with 1,000 chunks per commit.

Target: at least 50,000 chunks/s through the writer.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert

from onsembl_desktop.store import queries, search
from onsembl_desktop.store.db import DB_FILENAME, local_user_id, open_database
from onsembl_desktop.store.models import Agent, Command, TerminalOutput
from onsembl_desktop.store.types import utcnow
from onsembl_desktop.store.writer import Cursor, OutputRow, StoreWriter

TARGET = 50_000
STREAMS = 8
WINDOW = 200_000
WORDS = [
    "build",
    "test",
    "passed",
    "failed",
    "cache",
    "compile",
    "link",
    "module",
    "request",
    "alpha",
    "beta",
    "gamma",
]
LEVELS = [("INFO", "32"), ("DEBUG", "34"), ("WARN", "33"), ("ERROR", "1;31")]


def payloads(n: int = 4096, seed: int = 7) -> list[str]:
    """Chunk texts: mostly one coloured log line; some several lines, some a line's first half."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        level, colour = rng.choice(LEVELS)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        tag = f"\x1b[{colour}m{level:<5}\x1b[0m"
        line = f"12:00:{i % 60:02d} {tag} {words} id={rng.getrandbits(32):08x}\n"
        kind = rng.random()
        if kind < 0.15:
            line = line * rng.randint(2, 5)
        elif kind < 0.25:
            line = line[: len(line) // 2]
        out.append(line)
    return out


@dataclass
class Setup:
    engine: Engine
    path: Path
    streams: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (agent, command)


def prepare(folder: Path) -> Setup:
    folder.mkdir(parents=True)
    path = folder / DB_FILENAME
    engine = open_database(path)
    setup = Setup(engine, path)
    user = local_user_id(engine)
    now = utcnow()
    with engine.begin() as conn:
        for i in range(STREAMS):
            agent_id, command_id = uuid.uuid4(), uuid.uuid4()
            conn.execute(
                insert(Agent).values(
                    id=agent_id, name=f"agent-{i}", type="CLAUDE", created_at=now, updated_at=now
                )
            )
            conn.execute(insert(Command).values(id=command_id, user_id=user, content=f"task {i}"))
            setup.streams.append((agent_id, command_id))
    return setup


class Reader(threading.Thread):
    """Reads like the UI while the writer works; records each read's latency."""

    def __init__(self, setup: Setup) -> None:
        super().__init__(name="bench-reader", daemon=True)
        self.setup = setup
        self.stop = threading.Event()
        self.page: list[float] = []
        self.searches: list[float] = []

    def run(self) -> None:
        _agent_id, command_id = self.setup.streams[0]
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.perf_counter()
            with self.setup.engine.connect() as conn:
                if n % 50 == 0:
                    search.history(conn, search="error cache", limit=20)
                    self.searches.append(time.perf_counter() - started)
                else:
                    queries.get_outputs(conn, command_id, after_seq=n * 100, limit=200)
                    self.page.append(time.perf_counter() - started)
            self.stop.wait(0.020)


@dataclass
class Cpu:
    """CPU seconds used during the run: the whole process, and the writer thread alone."""

    process: float = 0.0
    writer: float = 0.0


def run_writer(setup: Setup, chunks: int, cursors: bool) -> tuple[float, StoreWriter, Reader, Cpu]:
    texts = payloads()
    writer = StoreWriter(setup.engine, lambda fn, *args: fn(*args))  # callbacks on its thread
    writer.start()
    cpu = Cpu()
    on_writer = threading.Event()

    def writer_clock(_value: Any, _exc: BaseException | None) -> None:
        cpu.writer = time.thread_time() - cpu.writer  # first call: start; second: the span
        on_writer.set()

    writer.barrier(writer_clock)
    on_writer.wait()
    on_writer.clear()
    cpu.process = time.process_time()
    reader = Reader(setup)
    reader.start()
    instance = uuid.uuid4()
    seqs = [0] * STREAMS
    started = time.perf_counter()
    for i in range(chunks):
        s = i % STREAMS
        agent_id, command_id = setup.streams[s]
        seqs[s] += 1
        row = queries.output_row(
            command_id=command_id,
            agent_id=agent_id,
            seq=seqs[s],
            stream="STDOUT",
            data=texts[i % len(texts)],
            timestamp=utcnow(),
        )
        writer.submit(OutputRow(row))
        if cursors:
            writer.submit(Cursor(agent_id, instance, seqs[s]))
        if i % 1000 == 0:
            while i - writer.stats.rows > WINDOW:  # the agents' acknowledgement window
                time.sleep(0.001)
    writer.barrier(writer_clock)
    on_writer.wait()
    elapsed = time.perf_counter() - started
    cpu.process = time.process_time() - cpu.process
    reader.stop.set()
    reader.join()
    writer.close()
    return elapsed, writer, reader, cpu


def baseline(folder: Path, chunks: int, per_commit: int) -> float:
    """Chunks/s with one SQLAlchemy INSERT per chunk and a commit every ``per_commit``."""
    setup = prepare(folder)
    texts = payloads()
    agent_id, command_id = setup.streams[0]
    started = time.perf_counter()
    with setup.engine.connect() as conn:
        for start in range(0, chunks, per_commit):
            with conn.begin():
                for i in range(start, min(start + per_commit, chunks)):
                    row = queries.output_row(
                        command_id=command_id,
                        agent_id=agent_id,
                        seq=i + 1,
                        stream="STDOUT",
                        data=texts[i % len(texts)],
                        timestamp=utcnow(),
                    )
                    conn.execute(insert(TerminalOutput).values(**row))
    elapsed = time.perf_counter() - started
    setup.engine.dispose()
    return chunks / elapsed


def ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--chunks", type=int, default=1_000_000)
    p.add_argument("--cursors", action="store_true", help="also a cursor op per chunk")
    p.add_argument("--baseline-chunks", type=int, default=20_000)
    p.add_argument(
        "--switch-interval",
        type=float,
        metavar="S",
        help="sys.setswitchinterval for the run (Python's default: 0.005)",
    )
    args = p.parse_args(argv)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    root = Path(tempfile.mkdtemp(prefix="onsembl-bench-"))
    try:
        setup = prepare(root / "writer")
        elapsed, writer, reader, cpu = run_writer(setup, args.chunks, args.cursors)
        rate = args.chunks / elapsed
        with setup.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM terminal_outputs").scalar()
            blocks = conn.exec_driver_sql("SELECT count(*) FROM output_text").scalar()
        setup.engine.dispose()
        size = sum(f.stat().st_size for f in (root / "writer").iterdir()) / 1e6

        naive = baseline(root / "naive", min(args.baseline_chunks, 5_000), 1)
        grouped = baseline(root / "grouped", args.baseline_chunks, 1_000)

        stats = writer.stats
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work skews timings)")
        print(f"Python GIL switch interval: {sys.getswitchinterval() * 1000:g} ms")
        print(
            f"store writer: {args.chunks:,} chunks from {STREAMS} agents"
            f"{' (+ a cursor op each)' if args.cursors else ''}"
        )
        print(
            f"  {rate:>10,.0f} chunks/s   ({elapsed:.1f} s; target {TARGET:,}: "
            f"{'met' if rate >= TARGET else 'NOT met'})"
        )
        per_chunk = cpu.process / args.chunks * 1e6
        print(
            f"  CPU: {per_chunk:.1f} us/chunk for the whole process (writer thread "
            f"{cpu.writer / args.chunks * 1e6:.1f}), {cpu.process / elapsed:.0%} of one CPU; "
            f"one free CPU would carry ~{1e6 / per_chunk:,.0f} chunks/s"
        )
        print(
            f"  stored {stored:,} rows, {blocks:,} search blocks; {stats.batches:,} batches, "
            f"{stats.ops / max(stats.batches, 1):,.0f} ops each; files {size:,.0f} MB"
        )
        print("baselines (same run, fresh database, no search index):")
        print(
            f"  {naive:>10,.0f} chunks/s   one INSERT and one commit per chunk "
            f"({rate / naive:,.0f}x slower than the writer)"
        )
        print(
            f"  {grouped:>10,.0f} chunks/s   one INSERT per chunk, 1,000 per commit "
            f"({rate / grouped:,.1f}x slower than the writer)"
        )
        print(
            f"reads meanwhile, from another thread ({len(reader.page):,} output pages, "
            f"{len(reader.searches):,} searches):"
        )
        print(
            f"  output page (200 rows): p50 {ms(reader.page, 0.5)}, p99 {ms(reader.page, 0.99)}, "
            f"max {ms(reader.page, 1.0)}"
        )
        print(
            f"  history search:         p50 {ms(reader.searches, 0.5)}, "
            f"p99 {ms(reader.searches, 0.99)}, max {ms(reader.searches, 1.0)}"
        )
        if reader.page:
            print(f"  mean page read {statistics.mean(reader.page) * 1000:.1f} ms")
        return 0 if rate >= TARGET else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
