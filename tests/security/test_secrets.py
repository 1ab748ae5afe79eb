"""Secrets live in the OS keyring; without one, a clear message, and a 0600 file only if the user
agreed. (A real keyring backend class, in memory, stands in for the OS's.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from onsembl_desktop.secrets import (
    FILE_NAME,
    NoKeyringError,
    SecretStore,
    split_url_password,
    with_password,
)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def test_secrets_go_to_the_keyring_never_to_disk(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = SecretStore(tmp_path)
    assert store.keyring_available() and store.backend == "MemoryKeyring"
    store.set("sync-password", "hunter2")
    assert store.get("sync-password") == "hunter2"
    assert not (tmp_path / FILE_NAME).exists()
    assert list(memory_keyring.items.values()) == ["hunter2"]
    ((service, _),) = memory_keyring.items
    assert str(tmp_path.resolve()) in service  # one service per data dir
    other = SecretStore(tmp_path / "other")
    assert other.get("sync-password") is None
    store.delete("sync-password")
    store.delete("sync-password")  # (deleting twice is fine)
    assert store.get("sync-password") is None


def test_without_a_keyring_it_says_what_to_do(tmp_path: Path, no_keyring: None) -> None:
    store = SecretStore(tmp_path)
    assert not store.keyring_available() and store.backend == "none"
    with pytest.raises(NoKeyringError) as info:
        store.set("sync-password", "hunter2")
    message = str(info.value)
    assert "No system keyring" in message and "keyrings.alt" in message and FILE_NAME in message
    assert not (tmp_path / FILE_NAME).exists()
    assert store.get("sync-password") is None


def test_file_fallback_only_with_consent_and_0600(tmp_path: Path, no_keyring: None) -> None:
    store = SecretStore(tmp_path, allow_file=True)
    store.set("sync-password", "hunter2")
    path = tmp_path / FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.get("sync-password") == "hunter2"
    assert SecretStore(tmp_path).get("sync-password") == "hunter2"  # still readable
    store.delete("sync-password")
    assert store.get("sync-password") is None


def test_a_file_secret_moves_to_the_keyring_once_there_is_one(tmp_path: Path) -> None:
    before = keyring.get_keyring()
    try:
        keyring.set_keyring(fail.Keyring())
        SecretStore(tmp_path, allow_file=True).set("k", "v1")
        backend = MemoryKeyring()
        keyring.set_keyring(backend)
        store = SecretStore(tmp_path)
        assert store.get("k") == "v1"
        store.set("k", "v2")
        assert store.get("k") == "v2" and "k" not in (tmp_path / FILE_NAME).read_text()
    finally:
        keyring.set_keyring(before)


@pytest.mark.parametrize(
    ("url", "bare", "password"),
    [
        ("postgresql://u:p%40ss@db.example:5432/app", "postgresql://u@db.example:5432/app", "p@ss"),
        ("postgresql://u@h/db", "postgresql://u@h/db", None),
        ("postgresql://h/db?sslmode=require", "postgresql://h/db?sslmode=require", None),
        ("postgresql://a%3Ab:x@[::1]:5/d", "postgresql://a%3Ab@[::1]:5/d", "x"),
    ],
)
def test_url_passwords_come_out_and_go_back(url: str, bare: str, password: str | None) -> None:
    assert split_url_password(url) == (bare, password)
    if password is not None:
        assert split_url_password(with_password(bare, password)) == (bare, password)
