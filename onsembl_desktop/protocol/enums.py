"""Enumerations shared by the protocol, the store and the UI (values are the wire/database form)."""

from enum import StrEnum


class AgentType(StrEnum):
    CLAUDE = "CLAUDE"
    GEMINI = "GEMINI"
    CODEX = "CODEX"
    # Any other command-line program run through the user's shell (the data model's three types are
    # the AI CLIs; a plain shell agent is what the spine and tests run).
    SHELL = "SHELL"


class AgentStatus(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    CONNECTING = "CONNECTING"
    ERROR = "ERROR"


class ActivityState(StrEnum):
    IDLE = "IDLE"
    PROCESSING = "PROCESSING"
    QUEUED = "QUEUED"


class CommandType(StrEnum):
    NATURAL = "NATURAL"
    INVESTIGATE = "INVESTIGATE"
    REVIEW = "REVIEW"
    PLAN = "PLAN"
    SYNTHESIZE = "SYNTHESIZE"


class CommandStatus(StrEnum):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {CommandStatus.COMPLETED, CommandStatus.FAILED, CommandStatus.CANCELLED}
)


class StreamType(StrEnum):
    STDOUT = "STDOUT"
    STDERR = "STDERR"


class TraceType(StrEnum):
    LLM_PROMPT = "LLM_PROMPT"
    TOOL_CALL = "TOOL_CALL"
    RESPONSE = "RESPONSE"


class ReportStatus(StrEnum):
    DRAFT = "DRAFT"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"


class QueueStatus(StrEnum):
    WAITING = "WAITING"
    PROCESSING = "PROCESSING"
    INTERRUPTED = "INTERRUPTED"


class ControlAction(StrEnum):
    STOP = "STOP"
    RESTART = "RESTART"
    PAUSE = "PAUSE"
    RESUME = "RESUME"


class CompletionReason(StrEnum):
    """Why a command ended other than by finishing on its own."""

    CANCELLED = "CANCELLED"
    TIME_LIMIT_EXCEEDED = "TIME_LIMIT_EXCEEDED"
    TOKEN_LIMIT_EXCEEDED = "TOKEN_LIMIT_EXCEEDED"
    MEMORY_LIMIT_EXCEEDED = "MEMORY_LIMIT_EXCEEDED"
    EMERGENCY_STOP = "EMERGENCY_STOP"
    AGENT_STOPPED = "AGENT_STOPPED"
    CLI_ERROR = "CLI_ERROR"
    CLI_NOT_FOUND = "CLI_NOT_FOUND"
    AGENT_LOST = "AGENT_LOST"


class AuditEventType(StrEnum):
    # The data model's event types ...
    AGENT_CONNECT = "AGENT_CONNECT"
    AGENT_DISCONNECT = "AGENT_DISCONNECT"
    COMMAND_SENT = "COMMAND_SENT"
    COMMAND_COMPLETED = "COMMAND_COMPLETED"
    EMERGENCY_STOP = "EMERGENCY_STOP"
    TOKEN_LIMIT_EXCEEDED = "TOKEN_LIMIT_EXCEEDED"
    TIME_LIMIT_EXCEEDED = "TIME_LIMIT_EXCEEDED"
    USER_LOGIN = "USER_LOGIN"
    USER_LOGOUT = "USER_LOGOUT"
    PRESET_CREATED = "PRESET_CREATED"
    PRESET_USED = "PRESET_USED"
    # ... and the events the product also audits (cancels, control actions, queue moves, errors,
    # housekeeping and sync conflicts).
    COMMAND_CANCELLED = "COMMAND_CANCELLED"
    COMMAND_FAILED = "COMMAND_FAILED"
    AGENT_CONTROL = "AGENT_CONTROL"
    AGENT_ERROR = "AGENT_ERROR"
    QUEUE_MOVED = "QUEUE_MOVED"
    QUEUE_RESUMED = "QUEUE_RESUMED"
    PRESET_UPDATED = "PRESET_UPDATED"
    PRESET_DELETED = "PRESET_DELETED"
    CONSTRAINT_CHANGED = "CONSTRAINT_CHANGED"
    MEMORY_LIMIT_EXCEEDED = "MEMORY_LIMIT_EXCEEDED"
    AUTH_FAILED = "AUTH_FAILED"
    TOKEN_CREATED = "TOKEN_CREATED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    RETENTION_CLEANUP = "RETENTION_CLEANUP"
    SYNC_CONFLICT = "SYNC_CONFLICT"
    SYSTEM_ERROR = "SYSTEM_ERROR"
