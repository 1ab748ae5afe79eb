"""Secrets of the settings and the sync URL, in the OS keyring (Qt-free; for the UI and sync).

:class:`SecretStore` keeps named secrets (``"sync-url-password"``, an API key, ...) in the
system keyring — macOS Keychain, Windows Credential Manager, the Secret Service (GNOME Keyring,
KWallet) — under the service name ``onsembl-desktop`` plus the data dir, so two data dirs never
share a secret. Settings files and the synced database only ever hold a *reference*.

When no keyring backend exists (a headless Linux box, a container), :meth:`SecretStore.set`
raises :class:`NoKeyringError` with a message saying what to install. Only if the user consents
(``allow_file=True``, e.g. a checkbox in Settings) are secrets kept in ``DATA_DIR/secrets.json``
instead: mode 0600, readable by the user's own processes, and that is all it protects against.

The keyring may block (D-Bus, a locked keychain prompting the user): call these methods off the
asyncio loop (``loop.run_in_executor``), never on it.

For URLs: :func:`split_url_password` takes the password out of
``postgresql://user:PASSWORD@host/db`` so the URL can be stored as is; :func:`with_password`
puts it back when connecting.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .errors import KnownError
from .paths import write_private

log = logging.getLogger("onsembl.secrets")

SERVICE = "onsembl-desktop"
FILE_NAME = "secrets.json"

NO_KEYRING_HELP = (
    "No system keyring is available to keep {what} safe. Start or unlock one (GNOME Keyring or "
    "KWallet on Linux — on a headless machine `pip install keyrings.alt` gives a file-based "
    "one; Keychain on macOS and Credential Manager on Windows are always there), or allow "
    "Onsembl to keep secrets in a file readable only by you ({path})."
)


class NoKeyringError(KnownError):
    """No keyring backend, and the user has not allowed the file fallback."""


class SecretStore:
    def __init__(self, data_dir: Path, *, allow_file: bool = False) -> None:
        self.data_dir = data_dir
        self.allow_file = allow_file
        # One keyring "service" per data dir: a demo or test dir never sees the real secrets.
        self.service = f"{SERVICE}:{data_dir.resolve()}"
        self._file = data_dir / FILE_NAME

    # --- where ------------------------------------------------------------------------------------

    @staticmethod
    def keyring_available() -> bool:
        """Whether a real keyring backend is there (not keyring's "fail" or "null" one)."""
        try:
            import keyring
            from keyring.backends import fail
        except Exception:  # (keyring missing or broken: treat as absent)
            return False
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        priority = getattr(backend, "priority", 1)
        return bool(priority is None or priority > 0)

    @property
    def backend(self) -> str:
        """A name to show the user: the keyring backend's, or the file's, or "none"."""
        if self.keyring_available():
            import keyring

            return type(keyring.get_keyring()).__name__
        return f"file {self._file}" if self.allow_file else "none"

    # --- what -------------------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        if self.keyring_available():
            import keyring

            value = keyring.get_password(self.service, name)
            if value is not None:
                return str(value)
        # A secret saved to the file while there was no keyring stays readable from it.
        return self._read_file().get(name)

    def set(self, name: str, value: str) -> None:
        if self.keyring_available():
            import keyring

            keyring.set_password(self.service, name, value)
            self._drop_from_file(name)
            return
        if not self.allow_file:
            raise NoKeyringError(NO_KEYRING_HELP.format(what=f"the {name}", path=self._file))
        data = self._read_file()
        data[name] = value
        write_private(self._file, json.dumps(data, indent=2, sort_keys=True) + "\n")
        log.info("kept secret %s in %s (no keyring; allowed by the user)", name, self._file)

    def delete(self, name: str) -> None:
        if self.keyring_available():
            import keyring
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(self.service, name)
        self._drop_from_file(name)

    # --- the file fallback ------------------------------------------------------------------------

    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self._file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", self._file, exc)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _drop_from_file(self, name: str) -> None:
        data = self._read_file()
        if name in data:
            del data[name]
            write_private(self._file, json.dumps(data, indent=2, sort_keys=True) + "\n")


def split_url_password(url: str) -> tuple[str, str | None]:
    """``(url without its password, the password)``; the password is None if there is none."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password)


def with_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` put back in (as :func:`split_url_password` took it out)."""
    if password is None:
        return url
    parts = urlsplit(url)
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
