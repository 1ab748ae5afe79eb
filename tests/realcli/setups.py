"""How each real CLI is set up to talk to its mock model server, as a user would configure it.

Everything a CLI keeps (settings, sessions, caches) goes to a home folder of the test's own; the
agent passes its environment on to the CLI. Each CLI's retries are made short through its own
settings so the error scenarios take seconds, and its tools run without asking (headless).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clis import PACKAGES, CliPackage
from .mock_anthropic import AnthropicMock
from .mock_base import MockModelServer, ToolCall, Usage
from .mock_gemini import GeminiMock
from .mock_openai import OpenAIMock

CODEX_MODEL = "gpt-5.5"  # a model the price table knows (its cost is an estimate from the table)
CLAUDE_RETRIES = 2
GEMINI_ATTEMPTS = 2
CODEX_REQUEST_RETRIES = 1


@dataclass(frozen=True, slots=True)
class CliUnderTest:
    package: CliPackage
    version: str
    binary: Path

    @property
    def cli(self) -> str:
        return self.package.cli

    @property
    def id(self) -> str:
        return f"{self.cli}@{self.version}"

    def mock(self) -> MockModelServer:
        return {"claude": AnthropicMock, "codex": OpenAIMock, "gemini": GeminiMock}[self.cli]()

    # --- the agent's command line and environment ----------------------------------------------

    def agent_args(self, mock: MockModelServer) -> list[str]:
        args = ["--cli", str(self.binary)]
        for arg in self._cli_args(mock):
            args.append(f"--cli-arg={arg}")
        return args

    def _cli_args(self, mock: MockModelServer) -> list[str]:
        if self.cli == "claude":
            # Root may not --dangerously-skip-permissions; allowing the tools is what a user
            # running headless does.
            return ["--allowedTools", "Bash,Read"]
        if self.cli == "codex":
            provider = (
                f'model_providers.mock={{name="mock", base_url="{mock.url}/v1", '
                f'wire_api="responses", env_key="MOCK_API_KEY", '
                f"request_max_retries={CODEX_REQUEST_RETRIES}, stream_max_retries=0}}"
            )
            return ["-c", provider, "-c", "model_provider=mock", "-c", f'model="{CODEX_MODEL}"']
        return ["--approval-mode", "yolo"]

    def env(self, mock: MockModelServer, home: Path) -> dict[str, str]:
        env = {"HOME": str(home)}
        if self.cli == "claude":
            env.update(
                ANTHROPIC_BASE_URL=mock.url,
                ANTHROPIC_API_KEY="sk-ant-mock",
                DISABLE_TELEMETRY="1",
                DISABLE_AUTOUPDATER="1",
                DISABLE_ERROR_REPORTING="1",
                CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
                CLAUDE_CODE_MAX_RETRIES=str(CLAUDE_RETRIES),
            )
        elif self.cli == "codex":
            env.update(CODEX_HOME=str(home / ".codex"), MOCK_API_KEY="sk-mock")
            (home / ".codex").mkdir(parents=True, exist_ok=True)
        else:
            env.update(GEMINI_API_KEY="mock-key", GOOGLE_GEMINI_BASE_URL=mock.url)
        return env

    def prepare_home(self, home: Path, trusted: list[Path]) -> None:
        home.mkdir(parents=True, exist_ok=True)
        if self.cli == "gemini":
            folder = home / ".gemini"
            folder.mkdir(exist_ok=True)
            settings: dict[str, Any] = {
                "general": {"maxAttempts": GEMINI_ATTEMPTS},
                "security": {
                    "auth": {"selectedType": "gemini-api-key"},
                    "folderTrust": {"enabled": True},
                },
            }
            (folder / "settings.json").write_text(json.dumps(settings))
            trust = {str(p): "TRUST_FOLDER" for p in trusted}
            (folder / "trustedFolders.json").write_text(json.dumps(trust))

    # --- what a scenario scripts ---------------------------------------------------------------

    def shell_call(self, command: str) -> ToolCall:
        """The model asks to run ``command`` with the CLI's own shell tool."""
        if self.cli == "claude":
            return ToolCall("Bash", {"command": command, "description": "run it"})
        if self.cli == "codex":
            return ToolCall("exec_command", {"cmd": command})
        return ToolCall("run_shell_command", {"command": command, "description": "run it"})

    def shell_node_name(self) -> str:
        return {"claude": "Bash", "codex": "shell", "gemini": "run_shell_command"}[self.cli]

    def counted(self, usage: Usage) -> tuple[int, int, int, int]:
        """(input incl. cached, output, cached, total) as the app counts what the mock served."""
        prompt = usage.input + usage.cache_read + usage.cache_write
        output = usage.output + (usage.reasoning if self.cli == "gemini" else 0)
        return prompt, output, usage.cache_read, prompt + output


def workspace(root: Path) -> Path:
    """A project folder, a git repository as a user's would be (Codex wants one)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "notes.txt").write_text("the project's notes\n")
    return root


def packages() -> list[CliPackage]:
    return list(PACKAGES.values())
