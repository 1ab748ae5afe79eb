"""Payloads of every agent-protocol message.

Each payload is a msgspec ``Struct`` whose fields are camelCase on the wire. Unknown fields are
ignored (a newer peer may add some); missing required fields and wrong types are rejected.

Reliable messages (agent → server) derive from :class:`Sequenced`: they carry ``seq``, the agent's
stream sequence number, which starts at 1 when an agent process starts and grows by one for every
reliable message it sends, across reconnects. The server stores what it receives and answers
:class:`OutputAck` with the highest ``seq`` durably stored; the agent keeps everything after that in
its resume buffer and sends it again after a reconnect. The server drops any ``seq`` it has already
taken, so nothing is stored or shown twice.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import msgspec

from .enums import (
    ActivityState,
    AgentType,
    ApprovalChoice,
    ApprovalKind,
    ApprovalMode,
    ApprovalOutcome,
    ApprovalSource,
    CommandStatus,
    CommandType,
    CompletionReason,
    ControlAction,
    ReportStatus,
    RuleEffect,
    StreamType,
    TraceType,
)

# Integers are bounded to what a 64-bit signed column holds: a larger one would pass decoding and
# then fail in the store (SQLite raises OverflowError), taking its neighbours in the batch with it.
MAX_INT = 2**63 - 1
Int = Annotated[int, msgspec.Meta(ge=-MAX_INT, le=MAX_INT)]
NonNegInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
PosInt = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
Seq = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
# The whole string (\Z, not $: $ also matches before a final newline, so "b1\n" passed for a
# name beside "b1").
AGENT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z"
AGENT_NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
AgentName = Annotated[str, msgspec.Meta(pattern=AGENT_NAME_PATTERN)]
ShortText = Annotated[str, msgspec.Meta(max_length=1024)]
Priority = Annotated[int, msgspec.Meta(ge=0, le=100)]


def is_agent_name(text: str) -> bool:
    """Whether ``text`` is a valid agent name (AGENT_CONNECT.name, a token's binding, ...)."""
    return re.match(AGENT_NAME_PATTERN, text) is not None


class Payload(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Base of every payload."""


class Sequenced(Payload, kw_only=True):
    """A reliable agent → server message, resent after a reconnect until acknowledged."""

    seq: Seq


# --- shared parts -------------------------------------------------------------------------------


class HealthMetrics(Payload, kw_only=True):
    cpu_usage: float = 0.0  # percent of one core, agent and its children
    memory_usage: float = 0.0  # MB resident, agent and its children
    uptime: float = 0.0  # seconds since the agent started
    commands_processed: NonNegInt = 0
    average_response_time: float = 0.0  # ms per command


class Constraints(Payload, kw_only=True):
    time_limit_ms: PosInt | None = None
    token_budget: PosInt | None = None
    memory_limit_mb: PosInt | None = None
    cpu_limit_percent: Annotated[int, msgspec.Meta(ge=1, le=100_00)] | None = None


class Usage(Payload, kw_only=True):
    input_tokens: NonNegInt = 0
    output_tokens: NonNegInt = 0
    cached_tokens: NonNegInt = 0
    total_tokens: NonNegInt = 0
    cost_usd: float | None = None
    # Set when cost_usd is an estimate from a price table (which one), not the CLI's own figure.
    cost_source: ShortText | None = None


class CliInfo(Payload, kw_only=True):
    """The AI CLI an agent drives, as it says (``--version``, or its init event)."""

    name: ShortText
    version: ShortText = ""


class SessionResume(Payload, kw_only=True):
    """The CLI conversation an agent continues after a restart, and the tokens counted on it so
    far (Codex reports a thread's running total, from which each command's own share is taken)."""

    session_id: ShortText
    usage: Usage = msgspec.field(default_factory=Usage)


class CommandState(Payload, kw_only=True):
    """What an agent knows of a command when it (re)connects."""

    command_id: uuid.UUID
    running: bool


class TraceNode(Payload, kw_only=True):
    """One TraceEntry; sent again with the same id when it completes (upsert)."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    type: TraceType
    name: ShortText
    content: dict[str, Any] = {}
    started_at: NonNegInt  # ms since the epoch
    completed_at: NonNegInt | None = None
    duration_ms: NonNegInt | None = None
    tokens_used: NonNegInt | None = None
    error: str | None = None
    metadata: dict[str, Any] | None = None


class ApprovalRule(Payload, kw_only=True):
    """One of the user's rules ("always allow `npm test` for agent X", "allow edits under src/").

    Every set part must match (``protocol.approvals.rule_matches``): ``kind``, ``tool`` (the CLI's
    own tool name, any case) and ``pattern`` — for a shell command its text (``*`` any
    characters; a command that chains others never matches a pattern with ``*``), for a file its
    path relative to the agent's working folder (``src/`` = anything under src, ``*`` globs).
    """

    id: uuid.UUID
    effect: RuleEffect
    kind: ApprovalKind | None = None
    tool: ShortText | None = None
    pattern: Annotated[str, msgspec.Meta(max_length=4096)] | None = None
    agent: ShortText | None = None  # the agent's name it is limited to (None: every agent)


class ApprovalPolicy(Payload, kw_only=True):
    """(v2) How a command's tool calls are approved: the rules first (deny before allow), then
    the mode. Sent with each command; the agent applies it locally so an allowed call does not
    wait for a round trip, and asks the app (APPROVAL_REQUEST) for the rest."""

    mode: ApprovalMode = ApprovalMode.ASK_WRITES
    rules: list[ApprovalRule] = []
    timeout_s: PosInt | None = None  # denied by the app when unanswered this long (None: never)


class ApprovalOption(Payload, kw_only=True):
    """One answer the agent offers for a request."""

    id: ShortText  # the agent's own id for it (an ACP optionId), given back in the decision
    choice: ApprovalChoice
    label: ShortText = ""
    takes_message: bool = False  # a denial that passes the user's message on to the model


class ApprovalAnswer(Payload, kw_only=True):
    """How a request was answered: by the user, a rule, the policy, or the lack of an answer."""

    outcome: ApprovalOutcome
    source: ApprovalSource
    option_id: ShortText | None = None  # the offered option taken
    always: bool = False  # "allow/deny always": ``rule`` is the rule that was added
    message: str | None = None  # to the model (a denial's reason), or why (timed out, ...)
    rule: ApprovalRule | None = None  # the rule that decided, or the one this answer added


class ReportSection(Payload, kw_only=True):
    title: str
    content: str = ""
    type: str = "text"
    order: NonNegInt = 0


class ReportFinding(Payload, kw_only=True):
    description: str
    severity: str = "info"
    evidence: list[str] = []


class ReportRecommendation(Payload, kw_only=True):
    action: str
    priority: str = "medium"
    rationale: str = ""


class ReportContent(Payload, kw_only=True):
    sections: list[ReportSection] = []
    findings: list[ReportFinding] = []
    recommendations: list[ReportRecommendation] = []
    metadata: dict[str, Any] = {}


# --- agent → server -----------------------------------------------------------------------------


class AgentConnect(Payload, kw_only=True):
    """First message on every agent connection."""

    name: AgentName
    agent_type: AgentType
    instance_id: uuid.UUID  # new for every start of the agent process
    protocol_version: PosInt
    agent_version: ShortText = ""
    host_machine: ShortText = ""
    pid: NonNegInt = 0
    cwd: str = ""
    interactive: bool = False
    capabilities: list[str] = []
    last_seq: NonNegInt = 0  # highest seq this agent process has sent so far
    commands: list[CommandState] = []  # commands it is running or holds unacknowledged output of
    activity: ActivityState = ActivityState.IDLE
    config: dict[str, Any] = {}
    # (v2) Approval requests this agent still waits on: the app sends their decisions again.
    pending_approvals: list[uuid.UUID] = []
    cli: CliInfo | None = None  # the AI CLI it drives (None: a shell agent, or not known)


class AgentHeartbeat(Payload, kw_only=True):
    activity: ActivityState = ActivityState.IDLE
    current_command_id: uuid.UUID | None = None
    health: HealthMetrics = msgspec.field(default_factory=HealthMetrics)
    # A passing state of the running command to show on the agent's card (the CLI retrying a
    # failed API call); sent at once when it changes.
    notice: ShortText | None = None
    cli: CliInfo | None = None  # as in AGENT_CONNECT; changes if the CLI reports another version


class CommandAck(Sequenced, kw_only=True):
    command_id: uuid.UUID
    accepted: bool = True
    reason: str | None = None


class TerminalOutput(Sequenced, kw_only=True):
    command_id: uuid.UUID | None = None  # None: output of an interactive session between commands
    stream_type: StreamType = StreamType.STDOUT
    data: str
    raw: str | None = None  # the CLI's own line(s) this rendering came from, kept for the record


class TraceEvent(Sequenced, kw_only=True):
    command_id: uuid.UUID
    entry: TraceNode


class UsageUpdate(Sequenced, kw_only=True):
    """Running token count of a command, sent as it grows so budgets can act mid-run."""

    command_id: uuid.UUID
    usage: Usage


class CommandComplete(Sequenced, kw_only=True):
    command_id: uuid.UUID
    status: CommandStatus
    exit_code: Int | None = None
    error: str | None = None
    reason: CompletionReason | None = None
    duration_ms: NonNegInt = 0
    usage: Usage | None = None
    session_id: str | None = None  # the CLI's conversation id, to continue it later

    def __post_init__(self) -> None:
        if not self.status.is_final:
            raise ValueError(f"status must be COMPLETED, FAILED or CANCELLED, not {self.status}")


class InvestigationReport(Sequenced, kw_only=True):
    command_id: uuid.UUID
    report_id: uuid.UUID
    title: str
    summary: str = ""
    status: ReportStatus = ReportStatus.DRAFT
    content: ReportContent = msgspec.field(default_factory=ReportContent)


class AgentError(Sequenced, kw_only=True):
    command_id: uuid.UUID | None = None
    code: ShortText
    message: str
    fatal: bool = False


class ApprovalRequest(Sequenced, kw_only=True):
    """(v2) A tool call waits for the user's answer, or was answered by the policy on the agent.

    ``decision`` is set when the agent already decided it from the command's policy (a rule, or
    deny-everything): the app only records it. Otherwise the app answers with APPROVAL_DECISION.
    ``request_id`` is stable for one tool call of one command (a resend or a re-ask is the same
    request).
    """

    command_id: uuid.UUID
    request_id: uuid.UUID
    tool: ShortText  # the CLI's own name for the tool ("Bash", "Edit", an ACP title)
    kind: ApprovalKind = ApprovalKind.OTHER
    title: str = ""  # one line saying what it would do
    shell_command: str | None = None  # a shell command, in full
    paths: list[str] = []  # the files it reads or changes
    diff: str | None = None  # a file edit as a unified diff of the change it would make
    arguments: dict[str, Any] = {}  # the tool's arguments as the CLI gave them (long text cut)
    options: list[ApprovalOption] = []
    trace_id: uuid.UUID | None = None  # the TOOL_CALL trace node it concerns
    decision: ApprovalAnswer | None = None


# --- server → agent -----------------------------------------------------------------------------


class AgentWelcome(Payload, kw_only=True):
    """The server's answer to AGENT_CONNECT."""

    agent_id: uuid.UUID
    acked_seq: NonNegInt  # highest seq of this agent instance durably stored
    heartbeat_interval_ms: PosInt
    protocol_version: PosInt
    server_version: ShortText = ""
    unknown_commands: list[uuid.UUID] = []  # commands the server will not take results for
    # (v2) What this app does beyond the protocol's core: "approvals" = it answers
    # APPROVAL_REQUEST (without it the agent cannot ask, and says so).
    features: list[ShortText] = []
    # The conversation this agent's last command had, for an agent process that has none (it
    # restarted, or the app did): the next command continues it.
    session: SessionResume | None = None


class CommandRequest(Payload, kw_only=True):
    command_id: uuid.UUID
    content: str
    command_type: CommandType = CommandType.NATURAL
    priority: Priority = 50
    constraints: Constraints = msgspec.field(default_factory=Constraints)
    approvals: ApprovalPolicy | None = None  # (v2) None: the app does not answer approvals
    # Protocol 2: this agent's run of the command, the namespace of the ids of the rows it reports.
    run_id: uuid.UUID | None = None

    @property
    def id_scope(self) -> uuid.UUID:
        """What the ids of this run's trace entries and report derive from (``uuid5(scope,
        key)``): the run, or the command when the app did not say (protocol 1)."""
        return self.run_id or self.command_id


class CommandCancel(Payload, kw_only=True):
    command_id: uuid.UUID
    reason: CompletionReason = CompletionReason.CANCELLED
    message: str | None = None


class AgentControl(Payload, kw_only=True):
    action: ControlAction
    reason: str | None = None


class ServerHeartbeat(Payload, kw_only=True):
    server_time: NonNegInt  # ms since the epoch


class Error(Payload, kw_only=True):
    code: ShortText
    message: str
    ref_id: str | None = None  # envelope id of the message this answers, when known
    fatal: bool = False


class OutputAck(Payload, kw_only=True):
    seq: NonNegInt  # highest stream seq durably stored; everything up to it may be forgotten


class TerminalInput(Payload, kw_only=True):
    """Keystrokes for an interactive agent's terminal."""

    data: str


class TerminalResize(Payload, kw_only=True):
    cols: Annotated[int, msgspec.Meta(ge=2, le=1000)]
    rows: Annotated[int, msgspec.Meta(ge=2, le=1000)]


class ApprovalDecision(Payload, kw_only=True):
    """(v2) The app's answer to an APPROVAL_REQUEST."""

    command_id: uuid.UUID
    request_id: uuid.UUID
    answer: ApprovalAnswer
