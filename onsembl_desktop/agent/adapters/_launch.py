"""Helpers for building the CLIs' command lines."""

from __future__ import annotations

# Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well below.
MAX_ARG_BYTES = 100_000


def prompt_needs_stdin(prompt: str) -> bool:
    """Whether the prompt must go through stdin rather than argv.

    A prompt that starts with ``-`` would be read as an option by the CLI's argument parser, and
    a very long one would not fit in one argument; all three CLIs read the prompt from stdin.
    """
    return prompt.startswith("-") or len(prompt.encode("utf-8", "replace")) > MAX_ARG_BYTES
