"""Interactive mode (``onsembl-agent --interactive``): the CLI's own full-screen interface in a PTY.

A session is a command. When the app sends a COMMAND_REQUEST to an interactive agent, the agent
starts the CLI (or, for the shell type, the shell itself) in a pseudo-terminal and keeps it running
as that command until the program exits or the command is cancelled or stopped. Everything it
prints is TERMINAL_OUTPUT of that command, so the app stores it, shows it and rebuilds it like any
other command's output; TERMINAL_INPUT from the app is written to the PTY and TERMINAL_RESIZE
resizes it (the kernel then sends SIGWINCH). The command's text opens the session: an AI CLI gets it
as its initial prompt argument (as ``claude "…"``, ``codex "…"``, ``gemini -i "…"`` do); a shell
gets it typed in, followed by Enter. Limits, cancel and the emergency stop apply unchanged.

This needs nothing new in the protocol or the core: the app's queue already runs one command per
agent at a time, so later commands wait until the session ends.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..protocol import messages as m
from .adapters import base as ab
from .adapters._launch import prompt_needs_stdin
from .process import PtyProcess

if TYPE_CHECKING:
    from .executor import AgentSettings


def session_argv(
    content: str, settings: AgentSettings, adapter: ab.Adapter | None, session_id: str | None
) -> tuple[list[str], str | None]:
    """The session's command line, and what to type into it once it runs (or None)."""
    text = content.strip()
    if adapter is None:  # the shell type: --cli (default $SHELL) with --cli-args
        program = _resolve(settings.cli or settings.shell)
        return [program, *settings.cli_args], (text + "\r" if text else None)
    program = _resolve(settings.cli or settings.agent_type.value.lower())
    # A prompt an argument cannot carry (leading "-", huge) is typed in instead.
    typed = text and prompt_needs_stdin(text)
    argv = adapter.interactive_argv(
        program, None if typed or not text else text, list(settings.cli_args), session_id
    )
    return argv, (text + "\r" if typed else None)


async def start_session(
    request: m.CommandRequest,
    settings: AgentSettings,
    adapter: ab.Adapter | None,
    session_id: str | None,
    env: dict[str, str],
    on_data: Callable[[str], None],
) -> PtyProcess:
    argv, typed = session_argv(request.content, settings, adapter, session_id)
    pty = PtyProcess(on_data, settings.cols, settings.rows)
    no_fixed_size(env)
    await pty.start(argv, cwd=settings.cwd, env=env)
    if typed:
        # The terminal holds it until the program reads: no need to wait for a prompt.
        pty.write(typed)
    return pty


def no_fixed_size(env: dict[str, str]) -> None:
    """A program in a pseudo-terminal learns its size from the terminal (and SIGWINCH): exported
    COLUMNS / LINES would override that for ncurses and readline programs (htop, vim, less, as
    their ``use_env`` default says), which then never follow a resize."""
    env.pop("COLUMNS", None)
    env.pop("LINES", None)


def _resolve(program: str) -> str:
    resolved = shutil.which(program)
    if resolved is None:
        raise FileNotFoundError(2, "not found", program)
    return resolved
