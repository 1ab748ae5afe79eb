"""How each CLI's own interface is started for an interactive session (``--interactive``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onsembl_desktop.agent.adapters.registry import adapter_for
from onsembl_desktop.agent.executor import AgentSettings
from onsembl_desktop.agent.interactive import session_argv
from onsembl_desktop.protocol.enums import AgentType

STANDINS = Path(__file__).resolve().parents[1] / "standins"


def _argv(
    kind: AgentType, content: str, session: str | None = None
) -> tuple[list[str], str | None]:
    settings = AgentSettings(
        agent_type=kind, cwd=".", cli=str(STANDINS / "claude"), cli_args=["--x", "1"]
    )
    argv, typed = session_argv(content, settings, adapter_for(kind), session)
    return [Path(argv[0]).name, *argv[1:]], typed


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (AgentType.CLAUDE, ["--x", "1", "fix it"]),
        (AgentType.CODEX, ["--x", "1", "fix it"]),
        (AgentType.GEMINI, ["--x", "1", "--prompt-interactive", "fix it"]),
    ],
)
def test_the_prompt_is_the_first_message(kind: AgentType, expected: list[str]) -> None:
    assert _argv(kind, "  fix it \n") == (["claude", *expected], None)
    assert _argv(kind, "") == (["claude", "--x", "1"], None)  # an empty session


def test_resume_and_prompts_an_argument_cannot_carry() -> None:
    assert _argv(AgentType.CLAUDE, "go", "S1")[0] == ["claude", "--x", "1", "--resume", "S1", "go"]
    assert _argv(AgentType.CODEX, "go", "S1")[0] == ["claude", "--x", "1", "resume", "S1", "go"]
    # A leading "-" would be read as an option: it is typed in instead.
    assert _argv(AgentType.CLAUDE, "-v please") == (["claude", "--x", "1"], "-v please\r")


def test_the_shell_gets_the_text_typed_in() -> None:
    settings = AgentSettings(agent_type=AgentType.SHELL, cwd=".", shell="sh", cli_args=["-i"])
    argv, typed = session_argv("echo hi", settings, None, None)
    assert argv == [shutil.which("sh"), "-i"] and typed == "echo hi\r"


def test_a_missing_program_is_not_found() -> None:
    settings = AgentSettings(agent_type=AgentType.CLAUDE, cwd=".", cli="/nonexistent")
    with pytest.raises(FileNotFoundError):
        session_argv("x", settings, adapter_for(AgentType.CLAUDE), None)
