"""The agent protocol: typed messages, one JSON envelope, sans-I/O encode/decode.

Imports nothing else of Onsembl's. See ``messages`` for payloads and ``codec`` for the envelope.
"""

from . import control, messages
from .codec import (
    BY_PAYLOAD,
    BY_TYPE,
    Direction,
    Envelope,
    ErrorCode,
    MessageSpec,
    ProtocolError,
    decode,
    encode,
    new_id,
    now_ms,
    to_builtins,
)
from .enums import (
    ActivityState,
    AgentStatus,
    AgentType,
    AuditEventType,
    CommandStatus,
    CommandType,
    CompletionReason,
    ControlAction,
    QueueStatus,
    ReportStatus,
    StreamType,
    TraceType,
)
from .version import CURRENT as PROTOCOL_VERSION
from .version import MIN_SUPPORTED as MIN_PROTOCOL_VERSION

__all__ = [
    "BY_PAYLOAD",
    "BY_TYPE",
    "MIN_PROTOCOL_VERSION",
    "PROTOCOL_VERSION",
    "ActivityState",
    "AgentStatus",
    "AgentType",
    "AuditEventType",
    "CommandStatus",
    "CommandType",
    "CompletionReason",
    "ControlAction",
    "Direction",
    "Envelope",
    "ErrorCode",
    "MessageSpec",
    "ProtocolError",
    "QueueStatus",
    "ReportStatus",
    "StreamType",
    "TraceType",
    "control",
    "decode",
    "encode",
    "messages",
    "new_id",
    "now_ms",
    "to_builtins",
]
