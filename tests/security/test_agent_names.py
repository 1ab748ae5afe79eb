"""Who may connect as an agent name: an agent belongs to the token it registered with.

The hole these close: a connection with the default token (or a token not bound to a name) saying
AGENT_CONNECT with the name of an agent that is OFFLINE took over that agent's identity — its
queue, its history, the commands waiting for it. Everything here goes over real sockets to the
real app; the last test runs the real ``onsembl-agent``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from onsembl_desktop.gateway.tokens import FILE_NAME, AgentTokens, TokenError
from onsembl_desktop.protocol import PROTOCOL_VERSION
from onsembl_desktop.protocol import messages as m
from onsembl_desktop.protocol.enums import AgentStatus, AgentType, AuditEventType
from tests.support import env_for_children

from .conftest import Live, RawAgent, start_app, submit


def _tokens(live: Live) -> AgentTokens:
    assert live.app.tokens is not None
    return live.app.tokens


async def _connect(live: Live, token: str, name: str, **fields: object) -> RawAgent:
    """A raw agent that has been welcomed, connected with ``token``."""
    agent = RawAgent(await live.ws(live.agent_url, token), name, uuid.uuid4())
    live.agents.append(agent)
    agent.welcome = await agent.hello(**fields)
    return agent


async def _refused(
    live: Live, token: str, name: str, instance_id: uuid.UUID | None = None
) -> m.Error:
    """Say AGENT_CONNECT as ``name`` with ``token``; the ERROR it gets (and the close after)."""
    agent = RawAgent(await live.ws(live.agent_url, token), name, instance_id or uuid.uuid4())
    await agent.send(
        m.AgentConnect(
            name=name,
            agent_type=AgentType.SHELL,
            instance_id=agent.instance_id,
            protocol_version=PROTOCOL_VERSION,
        )
    )
    msg = await agent.recv(5)
    assert isinstance(msg, m.Error), f"{name!r} was let in: {msg}"
    with pytest.raises(ConnectionClosed):
        await agent.recv(5)
    return msg


async def _stop(live: Live) -> None:
    for agent in live.agents:
        await agent.close()
    for ws in live.clients:
        await ws.close()
    await live.app.stop()


async def _offline(live: Live, agent: RawAgent) -> None:
    await agent.close()
    async with asyncio.timeout(5):
        while True:
            info = live.core.agents.by_name(agent.name)
            if info is not None and info.status is AgentStatus.OFFLINE:
                return
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("who", ["default token", "unbound token"])
async def test_an_offline_agent_of_a_bound_token_cannot_be_taken_over(live: Live, who: str) -> None:
    _, own = await _tokens(live).create("build box", agent="builder")
    builder = await _connect(live, own, "builder")
    assert builder.welcome is not None
    agent_id = builder.welcome.agent_id
    await _offline(live, builder)
    waiting = await submit(live, "builder", "make release")  # queued for the offline agent

    if who == "default token":
        other = live.agent_token
    else:
        _, other = await _tokens(live).create("another machine")
    error = await _refused(live, other, "builder")
    assert error.code == "FORBIDDEN" and error.fatal
    assert "builder" in error.message
    info = live.core.agents.by_name("builder")
    assert info is not None and info.id == agent_id and info.status is AgentStatus.OFFLINE

    # Its own token still gets it back: the same agent, and the command that waited for it.
    back = await _connect(live, own, "builder")
    assert back.welcome is not None and back.welcome.agent_id == agent_id
    request = await back.expect(m.CommandRequest)
    assert request.command_id == waiting


async def test_a_name_with_a_bound_token_is_reserved_before_it_first_connects(live: Live) -> None:
    _, own = await _tokens(live).create("for fresh", agent="fresh")
    error = await _refused(live, live.agent_token, "fresh")
    assert error.code == "FORBIDDEN" and error.fatal
    assert live.core.agents.by_name("fresh") is None
    first = await _connect(live, own, "fresh")
    assert first.welcome is not None


async def test_revoking_a_bound_token_frees_the_agent_only_for_a_new_bound_token(
    live: Live,
) -> None:
    tokens = _tokens(live)
    info, own = await tokens.create("old laptop", agent="lap")
    lap = await _connect(live, own, "lap")
    assert lap.welcome is not None
    agent_id = lap.welcome.agent_id
    await tokens.revoke(info.id)
    await _offline(live, lap)
    error = await _refused(live, live.agent_token, "lap")
    assert error.code == "FORBIDDEN"
    # Rotating: a new token made for "lap" gets the same agent back.
    _, new = await tokens.create("new laptop", agent="lap")
    again = await _connect(live, new, "lap")
    assert again.welcome is not None and again.welcome.agent_id == agent_id


async def test_an_agent_belongs_to_the_token_it_registered_with(live: Live) -> None:
    tokens = _tokens(live)
    # A default-token agent cannot be taken by a machine's unbound token...
    local = await _connect(live, live.agent_token, "local1")
    await _offline(live, local)
    _, machine = await tokens.create("a machine")
    error = await _refused(live, machine, "local1")
    assert error.code == "FORBIDDEN"
    # ... nor an unbound token's agent by the default token or another unbound token...
    worker = await _connect(live, machine, "worker1")
    await _offline(live, worker)
    assert (await _refused(live, live.agent_token, "worker1")).code == "FORBIDDEN"
    _, second = await tokens.create("a second machine")
    assert (await _refused(live, second, "worker1")).code == "FORBIDDEN"
    # ... while each token reconnects as its own agents, and a token made for a name may move
    # that agent onto it.
    await _offline(live, await _connect(live, machine, "worker1"))
    await _offline(live, await _connect(live, live.agent_token, "local1"))
    _, for_local = await tokens.create("local1 alone", agent="local1")
    moved = await _connect(live, for_local, "local1")
    await _offline(live, moved)
    assert (await _refused(live, live.agent_token, "local1")).code == "FORBIDDEN"


async def test_an_agent_whose_unbound_token_was_revoked_can_be_claimed_again(live: Live) -> None:
    tokens = _tokens(live)
    info, machine = await tokens.create("retired machine")
    old = await _connect(live, machine, "w9")
    assert old.welcome is not None
    await _offline(live, old)
    await tokens.revoke(info.id)
    again = await _connect(live, live.agent_token, "w9")
    assert again.welcome is not None and again.welcome.agent_id == old.welcome.agent_id


async def test_a_name_online_is_refused_whatever_the_token(live: Live) -> None:
    await _connect(live, live.agent_token, "busy")
    error = await _refused(live, live.agent_token, "busy")
    assert error.code == "NAME_IN_USE" and error.fatal
    _, own = await _tokens(live).create("bound", agent="b1")
    await _connect(live, own, "b1")
    assert (await _refused(live, own, "b1")).code == "NAME_IN_USE"
    assert (await _refused(live, live.agent_token, "b1")).code == "FORBIDDEN"
    # The same process (same instance id) with another token cannot replace the connection.
    online = live.core.agents.by_name("b1")
    assert online is not None
    session = live.core.agents.session(online.id)
    assert session is not None
    error = await _refused(live, live.agent_token, "b1", session.instance_id)
    assert error.code == "FORBIDDEN"
    assert live.core.agents.session(online.id) is session


async def test_a_refused_claim_is_logged_and_audited_without_the_token(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, own = await _tokens(live).create("ci", agent="ci1")
    await _offline(live, await _connect(live, own, "ci1"))
    await _refused(live, live.agent_token, "ci1")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("onsembl"))
    assert "ci1" in text and "FORBIDDEN" in text
    assert live.agent_token not in text and own not in text
    entries = await live.core.audit.query(event_type=AuditEventType.AUTH_FAILED)
    assert entries, "the refused claim is in the audit trail"
    details = json.dumps(entries[0].details)
    assert "ci1" in details and live.agent_token not in details and own not in details


async def test_who_owns_an_agent_survives_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    app = await start_app(data_dir)
    live = Live(app, data_dir)
    try:
        _, own = await _tokens(live).create("bound", agent="kept")
        await _offline(live, await _connect(live, own, "kept"))
        await _offline(live, await _connect(live, live.agent_token, "mine"))
        _, machine = await _tokens(live).create("machine")
    finally:
        await _stop(live)
    assert own not in (data_dir / FILE_NAME).read_text()
    app = await start_app(data_dir)
    live = Live(app, data_dir)
    try:
        assert (await _refused(live, live.agent_token, "kept")).code == "FORBIDDEN"
        assert (await _refused(live, machine, "mine")).code == "FORBIDDEN"
        await _connect(live, own, "kept")
        await _connect(live, live.agent_token, "mine")
    finally:
        await _stop(live)


async def test_the_agent_cli_stops_with_a_clear_message_when_refused(live: Live) -> None:
    _, own = await _tokens(live).create("deploy", agent="deployer")
    await _offline(live, await _connect(live, own, "deployer"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "onsembl_desktop.agent",
        "--server",
        live.app.url,
        f"--token={live.agent_token}",
        "--name",
        "deployer",
        "--type",
        "shell",
        "--reconnect-initial",
        "0.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env_for_children(),
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail("onsembl-agent kept retrying a connection the app refused for good")
    stderr = err.decode()
    assert proc.returncode == 2, stderr
    assert "deployer" in stderr and "token" in stderr
    assert live.agent_token not in stderr


async def test_name_in_use_says_only_that(live: Live) -> None:
    """NAME_IN_USE told the refused agent where the connected one was (its address and port)."""
    holder = await _connect(live, live.agent_token, "busy")
    error = await _refused(live, live.agent_token, "busy")
    assert error.code == "NAME_IN_USE"
    assert error.message == "an agent named 'busy' is already connected"
    host, port = holder.ws.local_address[:2]
    assert str(port) not in error.message and host not in error.message


@pytest.mark.parametrize("name", ["b1\n", "b1\r\n", "b1\n\n", "\nb1", "b 1", "b1\x00", "-b1"])
async def test_a_name_is_checked_whole(live: Live, name: str) -> None:
    """``$`` matched before a final newline: ``b1\\n`` connected beside ``b1``."""
    await _connect(live, live.agent_token, "b1")
    error = await _refused_hello(live, name)
    assert error.code == "INVALID_MESSAGE" and "name" in error.message
    assert [a.name for a in live.core.agents.all()] == ["b1"]
    with pytest.raises(TokenError, match="not a valid agent name"):
        await _tokens(live).create("bound", agent=name)
    assert [t.agent for t in _tokens(live).all()] == [None]


async def _refused_hello(live: Live, name: str) -> m.Error:
    """AGENT_CONNECT as ``name``, sent as raw JSON (the codec would refuse to encode it)."""
    agent = RawAgent(await live.ws(live.agent_url, live.agent_token), "x", uuid.uuid4())
    live.agents.append(agent)
    envelope = {
        "type": "AGENT_CONNECT",
        "id": str(uuid.uuid4()),
        "timestamp": 0,
        "payload": {
            "name": name,
            "agentType": "SHELL",
            "instanceId": str(agent.instance_id),
            "protocolVersion": PROTOCOL_VERSION,
        },
    }
    await agent.send_raw(json.dumps(envelope))
    msg = await agent.recv(5)
    assert isinstance(msg, m.Error), f"{name!r} was let in: {msg}"
    return msg


def test_onsembl_agent_refuses_a_bad_name_before_connecting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "onsembl_desktop.agent", "--server", "ws://127.0.0.1:9", "--token",
         "x", "--name", "b1\n"],
        capture_output=True, text=True, timeout=60, env=env_for_children(),
    )  # fmt: skip
    assert result.returncode == 2 and "is not a valid name" in result.stderr
