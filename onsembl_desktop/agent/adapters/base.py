"""What every CLI adapter provides to the agent runner.

An adapter knows how to start one CLI for a command (``launch``) and how to turn what the CLI
prints into :data:`AdapterEvent` values (``StreamParser``), without any I/O of its own: the runner
feeds it lines and sends what comes out. The shell adapter is the exception: it runs in a PTY and
its bytes go to the terminal unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from ...protocol import messages as m
from ...protocol.enums import AgentType, CommandStatus, CompletionReason, ReportStatus, StreamType


@dataclass(frozen=True, slots=True)
class Output:
    """Text for the terminal view (may contain ANSI colour), with the CLI line it came from."""

    text: str
    raw: str | None = None
    stream: StreamType = StreamType.STDOUT


@dataclass(frozen=True, slots=True)
class Trace:
    """A TraceEntry created or updated (same id again = update)."""

    node: m.TraceNode


@dataclass(frozen=True, slots=True)
class UsageSoFar:
    """The command's running token count (cumulative, not a delta)."""

    usage: m.Usage


@dataclass(frozen=True, slots=True)
class Report:
    report_id: uuid.UUID
    title: str
    summary: str
    status: ReportStatus
    content: m.ReportContent


@dataclass(frozen=True, slots=True)
class Final:
    """The CLI's own verdict on the command (its final event, or the end of its stream)."""

    status: CommandStatus
    error: str | None = None
    reason: CompletionReason | None = None
    usage: m.Usage | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """The CLI told us its conversation id (to resume it on the next command)."""

    session_id: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A passing state of the run worth showing on the agent's card while it lasts (the CLI
    retrying a failed API call); ``text`` None: it is over."""

    text: str | None


@dataclass(frozen=True, slots=True)
class CliVersion:
    """The CLI said which version it is (Claude's init event)."""

    version: str


AdapterEvent = Output | Trace | UsageSoFar | Report | Final | SessionStarted | Notice | CliVersion

# A limit stop fails the command (it did not get done); any other stop cancels it.
LIMIT_STOPS = frozenset(
    {
        CompletionReason.TIME_LIMIT_EXCEEDED,
        CompletionReason.TOKEN_LIMIT_EXCEEDED,
        CompletionReason.MEMORY_LIMIT_EXCEEDED,
    }
)


@dataclass(frozen=True, slots=True)
class Stopped:
    """The runner stopped the CLI: a cancel, the emergency stop, a limit, the agent stopping."""

    reason: CompletionReason
    message: str | None = None

    @property
    def status(self) -> CommandStatus:
        return CommandStatus.FAILED if self.reason in LIMIT_STOPS else CommandStatus.CANCELLED


class StreamParser(Protocol):
    def feed_line(self, line: str) -> list[AdapterEvent]:
        """One line of the CLI's stdout, without its newline."""
        ...

    def feed_stderr(self, line: str) -> list[AdapterEvent]:
        """One line of the CLI's stderr, without its newline (its notes, warnings, traces)."""
        ...

    def note_stop(self) -> None:
        """The runner began stopping the CLI (a cancel, a limit): what runs now is interrupted."""
        ...

    def finish(
        self, exit_code: int | None, stderr_tail: str = "", stopped: Stopped | None = None
    ) -> list[AdapterEvent]:
        """The CLI exited (``exit_code`` None: killed), ``stopped`` when the runner stopped it.

        Must end with exactly one :class:`Final`; a stopped run's Final has the stop's status,
        reason and message, whatever the CLI printed on its way out.
        """
        ...


@dataclass(slots=True)
class LaunchSpec:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the agent's environment
    stdin_text: str | None = None  # written to the CLI's stdin, then closed


class Adapter(Protocol):
    agent_type: AgentType

    def launch(
        self, request: m.CommandRequest, *, cli: str, extra_args: list[str], session_id: str | None
    ) -> LaunchSpec:
        """How to start the CLI for this command, continuing ``session_id`` when given."""
        ...

    def interactive_argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        """The CLI's own full-screen interface (``--interactive``), opened on ``prompt``."""
        ...

    def parser(self, request: m.CommandRequest, *, started_at_ms: int) -> StreamParser:
        """A fresh parser for one run of the CLI."""
        ...
