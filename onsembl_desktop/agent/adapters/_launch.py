"""What the three CLI adapters share: building the launch from the prompt, and the parser."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from ...protocol import messages as m
from ...protocol.enums import AgentType
from ._parser import CliParser
from .base import LaunchSpec, StreamParser
from .reports import report_prompt, with_reports

# Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well below.
MAX_ARG_BYTES = 100_000


def prompt_needs_stdin(prompt: str) -> bool:
    """Whether the prompt must go through stdin rather than argv.

    A prompt that starts with ``-`` would be read as an option by the CLI's argument parser, and
    a very long one would not fit in one argument; all three CLIs read the prompt from stdin.
    """
    return prompt.startswith("-") or len(prompt.encode("utf-8", "replace")) > MAX_ARG_BYTES


class CliAdapter(ABC):
    """An :class:`~.base.Adapter` for a CLI that prints JSON lines on a pipe."""

    agent_type: AgentType
    parser_class: ClassVar[type[CliParser]]

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock  # injectable so tests control the trace's timestamps

    def launch(
        self, request: m.CommandRequest, *, cli: str, extra_args: list[str], session_id: str | None
    ) -> LaunchSpec:
        prompt = report_prompt(request)
        stdin = prompt_needs_stdin(prompt)
        argv = self.argv(cli, None if stdin else prompt, list(extra_args), session_id)
        return LaunchSpec(argv=argv, stdin_text=prompt if stdin else None)

    @abstractmethod
    def argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        """The command line; ``prompt`` None means it is written to the CLI's stdin."""

    @abstractmethod
    def interactive_argv(
        self, cli: str, prompt: str | None, extra_args: list[str], session_id: str | None
    ) -> list[str]:
        """The CLI's interactive interface, with ``prompt`` (if any) as its first message."""

    def parser(self, request: m.CommandRequest, *, started_at_ms: int) -> StreamParser:
        return with_reports(self.new_parser(request, started_at_ms), request)

    def new_parser(self, request: m.CommandRequest, started_at_ms: int) -> CliParser:
        """The bare parser, without the report wrapper."""
        return self.parser_class(request, started_at_ms=started_at_ms, clock=self._clock)
