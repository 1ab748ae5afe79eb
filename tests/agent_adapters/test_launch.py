"""The command lines the adapters build."""

from __future__ import annotations

import pytest

from onsembl_desktop.agent.adapters.registry import adapter_for
from onsembl_desktop.protocol.enums import AgentType, CommandType

from .samples import request

EXTRA = ["--model", "x"]


@pytest.mark.parametrize(
    ("agent_type", "session", "argv"),
    [
        (
            AgentType.CLAUDE,
            None,
            [
                "C",
                "-p",
                "P",
                "--output-format",
                "stream-json",
                "--verbose",
                "--include-partial-messages",
            ],
        ),
        (
            AgentType.CLAUDE,
            "S",
            [
                "C",
                "-p",
                "P",
                "--output-format",
                "stream-json",
                "--verbose",
                "--include-partial-messages",
                "--resume",
                "S",
            ],
        ),
        (AgentType.CODEX, None, ["C", "exec", "--json", *EXTRA, "P"]),
        (AgentType.CODEX, "S", ["C", "exec", "--json", *EXTRA, "resume", "S", "P"]),
        (AgentType.GEMINI, None, ["C", "-p", "P", "--output-format", "stream-json"]),
        (
            AgentType.GEMINI,
            "S",
            ["C", "-p", "P", "--output-format", "stream-json", "--resume", "S"],
        ),
    ],
)
def test_argv(agent_type: AgentType, session: str | None, argv: list[str]) -> None:
    adapter = adapter_for(agent_type)
    assert adapter is not None and adapter.agent_type is agent_type
    spec = adapter.launch(request("P"), cli="C", extra_args=list(EXTRA), session_id=session)
    if agent_type is not AgentType.CODEX:
        argv = [*argv, *EXTRA]  # the user's --cli-args go last where the CLI allows it
    assert spec.argv == argv
    assert spec.stdin_text is None


@pytest.mark.parametrize("agent_type", [AgentType.CLAUDE, AgentType.CODEX, AgentType.GEMINI])
@pytest.mark.parametrize("prompt", ["--help me", "x" * 200_000])
def test_prompts_that_cannot_be_arguments_go_through_stdin(
    agent_type: AgentType, prompt: str
) -> None:
    adapter = adapter_for(agent_type)
    assert adapter is not None
    spec = adapter.launch(request(prompt), cli="C", extra_args=[], session_id=None)
    assert prompt not in spec.argv
    assert spec.stdin_text == prompt
    if agent_type is AgentType.CODEX:
        assert spec.argv[-1] == "-"


def test_shell_has_no_adapter() -> None:
    assert adapter_for(AgentType.SHELL) is None


@pytest.mark.parametrize("kind", [CommandType.INVESTIGATE, CommandType.REVIEW, CommandType.PLAN])
def test_report_commands_ask_for_a_json_report(kind: CommandType) -> None:
    adapter = adapter_for(AgentType.CLAUDE)
    assert adapter is not None
    spec = adapter.launch(request("look at x", kind), cli="C", extra_args=[], session_id=None)
    prompt = spec.argv[2]
    assert prompt.startswith("look at x")
    assert "```json" in prompt and '"findings"' in prompt and '"recommendations"' in prompt
