"""TLS: loopback stays ws://, any other address gets wss:// with a certificate made on first use,
agents pin its fingerprint and never send their token to a server that presents another."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from onsembl_desktop import tls
from onsembl_desktop.core.events import Notice
from onsembl_desktop.protocol import messages as m
from tests.support import AgentProcess, AppProcess, env_for_children

from .conftest import RawAgent, start_app

OTHER_PIN = "AB:" * 31 + "AB"


@pytest.mark.parametrize(
    ("host", "tls_flag", "insecure", "expected"),
    [
        ("127.0.0.1", False, False, False),
        ("127.8.9.10", False, False, False),
        ("::1", False, False, False),
        ("localhost", False, False, False),
        ("127.0.0.1", True, False, True),
        ("0.0.0.0", False, False, True),
        ("", False, False, True),
        ("192.168.1.5", False, False, True),
        ("myhost.lan", False, False, True),
        ("0.0.0.0", False, True, False),
    ],
)
def test_when_tls_applies(host: str, tls_flag: bool, insecure: bool, expected: bool) -> None:
    assert tls.needs_tls(host, tls=tls_flag, insecure=insecure) is expected


def test_fingerprints_are_normalised() -> None:
    hexed = "ab" * 32
    assert tls.normalize_fingerprint(":".join(["AB"] * 32)) == hexed
    assert tls.normalize_fingerprint(f"  {hexed.upper()} ") == hexed
    for bad in ("", "ab" * 31, "zz" * 32, "ab" * 33):
        with pytest.raises(ValueError):
            tls.normalize_fingerprint(bad)


def test_certificate_is_made_once_private_and_matches_openssl(tmp_path: Path) -> None:
    first = tls.ensure_certificate(tmp_path, ("127.0.0.1",))
    assert tls.ensure_certificate(tmp_path) == first == tls.fingerprint(tmp_path)
    for name in (tls.KEY_FILE, tls.CERT_FILE):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    if shutil.which("openssl"):
        out = subprocess.run(
            [
                "openssl",
                "x509",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
                tmp_path / tls.CERT_FILE,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.strip().split("=", 1)[1] == first
    printed = subprocess.run(
        [sys.executable, "-m", "onsembl_desktop", "token", "--fingerprint", "--data-dir", tmp_path],
        capture_output=True,
        text=True,
        env=env_for_children(),
        check=True,
    ).stdout.strip()
    assert printed == first


async def _pinned_agent(url: str, token: str, pin: str, name: str) -> RawAgent:
    ws = await connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        ssl=tls.pinned_client_context(),
        create_connection=tls.pinned_connection(pin),
        open_timeout=5,
    )
    agent = RawAgent(ws, name, uuid.uuid4())
    agent.welcome = await agent.hello()
    return agent


async def test_wss_with_the_pinned_fingerprint(tmp_path: Path) -> None:
    app = await start_app(tmp_path / "data", tls=True)
    try:
        assert app.url.startswith("wss://127.0.0.1:") and app.fingerprint
        assert app.fingerprint == tls.fingerprint(tmp_path / "data")
        assert f"--fingerprint {app.fingerprint}" in app.agent_command_line()
        token = (tmp_path / "data" / "agent_token").read_text().strip()
        agent = await _pinned_agent(app.url + "/ws/agent", token, app.fingerprint, "tls1")
        await agent.send(m.AgentHeartbeat())
        await agent.close()
        # Plain ws:// to a TLS port is no way in.
        with pytest.raises(Exception):  # noqa: B017 - a handshake failure of some kind
            await connect(app.url.replace("wss", "ws") + "/ws/agent", open_timeout=2)
    finally:
        await app.stop()


async def test_a_wrong_pin_never_sends_the_token(tmp_path: Path) -> None:
    """A server with another certificate (a stranger, or a man in the middle) gets nothing: the
    check happens after the TLS handshake and before the HTTP request that carries the token."""
    tls.ensure_certificate(tmp_path)
    received = bytearray()
    ctx = tls.server_context(tmp_path)

    async def stranger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            received.extend(await asyncio.wait_for(reader.read(65536), 2))
        writer.close()

    server = await asyncio.start_server(stranger, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(tls.FingerprintMismatchError) as info:
            await connect(
                f"wss://127.0.0.1:{port}/ws/agent",
                additional_headers={"Authorization": "Bearer THE-SECRET"},
                ssl=tls.pinned_client_context(),
                create_connection=tls.pinned_connection(OTHER_PIN),
                open_timeout=5,
            )
        assert tls.fingerprint(tmp_path) in str(info.value)  # it says what it saw
        await asyncio.sleep(0.2)
        assert b"THE-SECRET" not in received and b"GET" not in received
    finally:
        server.close()
        await server.wait_closed()


async def test_a_non_loopback_address_gets_tls_by_default(tmp_path: Path) -> None:
    # Listens on every interface; the test only ever talks to 127.0.0.1.
    app = await start_app(tmp_path / "data", host="0.0.0.0")
    try:
        assert app.url.startswith("wss://") and app.fingerprint and not app.warnings
        token = (tmp_path / "data" / "agent_token").read_text().strip()
        url = f"wss://127.0.0.1:{app.port}/ws/agent"
        agent = await _pinned_agent(url, token, app.fingerprint, "remote1")
        await agent.close()
    finally:
        await app.stop()


async def test_insecure_is_loud(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = await start_app(tmp_path / "data", host="0.0.0.0", insecure=True)
    try:
        assert app.url.startswith("ws://") and app.fingerprint is None
        assert "WARNING" in capsys.readouterr().err
        (notice,) = app.warnings
        assert isinstance(notice, Notice) and notice.key == "insecure"
        assert notice.level == "warning" and "clear text" in notice.message
    finally:
        await app.stop()


def test_real_agent_over_wss_and_a_wrong_pin_is_fatal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = AppProcess(data, ["--tls", "--heartbeat", "1"]).start()
    try:
        assert app.url.startswith("wss://")
        fingerprint = app.endpoint()["fingerprint"]
        good = AgentProcess(
            app.url,
            app.agent_token,
            "pinned",
            extra_args=["--fingerprint", fingerprint],
            log_path=tmp_path / "good.log",
        ).start()
        bad = AgentProcess(
            app.url,
            app.agent_token,
            "mitm",
            extra_args=["--fingerprint", OTHER_PIN],
            log_path=tmp_path / "bad.log",
        ).start()
        unpinned = AgentProcess(
            app.url, app.agent_token, "nopin", log_path=tmp_path / "nopin.log"
        ).start()
        try:
            app.wait_agent("pinned")
            result = app.ctl("send", "--agent", "pinned", "--wait", "echo over-tls")
            assert result.returncode == 0 and "over-tls" in result.stdout
            assert bad.proc is not None and bad.proc.wait(20) == 2
            assert "fingerprint" in (tmp_path / "bad.log").read_text()
            assert unpinned.proc is not None and unpinned.proc.wait(20) == 2
            assert "--fingerprint" in (tmp_path / "nopin.log").read_text()
            assert set(app.agents()) == {"pinned"}
        finally:
            for agent in (good, bad, unpinned):
                agent.stop()
    finally:
        app.stop()


def test_local_agents_of_a_tls_app_get_the_fingerprint(tmp_path: Path) -> None:
    data = tmp_path / "data"
    work = tmp_path / "work"
    work.mkdir()
    app = AppProcess(data, ["--tls", "--heartbeat", "1"]).start()
    try:
        added = app.ctl("agent", "add", "local1", "--cwd", str(work))
        assert added.returncode == 0, added.stderr
        app.wait_agent("local1", timeout=20)
    finally:
        app.stop()


def test_ssl_module_has_what_pinning_needs() -> None:
    ctx = tls.pinned_client_context()
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
