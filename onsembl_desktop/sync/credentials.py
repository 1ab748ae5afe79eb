"""The sync URL's password: in the OS keyring (``onsembl_desktop.secrets``), never in a file
unless the user allowed it where no keyring exists. The URL itself is kept without it.

Keyring calls may block (D-Bus, a locked keychain): run these off the asyncio loop.
"""

from __future__ import annotations

from pathlib import Path

from ..secrets import SecretStore, split_url_password, with_password

SECRET = "sync-url-password"


def password_of(data_dir: Path, url: str) -> str:
    """``url`` (stored without its password) with the password put back, if one is kept."""
    return with_password(url, SecretStore(data_dir).get(SECRET))


def keep_password(data_dir: Path, url: str, *, allow_file: bool = False) -> tuple[str, str]:
    """Keep the password of ``url`` (raises ``secrets.NoKeyringError`` where no keyring exists
    and no file is allowed); returns (the URL without it, where it went)."""
    bare, password = split_url_password(url)
    store = SecretStore(data_dir, allow_file=allow_file)
    if password is None:
        store.delete(SECRET)
        return bare, "no password in the URL"
    store.set(SECRET, password)
    return bare, store.backend


def forget_password(data_dir: Path) -> None:
    SecretStore(data_dir).delete(SECRET)
