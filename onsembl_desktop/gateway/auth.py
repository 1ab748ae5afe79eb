"""Tokens: generated on first run into the data dir (mode 0600), checked in constant time.

Agents present the agent token; ``onsembl ctl`` presents the control token. The two scopes are
separate files so an agent's token can never drive the control endpoint.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from ..paths import AGENT_TOKEN_FILE, CONTROL_TOKEN_FILE, ensure_data_dir, write_private


def _ensure(path: Path) -> str:
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if not token:
        ensure_data_dir(path.parent)
        token = secrets.token_urlsafe(32)
        write_private(path, token + "\n")
    return token


def agent_token(data_dir: Path) -> str:
    return _ensure(data_dir / AGENT_TOKEN_FILE)


def control_token(data_dir: Path) -> str:
    return _ensure(data_dir / CONTROL_TOKEN_FILE)


def bearer(header: str | None) -> str | None:
    """The token from an ``Authorization: Bearer TOKEN`` header, if well formed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def matches(presented: str | None, expected: str) -> bool:
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
