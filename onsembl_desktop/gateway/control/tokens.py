"""Control methods for agent tokens: list, create (the token is in the reply, once), revoke."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from ...protocol import control as c
from ..tokens import AgentTokens, TokenError, token_view
from .endpoint import ControlSession, method


class TokenCreateParams(c.Params, kw_only=True):
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    agent: str | None = None  # bind it to this agent name


class TokenIdParams(c.Params, kw_only=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


def _tokens(s: ControlSession) -> AgentTokens:
    if s.tokens is None:
        raise TokenError("this app has no agent token store")
    return s.tokens


@method("tokens.list", c.NoParams)
async def tokens_list(s: ControlSession, _p: c.NoParams) -> Any:
    return [token_view(t) for t in _tokens(s).all()]


@method("tokens.create", TokenCreateParams)
async def tokens_create(s: ControlSession, p: TokenCreateParams) -> Any:
    info, token = await _tokens(s).create(p.label, p.agent)
    return {**token_view(info), "token": token}


@method("tokens.revoke", TokenIdParams)
async def tokens_revoke(s: ControlSession, p: TokenIdParams) -> Any:
    return token_view(await _tokens(s).revoke(p.id))
