"""Messages of the control endpoint (``/ws/control``), spoken by ``onsembl ctl`` and scripts.

A small request/response protocol with server-pushed events:

* request  ``{"id", "method", "params", "timestamp"}`` — ``id`` unique per request (a replayed id is
  refused), ``timestamp`` in ms since the epoch (a request older than :data:`MAX_REQUEST_AGE_MS`
  is refused);
* response ``{"id", "ok": true, "result"}`` or
  ``{"id", "ok": false, "error": {"code", "message"}}``;
* event    ``{"event", "data"}`` for subscriptions (command output, status changes).

Each method's params are a Struct in :data:`PARAMS`; handlers live in the gateway.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec

from .codec import ErrorCode, ProtocolError
from .enums import CommandType
from .messages import MAX_INT, PosInt

MAX_REQUEST_AGE_MS = 5 * 60 * 1000


class ControlRequest(msgspec.Struct, kw_only=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    method: Annotated[str, msgspec.Meta(max_length=64)]
    params: dict[str, Any] = {}
    timestamp: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]


class ControlErrorInfo(msgspec.Struct):
    code: str
    message: str


class ControlResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    ok: bool
    result: Any = None
    error: ControlErrorInfo | None = None


class ControlEvent(msgspec.Struct, kw_only=True):
    event: str
    data: Any


class Params(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    """Base of method params; unknown params are an error (they are probably a typo)."""


class NoParams(Params, kw_only=True):
    pass


class SendParams(Params, kw_only=True):
    content: Annotated[str, msgspec.Meta(min_length=1)]
    agents: list[str] = []
    all: bool = False
    type: CommandType = CommandType.NATURAL
    priority: Annotated[int, msgspec.Meta(ge=0, le=100)] = 50
    profile: str | None = None
    # Bounded like the agent protocol's fields: the agent must be able to decode what they become.
    time_limit_ms: PosInt | None = None
    token_budget: PosInt | None = None
    fail_if_offline: bool = False
    preset: str | None = None
    variables: dict[str, str] = {}


class CommandIdParams(Params, kw_only=True):
    command_id: uuid.UUID


class SubscribeParams(Params, kw_only=True):
    command_id: uuid.UUID
    from_start: bool = True  # replay stored output before streaming live


class AgentsParams(Params, kw_only=True):
    pass


_request_decoder = msgspec.json.Decoder(ControlRequest)
_encoder = msgspec.json.Encoder()


def decode_request(data: bytes | str) -> ControlRequest:
    try:
        return _request_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"not a control request: {exc}") from None
    except Exception as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"unreadable request: {exc}") from None


def parse_params(params_type: type[Params], req: ControlRequest) -> Any:
    try:
        return msgspec.convert(req.params, params_type, strict=False)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE, f"bad params for {req.method}: {exc}", ref_id=req.id
        ) from None


def encode(msg: ControlRequest | ControlResponse | ControlEvent) -> bytes:
    return _encoder.encode(msg)


def decode_reply(data: bytes | str) -> ControlResponse | ControlEvent:
    """Client side: a response or an event."""
    try:
        obj = msgspec.json.decode(data)
        if isinstance(obj, dict) and "event" in obj:
            return msgspec.convert(obj, ControlEvent)
        return msgspec.convert(obj, ControlResponse)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"not a control reply: {exc}") from None
    except Exception as exc:  # e.g. a str with lone surrogates, or not bytes/str at all
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"unreadable reply: {exc}") from None
