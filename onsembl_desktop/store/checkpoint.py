"""Copying the WAL back into the database off the writer's path.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so the writer —
and every acknowledgement waiting on it — stalls while tens of megabytes are copied (measured:
batches of 65-70 ms where the rest take 4 ms). Here the writer's connection has automatic
checkpoints off and this thread runs PASSIVE checkpoints from its own connection, which never
wait for the writer nor block it.

A passive checkpoint racing a writer that commits every few milliseconds never quite finishes,
and the WAL only restarts (stops growing) after one that does. So when the WAL passes
:attr:`Checkpointer.FINISH_FRAMES`, the writer runs one itself between two batches: by then
this thread has copied nearly everything, the writer's own checkpoint copies the last few
pages, and its next commit starts the WAL over.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("onsembl.store.checkpoint")


class Checkpointer:
    INTERVAL_S = 2.0
    FINISH_FRAMES = 10_000  # ~40 MB of 4 KB pages

    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="onsembl-store-checkpoint", daemon=True
        )
        self.runs = 0
        self.wal_frames = 0  # frames in the WAL at the last checkpoint

    def writer_should_finish(self) -> bool:
        """Whether the writer should run a checkpoint now (called by the writer's thread)."""
        return self.wal_frames >= self.FINISH_FRAMES

    def finished_by_writer(self) -> None:
        self.wal_frames = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            con = sqlite3.connect(str(self._path), timeout=1.0, check_same_thread=True)
        except sqlite3.Error as exc:
            log.warning("no background checkpoints (%s); SQLite will not reclaim the WAL", exc)
            return
        try:
            while not self._stop.wait(self.INTERVAL_S):
                try:
                    # fetchall steps the statement to its end, so no read stays open.
                    row = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0]
                    self.wal_frames = max(0, int(row[1]))
                    self.runs += 1
                except sqlite3.Error as exc:  # busy or the disk failing: the next round tries again
                    log.debug("checkpoint skipped: %s", exc)
        finally:
            con.close()
