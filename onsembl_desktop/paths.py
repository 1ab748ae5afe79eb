"""Where Onsembl keeps its files. Every command takes ``--data-dir``; this is the default."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "onsembl-desktop"
ENDPOINT_FILE = "endpoint.json"
AGENT_TOKEN_FILE = "agent_token"
CONTROL_TOKEN_FILE = "control_token"
SETTINGS_FILE = "settings.json"
LOG_DIR = "logs"


def default_data_dir() -> Path:
    """``$ONSEMBL_DATA_DIR`` if set, else the platform's per-user data dir.

    The same for the pip-installed and the frozen app, so a user can switch between them.
    """
    env = os.environ.get("ONSEMBL_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def ensure_data_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    # Not ours to change on a shared folder; the files inside are still 0600.
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, atomically (write to a temp file, rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.chmod(0o600)
    tmp.replace(path)


def atomic_write(path: Path, data: bytes) -> None:
    """A file the user asked for (an export), whole or not at all: written to a temporary file
    beside it and renamed over it, with the usual permissions (the umask's)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def read_endpoint(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / ENDPOINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
