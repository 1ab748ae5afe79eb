"""File → Archived output: the retention policy, and restoring archived terminal output.

The app archives terminal output older than 30 days to ``DATA_DIR/archive`` and deletes it after
90 (``store.retention``); restoring puts an archive's rows back (searchable again). Restoring runs
file by file with progress: each file is read on a worker thread, then written by the store's
writer; Cancel stops before the next file (a file is restored whole or not at all).
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.service import Core
from ...errors import KnownError
from ...store.archive import (
    ARCHIVE_DIR,
    RestoreResult,
    archive_files,
    insert_restored,
    read_archive,
)
from ...store.retention import AUDIT_RETENTION, OUTPUT_ARCHIVE_AFTER, OUTPUT_DELETE_AFTER
from ..presentation.tasks import spawn
from ..widgets.progress import Cancelled, Progress, run_with_progress


class ArchivesDialog(QDialog):
    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.folder = core.store.path.parent / ARCHIVE_DIR
        self.setWindowTitle("Archived output")
        self.resize(620, 420)
        policy = QLabel(
            f"<b>Retention</b>: the audit log keeps {AUDIT_RETENTION.days} days; terminal output "
            f"older than {OUTPUT_ARCHIVE_AFTER.days} days is archived to compressed files and "
            f"deleted from the database after {OUTPUT_DELETE_AFTER.days} days. The clean-up runs "
            f"every hour.<br>Archives: <code>{self.folder}</code>"
        )
        policy.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Archive files")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.restore_button = QPushButton("Restore selected")
        self.restore_button.clicked.connect(lambda: spawn(self.restore_selected()))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Restore status")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(policy)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        """List the archives (read off the loop: the folder may be on a slow disk)."""
        self.status.setText("Looking for archives…")
        self.restore_button.setEnabled(False)
        self.listed = spawn(self._refresh())

    async def _refresh(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, _list_archives, self.folder)
        except OSError as exc:
            self.status.setText(f"Cannot read {self.folder}: {exc.strerror or exc}")
            return
        self.list.clear()
        for path, size in found:
            item = QListWidgetItem(f"{path.name}  ({size // 1024:,} KB)")
            item.setData(0x0100, str(path))
            self.list.addItem(item)
        empty = self.list.count() == 0
        self.restore_button.setEnabled(not empty)
        self.status.setText("No archives yet." if empty else "")

    def selected(self) -> list[Path]:
        return [Path(str(i.data(0x0100))) for i in self.list.selectedItems()]

    async def restore_selected(self) -> list[RestoreResult] | None:
        return await self.restore(self.selected())

    async def restore(self, paths: list[Path]) -> list[RestoreResult] | None:
        """Restore ``paths`` in order; None if the user cancelled (finished files stay)."""
        if not paths:
            return []
        results: list[RestoreResult] = []
        self.restore_button.setEnabled(False)
        try:
            for i, path in enumerate(paths):

                def read(progress: Progress, path: Path = path, i: int = i) -> Any:
                    progress.set(i, len(paths), f"Reading {path.name} ({i + 1} of {len(paths)})")
                    return read_archive(path)

                read_result = await run_with_progress(self, "Restoring archived output", read)
                if read_result is None:
                    raise Cancelled
                header, rows = read_result
                result = await self.core.store.write_wait(
                    partial(insert_restored, path=path, header=header, rows=rows)
                )
                results.append(result)
        except Cancelled:
            self.status.setText(f"Cancelled after {len(results)} of {len(paths)} files.")
            return None
        except (KnownError, OSError) as exc:
            self.status.setText(f"Could not restore: {exc}")
            return None
        finally:
            self.restore_button.setEnabled(True)
        restored = sum(r.restored for r in results)
        present = sum(r.present for r in results)
        self.status.setText(
            f"Restored {restored:,} output chunks from {len(results)} "
            + ("file" if len(results) == 1 else "files")
            + (f"; {present:,} were already there." if present else ".")
        )
        return results


def _list_archives(folder: Path) -> list[tuple[Path, int]]:
    return [(path, path.stat().st_size) for path in archive_files(folder)]
