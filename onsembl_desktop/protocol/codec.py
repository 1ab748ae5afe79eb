"""The JSON envelope ``{type, id, timestamp, payload}`` and its encoder/decoder.

Sans-I/O: bytes in, typed messages out (and back). :func:`decode` raises only
:class:`ProtocolError`, whatever it is given.
"""

from __future__ import annotations

import builtins
import time
import uuid
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Generic, TypeVar

import msgspec

from . import messages as m
from . import version


class Direction(Enum):
    AGENT_TO_SERVER = "agent->server"
    SERVER_TO_AGENT = "server->agent"


class ErrorCode(StrEnum):
    """Codes carried by ERROR messages and by :class:`ProtocolError`."""

    INVALID_MESSAGE = (
        "INVALID_MESSAGE"  # not JSON, not an envelope, or a payload that fails validation
    )
    UNKNOWN_TYPE = "UNKNOWN_TYPE"  # a type this side does not know
    WRONG_DIRECTION = "WRONG_DIRECTION"  # a server message sent by an agent, or the reverse
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    NOT_CONNECTED = "NOT_CONNECTED"  # anything before AGENT_CONNECT
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMIT = "RATE_LIMIT"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    NAME_IN_USE = "NAME_IN_USE"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    UNKNOWN_AGENT = "UNKNOWN_AGENT"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


class ProtocolError(Exception):
    """A message could not be decoded or is not allowed here.

    ``ref_id`` is the envelope id when it could be read, so the reply can name the offending
    message.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        ref_id: str | None = None,
        msg_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref_id = ref_id
        self.msg_type = msg_type

    def to_payload(self, *, fatal: bool = False) -> m.Error:
        return m.Error(code=self.code.value, message=self.message, ref_id=self.ref_id, fatal=fatal)


@dataclass(frozen=True, slots=True)
class MessageSpec:
    type: str
    payload: builtins.type[m.Payload]  # ``type`` is the field above
    direction: Direction
    since: int = 1


_A, _S = Direction.AGENT_TO_SERVER, Direction.SERVER_TO_AGENT

SPECS: tuple[MessageSpec, ...] = (
    MessageSpec("AGENT_CONNECT", m.AgentConnect, _A),
    MessageSpec("AGENT_HEARTBEAT", m.AgentHeartbeat, _A),
    MessageSpec("COMMAND_ACK", m.CommandAck, _A),
    MessageSpec("TERMINAL_OUTPUT", m.TerminalOutput, _A),
    MessageSpec("TRACE_EVENT", m.TraceEvent, _A),
    MessageSpec("USAGE_UPDATE", m.UsageUpdate, _A),
    MessageSpec("COMMAND_COMPLETE", m.CommandComplete, _A),
    MessageSpec("INVESTIGATION_REPORT", m.InvestigationReport, _A),
    MessageSpec("AGENT_ERROR", m.AgentError, _A),
    MessageSpec("AGENT_WELCOME", m.AgentWelcome, _S),
    MessageSpec("COMMAND_REQUEST", m.CommandRequest, _S),
    MessageSpec("COMMAND_CANCEL", m.CommandCancel, _S),
    MessageSpec("AGENT_CONTROL", m.AgentControl, _S),
    MessageSpec("SERVER_HEARTBEAT", m.ServerHeartbeat, _S),
    MessageSpec("ERROR", m.Error, _S),
    MessageSpec("OUTPUT_ACK", m.OutputAck, _S),
    MessageSpec("TERMINAL_INPUT", m.TerminalInput, _S),
    MessageSpec("TERMINAL_RESIZE", m.TerminalResize, _S),
    MessageSpec("APPROVAL_REQUEST", m.ApprovalRequest, _A, since=2),
    MessageSpec("APPROVAL_DECISION", m.ApprovalDecision, _S, since=2),
)

BY_TYPE: dict[str, MessageSpec] = {s.type: s for s in SPECS}
BY_PAYLOAD: dict[type[m.Payload], MessageSpec] = {s.payload: s for s in SPECS}

P = TypeVar("P", bound=m.Payload)


class Envelope(msgspec.Struct, Generic[P], frozen=True):
    type: str
    id: str
    timestamp: int  # ms since the epoch, set by the sender
    payload: P


class _RawEnvelope(msgspec.Struct):
    type: str
    id: str
    timestamp: m.NonNegInt
    payload: msgspec.Raw


_encoder = msgspec.json.Encoder()
_raw_decoder = msgspec.json.Decoder(_RawEnvelope)
_payload_decoders: dict[type[m.Payload], msgspec.json.Decoder[Any]] = {
    s.payload: msgspec.json.Decoder(s.payload) for s in SPECS
}

MAX_ID_LENGTH = 128


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_id() -> str:
    return str(uuid.uuid4())


def encode(payload: m.Payload, *, msg_id: str | None = None, timestamp: int | None = None) -> bytes:
    """Wrap ``payload`` in an envelope and serialise it to JSON bytes."""
    spec = BY_PAYLOAD.get(type(payload))
    if spec is None:
        raise TypeError(f"{type(payload).__name__} is not a protocol message payload")
    env = Envelope(
        type=spec.type,
        id=msg_id or new_id(),
        timestamp=now_ms() if timestamp is None else timestamp,
        payload=payload,
    )
    return _encoder.encode(env)


def decode(
    data: bytes | str,
    *,
    expect: Direction | None = None,
    negotiated_version: int = version.CURRENT,
) -> Envelope[Any]:
    """Parse one message. Raises :class:`ProtocolError` (and nothing else) on bad input.

    ``expect`` rejects messages meant for the other side; ``negotiated_version`` rejects types newer
    than the version agreed on the connection.
    """
    try:
        raw = _raw_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"not a message envelope: {exc}") from None
    except Exception as exc:  # e.g. a str with lone surrogates, or an unsupported input type
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, f"unreadable message: {exc}") from None
    ref = raw.id[:MAX_ID_LENGTH]
    if not raw.id or len(raw.id) > MAX_ID_LENGTH:
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE, "envelope id must be 1-128 characters", msg_type=raw.type
        )
    spec = BY_TYPE.get(raw.type)
    if spec is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE,
            f"unknown message type {raw.type[:64]!r}",
            ref_id=ref,
            msg_type=raw.type[:64],
        )
    if expect is not None and spec.direction is not expect:
        raise ProtocolError(
            ErrorCode.WRONG_DIRECTION,
            f"{spec.type} is a {spec.direction.value} message",
            ref_id=ref,
            msg_type=spec.type,
        )
    if spec.since > negotiated_version:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"{spec.type} needs protocol version {spec.since}; "
            f"this connection speaks {negotiated_version}",
            ref_id=ref,
            msg_type=spec.type,
        )
    try:
        payload = _payload_decoders[spec.payload].decode(raw.payload)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise ProtocolError(
            ErrorCode.INVALID_MESSAGE,
            f"invalid {spec.type} payload: {exc}",
            ref_id=ref,
            msg_type=spec.type,
        ) from None
    return Envelope(type=spec.type, id=raw.id, timestamp=raw.timestamp, payload=payload)


def to_builtins(payload: m.Payload) -> dict[str, Any]:
    """The payload as plain JSON-ready values (camelCase keys), e.g. for storing or logging."""
    result = msgspec.to_builtins(payload)
    assert isinstance(result, dict)
    return result
