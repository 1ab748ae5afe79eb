"""Which adapter drives which agent type. The shell type has none: it runs in a PTY as is."""

from __future__ import annotations

import importlib

from ...protocol.enums import AgentType
from .base import Adapter

_MODULES = {
    AgentType.CLAUDE: "claude",
    AgentType.CODEX: "codex",
    AgentType.GEMINI: "gemini",
    AgentType.ACP: "acp",
}


def adapter_for(agent_type: AgentType) -> Adapter | None:
    module_name = _MODULES.get(agent_type)
    if module_name is None:
        return None
    module = importlib.import_module(f"{__package__}.{module_name}")
    factory = getattr(module, "create", None)
    if factory is None:
        raise RuntimeError(f"adapter module {module_name} has no create() factory")
    adapter: Adapter = factory()
    return adapter
