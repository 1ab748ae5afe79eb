"""What the agent learns of its AI CLI before the first command: its version (``CLI --version``)
and, for Codex, the model its configuration names (for cost estimates). Runs once at start-up,
off the event loop's way: a CLI that hangs or is missing only leaves the version unknown."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import tomllib
from pathlib import Path

from ..protocol import messages as m
from ..protocol.enums import AgentType

log = logging.getLogger("onsembl.agent.cli")

PROBE_TIMEOUT_S = 30.0
_VERSION = re.compile(r"\b(\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.]+)?)")
DEFAULT_BINARIES = {
    AgentType.CLAUDE: "claude",
    AgentType.CODEX: "codex",
    AgentType.GEMINI: "gemini",
}


def parse_version(text: str) -> str:
    """``2.1.337 (Claude Code)``, ``codex-cli 0.171.0``, ``0.61.0`` → the version."""
    match = _VERSION.search(text)
    return match.group(1) if match else ""


async def probe_version(agent_type: AgentType, cli: str | None) -> m.CliInfo | None:
    name = DEFAULT_BINARIES.get(agent_type)
    if name is None:
        return None
    binary = shutil.which(cli or name)
    if binary is None:
        return m.CliInfo(name=name, version="")
    try:
        proc = await asyncio.create_subprocess_exec(
            binary,
            "--version",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.info("cannot ask %s its version: %s", binary, exc)
        return m.CliInfo(name=name, version="")
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return m.CliInfo(name=name, version="")
    return m.CliInfo(name=name, version=parse_version(out.decode("utf-8", "replace")))


def codex_configured_model(env: dict[str, str] | None = None) -> str | None:
    """The ``model`` of Codex's ``config.toml`` (``$CODEX_HOME``, default ``~/.codex``)."""
    env = dict(os.environ) if env is None else env
    home = env.get("CODEX_HOME") or str(Path.home() / ".codex")
    try:
        with open(Path(home) / "config.toml", "rb") as f:
            config = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    model = config.get("model")
    return model if isinstance(model, str) and model else None
