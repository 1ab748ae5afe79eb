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
from .enums import AgentType, AuditEventType, CommandType, ControlAction
from .messages import MAX_INT, PosInt, Priority

MAX_REQUEST_AGE_MS = 5 * 60 * 1000
# The largest response or event a client has to read (``onsembl ctl``'s WebSocket ``max_size``).
# The endpoint answers a larger result with an error; methods whose results grow with what is
# stored (a command's output) return it a page at a time.
MAX_REPLY_BYTES = 16 * 1024 * 1024


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


CpuPercent = Annotated[int, msgspec.Meta(ge=1, le=100_00)]


class SendOptions(Params, kw_only=True):
    """What ``commands.send`` and ``commands.sendPreset`` share: targets, priority, limits."""

    agents: list[str] = []
    all: bool = False  # every ONLINE agent
    priority: Priority = 50
    profile: str | None = None  # constraint profile; the default profile when None
    # Bounded like the agent protocol's fields: the agent must be able to decode what they become.
    time_limit_ms: PosInt | None = None
    token_budget: PosInt | None = None
    memory_limit_mb: PosInt | None = None
    cpu_limit_percent: CpuPercent | None = None
    fail_if_offline: bool = False


class SendParams(SendOptions, kw_only=True):
    content: Annotated[str, msgspec.Meta(min_length=1)]
    type: CommandType = CommandType.NATURAL


class SendPresetParams(SendOptions, kw_only=True):
    preset: str
    variables: dict[str, str] = {}
    type: CommandType | None = None  # the preset's type when None


class CommandIdParams(Params, kw_only=True):
    command_id: uuid.UUID


class SubscribeParams(Params, kw_only=True):
    command_id: uuid.UUID
    from_start: bool = True  # replay stored output before streaming live


class AgentsParams(Params, kw_only=True):
    pass


# --- orchestration: queues, emergency stop, agent control, local agents, presets, profiles, audit


class QueueListParams(Params, kw_only=True):
    agent: str | None = None  # one agent's queue; all when None


class QueueMoveParams(Params, kw_only=True):
    command_id: uuid.UUID
    position: Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
    agent: str | None = None  # which queue, when the command waits in several


class QueuePriorityParams(Params, kw_only=True):
    command_id: uuid.UUID
    priority: Priority


class QueueCancelParams(Params, kw_only=True):
    command_id: uuid.UUID
    agent: str | None = None  # only this agent's run; the whole command when None


class StopAllParams(Params, kw_only=True):
    reason: str | None = None


class AgentControlParams(Params, kw_only=True):
    name: str
    action: ControlAction


class NameParams(Params, kw_only=True):
    name: str


class LocalAgentParams(Params, kw_only=True):
    name: str
    type: AgentType = AgentType.SHELL
    cwd: str
    cli: str | None = None
    cli_args: list[str] = []
    interactive: bool = False
    start: bool = True


class PresetVariableParams(Params, kw_only=True):
    name: str
    description: str = ""
    default: str | None = None


class PresetParams(Params, kw_only=True):
    name: str
    content: str
    type: CommandType = CommandType.NATURAL
    description: str | None = None
    variables: list[PresetVariableParams] = []
    target_agent_types: list[AgentType] = []


class PresetEditParams(Params, kw_only=True):
    name: str
    new_name: str | None = None
    content: str | None = None
    type: CommandType | None = None
    description: str | None = None  # "" clears it
    variables: list[PresetVariableParams] | None = None  # replaces the declared ones
    target_agent_types: list[AgentType] | None = None


class PresetExportParams(Params, kw_only=True):
    names: list[str] = []  # all when empty


class PresetImportParams(Params, kw_only=True):
    document: Any
    replace: bool = False  # overwrite presets of the same name (else they are skipped)


class ProfileParams(Params, kw_only=True):
    name: str
    description: str | None = None
    time_limit_ms: PosInt | None = None
    token_budget: PosInt | None = None
    memory_limit_mb: PosInt | None = None
    cpu_limit_percent: CpuPercent | None = None
    default: bool = False


class ProfileEditParams(Params, kw_only=True):
    name: str
    new_name: str | None = None
    description: str | None = None  # "" clears it
    # Limits to change, by their snake_case name; null removes that limit.
    limits: dict[str, Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)] | None] = {}
    default: bool | None = None


class ProfileDefaultParams(Params, kw_only=True):
    name: str | None = None  # None: no default profile


class AuditParams(Params, kw_only=True):
    type: AuditEventType | None = None
    since: str | None = None  # ISO 8601; UTC unless it carries an offset
    agent: str | None = None
    command_id: uuid.UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1000


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
