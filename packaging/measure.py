"""Size and start-up of the frozen bundle beside the pip-installed app, measured in one run.

    python packaging/measure.py [--bundle dist/onsembl] [--runs 5]

Run it with the Python of a pip install of the app (e.g. ``.venv/bin/python``). Figures:

* size, unpacked: every file of the bundle folder; for pip, every file of the app and of its
  runtime dependencies (the Python interpreter itself not counted).
* first paint: from starting ``onsembl --screenshot`` (offscreen, a fresh port, a data dir made
  by an untimed first run) to Qt's first flush of a painted top-level window to the screen, seen on
  stderr through Qt's own ``qt.widgets.painting`` log category, so the app needs no hook for it.
  The median of ``--runs`` runs. The bundle runs with no Python environment (``env -i``).

Exits 1 if the bundle misses a target (150 MB, 2 s).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 150.0
TARGET_S = 2.0
_FIRST_FLUSH = re.compile(r"qt\.widgets\.painting: Flushing .* to QWidgetWindow")


def tree_bytes(path: Path) -> int:
    """Apparent size of every regular file under ``path`` (symlinks not followed or counted)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def pip_bytes() -> int:
    """The installed app and its runtime dependencies, as this interpreter sees them."""
    sys.path.insert(0, str(ROOT))
    import onsembl_desktop
    from onsembl_desktop.about import installed_licences

    total = tree_bytes(Path(onsembl_desktop.__file__).parent)  # editable installs list no files
    for licence in installed_licences():
        try:
            dist = metadata.distribution(licence.name)
        except metadata.PackageNotFoundError:
            continue  # Python itself
        for file in dist.files or []:
            located = Path(str(file.locate()))
            if located.is_file() and not located.is_symlink():
                total += located.stat().st_size
    return total


def first_paint_s(argv: list[str], env: dict[str, str], data_dir: Path) -> float:
    """Seconds from starting ``argv --screenshot`` to the first painted window (then it exits)."""
    shot = data_dir.parent / f"{data_dir.name}.png"
    cmd = [*argv, "--data-dir", str(data_dir), "--port", "0", "--screenshot", str(shot)]
    env = {**env, "QT_QPA_PLATFORM": "offscreen", "QT_LOGGING_RULES": "qt.widgets.painting=true"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=data_dir.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    painted: float | None = None
    tail: list[str] = []
    for raw in proc.stderr:
        line = raw.decode(errors="replace")
        if painted is None and _FIRST_FLUSH.search(line):
            painted = time.perf_counter() - start
        tail = [*tail[-20:], line]
    if proc.wait(60) != 0 or painted is None:
        raise RuntimeError(f"{cmd[0]} failed (exit {proc.returncode}):\n{''.join(tail)}")
    return painted


def startup(argv: list[str], env: dict[str, str], runs: int, scratch: Path) -> list[float]:
    data_dir = scratch / f"data-{len(list(scratch.iterdir()))}"
    first_paint_s(argv, env, data_dir)  # untimed: creates the database, warms the page cache
    return [first_paint_s(argv, env, data_dir) for _ in range(runs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "onsembl")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    exe = args.bundle / ("onsembl.exe" if sys.platform == "win32" else "onsembl")
    if not exe.is_file():
        print(f"no bundle at {args.bundle}: build it first (packaging/build-linux.sh)")
        return 2
    bare = {"PATH": os.defpath, "HOME": str(Path.home()), "LANG": "C.UTF-8"}
    if sys.platform == "win32":
        bare = {**os.environ}  # Windows programs need SYSTEMROOT and friends
    with tempfile.TemporaryDirectory(prefix="onsembl-measure-") as tmp:
        scratch = Path(tmp)
        frozen = startup([str(exe)], bare, args.runs, scratch)
        pip = startup(
            [sys.executable, "-m", "onsembl_desktop"], dict(os.environ), args.runs, scratch
        )
    size = {"bundle": tree_bytes(args.bundle) / 1e6, "pip": pip_bytes() / 1e6}
    rows = [
        ("", f"bundle ({args.bundle})", f"pip ({sys.prefix})", "target"),
        ("size, unpacked (10^6 B)", f"{size['bundle']:.1f} MB", f"{size['pip']:.1f} MB", "150 MB"),
        (
            f"first paint, median of {args.runs}",
            f"{statistics.median(frozen):.2f} s",
            f"{statistics.median(pip):.2f} s",
            "2 s",
        ),
        ("first paint, min-max", _span(frozen), _span(pip), ""),
    ]
    widths = [max(len(row[i]) for row in rows) + 3 for i in range(3)]
    for row in rows:
        print("".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + row[3])
    ok = size["bundle"] <= TARGET_MB and statistics.median(frozen) <= TARGET_S
    print("bundle meets both targets" if ok else "bundle MISSES a target")
    return 0 if ok else 1


def _span(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f} s"


if __name__ == "__main__":
    sys.exit(main())
