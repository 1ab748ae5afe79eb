"""TLS for the gateway: a self-signed certificate made on first use, pinned by its fingerprint.

A leaf module (no Qt; of ours only ``paths``): the app uses it to serve ``wss://``,
``onsembl-agent`` to connect, the UI to show the fingerprint next to the copyable agent command.

* **When.** Loopback addresses stay plain ``ws://`` (nothing leaves the machine). Any other
  address gets TLS unless the user explicitly asks for ``--insecure`` (see :func:`needs_tls`).
* **Certificate.** ECDSA P-256, self-signed, valid for ten years (a pinned certificate is trusted
  by its fingerprint, not by a date or a CA), made by :func:`ensure_certificate` in the data dir:
  ``tls_key.pem`` and ``tls_cert.pem``, both 0600. Delete both to get a new one (agents then need
  the new fingerprint).
* **Pinning.** The agent does not check a CA or a host name: it checks that the SHA-256 of the
  certificate the server presents equals ``--fingerprint`` — after the TLS handshake and *before*
  the HTTP upgrade request that carries its token is sent (:class:`PinnedConnection`). A
  mismatch ends the attempt with :class:`FingerprintMismatchError`; the token never leaves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import ssl
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from .paths import write_private

CERT_FILE = "tls_cert.pem"
KEY_FILE = "tls_key.pem"
VALID_DAYS = 3650


class FingerprintMismatchError(Exception):
    """The server's certificate is not the pinned one (another server, or a new certificate)."""


# --- when ----------------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether ``host`` can only be reached from this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name, or "" (every interface): reachable from elsewhere


def needs_tls(host: str, *, tls: bool = False, insecure: bool = False) -> bool:
    """TLS when asked for, or on any non-loopback address unless ``insecure``."""
    return tls or (not is_loopback(host) and not insecure)


# --- fingerprints --------------------------------------------------------------------------------


def fingerprint_of(der: bytes) -> str:
    """SHA-256 of a DER certificate as ``AB:CD:…`` (what ``openssl x509 -fingerprint
    -sha256`` prints, so a user can check it by other means)."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def normalize_fingerprint(text: str) -> str:
    """Lower-case hex without separators; raises ValueError unless it is 64 hex digits."""
    cleaned = "".join(ch for ch in text.strip().lower() if ch not in ": -")
    if len(cleaned) != 64 or any(ch not in "0123456789abcdef" for ch in cleaned):
        raise ValueError("a SHA-256 fingerprint is 64 hex digits (colons allowed)")
    return cleaned


def matches(der: bytes, expected: str) -> bool:
    actual = hashlib.sha256(der).hexdigest()
    return hmac.compare_digest(actual, normalize_fingerprint(expected))


def fingerprint(data_dir: Path) -> str | None:
    """The fingerprint of the app's certificate in ``data_dir``, or None if it has none yet.

    Qt-free and quick (reads one small file): the UI's Settings call it to show the value next
    to the agent command.
    """
    try:
        pem = (data_dir / CERT_FILE).read_text()
    except OSError:
        return None
    try:
        return fingerprint_of(ssl.PEM_cert_to_DER_cert(pem))
    except ValueError:
        return None


# --- the server's certificate --------------------------------------------------------------------


def ensure_certificate(data_dir: Path, hosts: tuple[str, ...] = ()) -> str:
    """Make the key and certificate if missing; returns the certificate's fingerprint."""
    existing = fingerprint(data_dir)
    if existing is not None and (data_dir / KEY_FILE).exists():
        return existing
    key_pem, cert_pem = _generate(hosts)
    write_private(data_dir / KEY_FILE, key_pem.decode())
    write_private(data_dir / CERT_FILE, cert_pem.decode())
    found = fingerprint(data_dir)
    assert found is not None
    return found


def server_context(data_dir: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(data_dir / CERT_FILE, data_dir / KEY_FILE)
    return ctx


def _generate(hosts: tuple[str, ...]) -> tuple[bytes, bytes]:
    # Imported here: only the app ever makes a certificate; the agent needs no cryptography.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Onsembl Desktop gateway")])
    sans: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host.strip("[]"))))
        except ValueError:
            if host:
                sans.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


# --- the agent's side ----------------------------------------------------------------------------


def pinned_client_context() -> ssl.SSLContext:
    """A client context that accepts any certificate: :class:`PinnedConnection` checks it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class PinnedConnection(ClientConnection):
    """A websockets client connection that refuses to send its handshake (and so its token)
    unless the server's certificate has the pinned fingerprint. Set :attr:`pin` on a subclass
    (:func:`pinned_connection`)."""

    pin: str = ""

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        ssl_object = self.transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der or not matches(der, self.pin):
            seen = fingerprint_of(der) if der else "no certificate"
            raise FingerprintMismatchError(
                f"the server's certificate fingerprint is {seen}, not the pinned one; "
                "check --fingerprint against `onsembl token --fingerprint` on the app's machine"
            )
        await super().handshake(*args, **kwargs)


def pinned_connection(fingerprint_hex: str) -> type[PinnedConnection]:
    pin = normalize_fingerprint(fingerprint_hex)
    return type("PinnedConnectionFor", (PinnedConnection,), {"pin": pin})
