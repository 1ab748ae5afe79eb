"""Fault benchmark: forced disconnects between a streaming agent and the app; every byte must
arrive exactly once.

    python benchmarks/bench_faults.py [--disconnects 100] [--lines 20000]

The app (``onsembl --headless``) and a real ``onsembl-agent`` run as processes; the agent reaches
the app through a TCP proxy (``tests/fault_proxy.py``) that aborts every connection through
it on command — an RST both ways, as a NAT timeout or a Wi-Fi drop does. The agent's command
prints numbered 100-byte lines at ~50 KB/s. During the stream the proxy cuts the connection
``--disconnects`` times at random intervals. Then the stored output is compared line by line with
what was printed: missing, duplicated and out-of-order lines are counted (all must be 0).

Baseline, same run: the same command with no disconnects (how long it takes to complete), and the
time each reconnect took (cut to the agent's next connection through the proxy).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fault_proxy import FaultProxy
from tests.support import AgentProcess, AppProcess, wait_for

FAST_RECONNECT = ["--reconnect-initial", "0.05", "--reconnect-max", "0.5"]


def printer(lines: int) -> str:
    return (
        f"{sys.executable} -u -c "
        "'import sys, time\n"
        "n = int(sys.argv[1])\n"
        'pad = "y" * 80\n'
        "for i in range(1, n + 1):\n"
        '    print(f"{i:08d} {pad}", flush=True)\n'
        "    if i % 10 == 0: time.sleep(0.02)' "
        f"{lines}"
    )


def stored_lines(data_dir: Path, command_id: str) -> tuple[list[str], int]:
    con = sqlite3.connect(f"file:{data_dir / 'onsembl.db'}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute(
            "SELECT sequence, content FROM terminal_outputs WHERE command_id = ? ORDER BY sequence",
            (uuid.UUID(command_id).hex,),
        ).fetchall()
    finally:
        con.close()
    seqs = [s for s, _ in rows]
    dup_chunks = len(seqs) - len(set(seqs))
    text = "".join(c for _, c in rows).replace("\r\n", "\n")
    return text.splitlines(), dup_chunks


def final_status(app: AppProcess, command_id: str, timeout: float) -> str:
    view = app.wait_status(command_id, timeout=timeout)
    return str(view["status"])


def run(app: AppProcess, proxy: FaultProxy, name: str, lines: int, cuts: int, seed: int) -> dict:
    rng = random.Random(seed)
    agent = AgentProcess(
        proxy.ws_url,
        app.agent_token,
        name,
        extra_args=FAST_RECONNECT,
        log_path=app.data_dir.parent / f"{name}.log",
    ).start()
    reconnect_ms: list[float] = []
    try:
        app.wait_agent(name, timeout=20)
        started = time.monotonic()
        command_id = app.send(name, printer(lines))
        for _ in range(cuts):
            time.sleep(rng.uniform(0.05, 0.3))
            before = proxy.connections
            cut_at = time.monotonic()
            proxy.drop()
            try:
                wait_for(lambda b=before: proxy.connections > b, 10, 0.005)
                reconnect_ms.append((time.monotonic() - cut_at) * 1000)
            except TimeoutError:
                pass
        status = final_status(app, command_id, timeout=300)
        took = time.monotonic() - started
    finally:
        agent.stop()
    got, dup_chunks = stored_lines(app.data_dir, command_id)
    numbers = [int(line.split()[0]) for line in got if line.strip()]
    counts = Counter(numbers)
    expected = range(1, lines + 1)
    return {
        "status": status,
        "seconds": took,
        "missing": sum(1 for i in expected if counts[i] == 0),
        "duplicated": sum(c - 1 for c in counts.values() if c > 1) + dup_chunks,
        "out_of_order": sum(1 for a, b in itertools.pairwise(numbers) if b != a + 1),
        "bytes": sum(len(line) + 1 for line in got),
        "cuts": cuts,
        "reconnect_ms": sorted(reconnect_ms),
    }


def pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    return f"{values[min(len(values) - 1, int(q * len(values)))]:.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--disconnects", type=int, default=100)
    ap.add_argument("--lines", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = AppProcess(Path(tmp) / "data", ["--heartbeat", "1", "--grace", "30"]).start()
        host, port = app.url.removeprefix("ws://").rsplit(":", 1)
        proxy = FaultProxy(host, int(port)).start()
        try:
            print("baseline: no disconnects ...", flush=True)
            base = run(app, proxy, "steady", args.lines, 0, seed=1)
            print(f"faults: {args.disconnects} forced disconnects ...", flush=True)
            hit = run(app, proxy, "cut", args.lines, args.disconnects, seed=2)
        finally:
            proxy.stop()
            app.stop()
    expected_bytes = args.lines * 90
    print()
    print(f"{'':<32}{'baseline':>18}{'with faults':>18}")
    for label, key in (
        ("forced disconnects", "cuts"),
        ("command status", "status"),
        ("lines missing", "missing"),
        ("lines duplicated", "duplicated"),
        ("lines out of order", "out_of_order"),
    ):
        print(f"{label:<32}{base[key]!s:>18}{hit[key]!s:>18}")
    stored_vs = [f"{r['bytes']}/{expected_bytes}" for r in (base, hit)]
    print(f"{'bytes stored / printed':<32}{stored_vs[0]:>18}{stored_vs[1]:>18}")
    print(f"{'time to complete (s)':<32}{base['seconds']:>18.1f}{hit['seconds']:>18.1f}")
    rc = hit["reconnect_ms"]
    both = f"{pct(rc, 0.5)} / {pct(rc, 0.99)}"
    print(f"{'reconnect after a cut p50/p99 ms':<32}{'-':>18}{both:>18}")
    ok = all(
        r["status"] == "COMPLETED"
        and r["missing"] == r["duplicated"] == r["out_of_order"] == 0
        and r["bytes"] == expected_bytes
        for r in (base, hit)
    )
    print()
    print("every byte arrived exactly once" if ok else "LOST OR DUPLICATED OUTPUT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
