"""Enumerations shared by the protocol, the store and the UI (values are the wire/database form)."""

from enum import StrEnum


class AgentType(StrEnum):
    CLAUDE = "CLAUDE"
    GEMINI = "GEMINI"
    CODEX = "CODEX"
    # Any other command-line program run through the user's shell (the data model's three types are
    # the AI CLIs; a plain shell agent is what the spine and tests run).
    SHELL = "SHELL"
    # Any agent that speaks the Agent Client Protocol (Gemini CLI in its ACP mode, Claude Code and
    # Codex through Zed's adapters, ...), driven through the ACP Python SDK (since protocol 2).
    ACP = "ACP"


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
    # Approvals (protocol 2): tool calls asked for and answered; the rules that answer for the user.
    APPROVAL_REQUESTED = "APPROVAL_REQUESTED"
    APPROVAL_GRANTED = "APPROVAL_GRANTED"
    APPROVAL_DENIED = "APPROVAL_DENIED"
    APPROVAL_RULE_ADDED = "APPROVAL_RULE_ADDED"
    APPROVAL_RULE_REMOVED = "APPROVAL_RULE_REMOVED"


class ApprovalKind(StrEnum):
    """What a tool call does, as far as a policy is concerned (ACP's tool kinds)."""

    READ = "READ"
    SEARCH = "SEARCH"
    THINK = "THINK"
    FETCH = "FETCH"  # reaches the network
    EDIT = "EDIT"
    DELETE = "DELETE"
    MOVE = "MOVE"
    EXECUTE = "EXECUTE"  # runs a shell command
    OTHER = "OTHER"

    @property
    def is_read(self) -> bool:
        return self in _READ_KINDS


# What "allow reads" allows without asking: looking, never changing or reaching out (a fetch can
# carry the workspace's contents away, so it asks).
_READ_KINDS = frozenset({ApprovalKind.READ, ApprovalKind.SEARCH, ApprovalKind.THINK})


class ApprovalMode(StrEnum):
    """An approval policy's answer for what no rule decides."""

    ASK = "ASK"  # ask for everything
    ASK_WRITES = "ASK_WRITES"  # allow reads, ask for writes, shell and the rest
    ALLOW_ALL = "ALLOW_ALL"
    DENY_ALL = "DENY_ALL"


class ApprovalChoice(StrEnum):
    """The kinds of answer an agent offers for one request (ACP's permission option kinds)."""

    ALLOW_ONCE = "ALLOW_ONCE"
    ALLOW_ALWAYS = "ALLOW_ALWAYS"
    DENY = "DENY"
    DENY_ALWAYS = "DENY_ALWAYS"

    @property
    def allows(self) -> bool:
        return self in (ApprovalChoice.ALLOW_ONCE, ApprovalChoice.ALLOW_ALWAYS)


class ApprovalOutcome(StrEnum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"


class ApprovalSource(StrEnum):
    """Who or what answered a request."""

    USER = "USER"  # the person, in the app or with `ctl approve/deny`
    RULE = "RULE"  # one of the user's rules
    POLICY = "POLICY"  # the policy's mode (allow everything, deny everything)
    TIMEOUT = "TIMEOUT"  # nobody answered within the profile's time-out: denied
    EMERGENCY_STOP = "EMERGENCY_STOP"  # denied with every other pending request
    CANCELLED = "CANCELLED"  # the command ended (cancel, limit, the CLI gave up) first
    UNSUPPORTED = "UNSUPPORTED"  # the app cannot answer approvals (older, or not for this agent)


class RuleEffect(StrEnum):
    ALLOW = "ALLOW"
    DENY = "DENY"
