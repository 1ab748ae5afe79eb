"""Soak: the app under steady load for a long time; its resident memory must level off.

    python benchmarks/soak.py [--minutes 10] [--agents 50] [--streaming 10]

``onsembl --headless`` runs with ``--agents`` connected agents from the load generator of
``bench_load.py`` (a separate process speaking the real protocol), ``--streaming`` of them
streaming 50 KB/s each into the database the whole time, every agent heartbeating once a second.
Resident memory is sampled every 5 s. The first fifth of the run (at least a minute) is warm-up
(caches and the database's page cache fill); growth is the last minute's mean against the mean of
the minute after warm-up. Target: under 10%. Beside it, as baselines from the same run: the idle
app's memory before the load, and the memory at the end of warm-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import App

TARGET = 0.10


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--streaming", type=int, default=10)
    args = ap.parse_args()
    seconds = args.minutes * 60
    warmup = max(60.0, seconds / 5)
    with tempfile.TemporaryDirectory() as tmp:
        app = App(Path(tmp) / "data", Path(tmp) / "probe.txt")
        try:
            time.sleep(3)
            idle_mb = app.ps.memory_info().rss / 1e6
            gen = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).with_name("bench_load.py")),
                    "--generator",
                    "--url",
                    app.url,
                    "--data-dir",
                    str(app.data_dir),
                    "--agents",
                    str(args.agents),
                    "--streaming",
                    str(args.streaming),
                    "--seconds",
                    str(seconds),
                    "--prefix",
                    "soak",
                    "--out",
                    str(Path(tmp) / "soak.json"),
                ],
            )
            samples: list[tuple[float, float]] = []
            started = time.monotonic()
            app.ps.cpu_percent(None)
            cpu: list[float] = []
            while gen.poll() is None:
                time.sleep(5)
                samples.append((time.monotonic() - started, app.ps.memory_info().rss / 1e6))
                cpu.append(app.ps.cpu_percent(None))
                if len(samples) % 12 == 0:
                    print(f"{samples[-1][0]:6.0f} s  {samples[-1][1]:7.1f} MB", flush=True)
            gen.wait()
            result = json.loads((Path(tmp) / "soak.json").read_text())
            db_mb = sum(p.stat().st_size for p in app.data_dir.glob("onsembl.db*")) / 1e6
        finally:
            app.stop()
    after_warmup = [mb for t, mb in samples if warmup <= t < warmup + 60]
    last = [mb for t, mb in samples if t >= samples[-1][0] - 60]
    base, end = statistics.mean(after_warmup), statistics.mean(last)
    growth = (end - base) / base
    print()
    print(f"run: {args.minutes:g} min, {args.agents} agents, {args.streaming} streaming 50 KB/s")
    print(f"{'idle app (baseline)':<34}{idle_mb:8.1f} MB")
    print(f"{'minute after warm-up (baseline)':<34}{base:8.1f} MB   (warm-up {warmup:.0f} s)")
    print(f"{'last minute':<34}{end:8.1f} MB")
    print(f"{'peak':<34}{max(mb for _, mb in samples):8.1f} MB")
    print(f"{'growth after warm-up':<34}{100 * growth:8.1f} %   (target < {100 * TARGET:.0f} %)")
    print(f"{'app CPU (mean, % of one core)':<34}{statistics.mean(cpu):8.1f}")
    print(f"{'database on disk at the end':<34}{db_mb:8.0f} MB")
    print(
        f"{'agents ONLINE at the end':<34}{result['online_at_end']:>8}/{args.agents}"
        f"   (connections dropped: {result['closed']})"
    )
    return 0 if growth < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
