"""Logging policy.

Named loggers per subsystem (``onsembl.gateway``, ``onsembl.store.writer``, ...). Levels:
ERROR — the user must know (shown in the UI too); WARNING — something was refused or retried;
INFO — lifecycle (start, connect, disconnect, command start/end); DEBUG — per message. Tokens and
command output are never logged. Logs go to ``DATA_DIR/logs/onsembl.log`` (rotated, 0600).
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from .paths import LOG_DIR

_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


class RedactTokens(logging.Filter):
    """Replaces what follows ``Bearer`` with ``[redacted]`` (websockets logs the handshake's
    headers at DEBUG level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "earer" in text:
            record.msg, record.args = _BEARER.sub(r"\1[redacted]", text), None
        return True


def websockets_logger(name: str) -> logging.Logger:
    """The logger to give ``websockets`` (its ``logger=`` argument): tokens never reach a log,
    whatever the level."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
    return logger


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each log file 0600, the first and every one after a rotation."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return io.TextIOWrapper(
            io.FileIO(fd, "a"), encoding=self.encoding, errors=self.errors, write_through=False
        )


def setup_logging(data_dir: Path, level: str = "INFO", *, to_stderr: bool = False) -> None:
    log_dir = data_dir / LOG_DIR
    log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = log_dir / "onsembl.log"
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    path.chmod(0o600)  # (one made by an older version)
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
