"""Logging policy.

Named loggers per subsystem (``onsembl.gateway``, ``onsembl.store.writer``, ...). Levels:
ERROR — the user must know (shown in the UI too); WARNING — something was refused or retried;
INFO — lifecycle (start, connect, disconnect, command start/end); DEBUG — per message. Tokens and
command output are never logged. Logs go to ``DATA_DIR/logs/onsembl.log`` (rotated, 0600).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from .paths import LOG_DIR


def setup_logging(data_dir: Path, level: str = "INFO", *, to_stderr: bool = False) -> None:
    log_dir = data_dir / LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "onsembl.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    os.chmod(path, 0o600)
    fmt = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    handler.setFormatter(fmt)
    root = logging.getLogger()
    root.setLevel(level.upper())
    root.addHandler(handler)
    if to_stderr:
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(fmt)
        err.setLevel(logging.WARNING)
        root.addHandler(err)
    logging.getLogger("websockets").setLevel(logging.WARNING)
