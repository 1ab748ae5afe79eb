"""Authentication happens at the handshake: refused clients never get a WebSocket."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from .conftest import Live


async def refused(
    live: Live, url: str, token: str | None, *, header: str | None = None
) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        if header is None:
            await live.ws(url, token)
        else:
            from websockets.asyncio.client import connect

            await connect(url, additional_headers={"Authorization": header}, open_timeout=5)
    response = info.value.response
    return response.status_code, response.body.decode() if response.body else ""


async def test_missing_token_is_refused_with_a_reason(live: Live) -> None:
    for url in (live.agent_url, live.control_url):
        status, body = await refused(live, url, None)
        assert status == 401
        assert "missing token" in body and "Authorization: Bearer" in body


async def test_wrong_token_is_refused(live: Live) -> None:
    for url in (live.agent_url, live.control_url):
        status, body = await refused(live, url, "not-the-token")
        assert (status, body.strip()) == (401, "wrong token for this endpoint")


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "token", ""])
async def test_malformed_authorization_is_refused(live: Live, header: str) -> None:
    status, body = await refused(live, live.agent_url, None, header=header)
    assert status == 401 and "missing token" in body


async def test_each_token_opens_only_its_own_endpoint(live: Live) -> None:
    assert live.agent_token != live.control_token
    status, _ = await refused(live, live.control_url, live.agent_token)
    assert status == 401
    status, _ = await refused(live, live.agent_url, live.control_token)
    assert status == 401
    await live.ws(live.agent_url, live.agent_token)
    await live.ws(live.control_url, live.control_token)


@pytest.mark.parametrize("path", ["/", "/ws", "/ws/agents", "/ws/agent/extra", "/" + "x" * 500])
async def test_unknown_path_is_404(live: Live, path: str) -> None:
    status, body = await refused(live, live.app.url + path, live.agent_token)
    assert status == 404 and body.startswith("no endpoint")
    assert len(body) < 200


async def test_query_string_does_not_change_the_endpoint(live: Live) -> None:
    await live.ws(live.agent_url + "?v=1", live.agent_token)
    status, _ = await refused(live, live.control_url + "?x", live.agent_token)
    assert status == 401


async def test_tokens_are_private_files(live: Live) -> None:
    for name in ("agent_token", "control_token"):
        assert (live.data_dir / name).stat().st_mode & 0o777 == 0o600
