"""The app never passes a command through a shell: it starts processes with exec argv only. Only
the shell agent runs a shell, in its own process and its own working directory.

Checked two ways: the source of everything but the agent's executor holds no shell-spawning call,
and a Python audit hook records every process the running app starts while it launches a local
agent and runs a command through it.
"""

from __future__ import annotations

import ast
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from onsembl_desktop.core.records import LocalAgentSpec
from onsembl_desktop.protocol.enums import AgentType

from .conftest import start_app

PACKAGE = Path(__file__).resolve().parents[2] / "onsembl_desktop"
SHELLS = {"sh", "bash", "zsh", "dash", "fish", "ksh", "csh", "tcsh", "cmd", "cmd.exe", "powershell"}
SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("asyncio", "create_subprocess_shell"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def test_no_shell_spawning_calls_in_the_source() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for call in _calls(tree):
            func = call.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if (func.value.id, func.attr) in SHELL_CALLS:
                    offenders.append(f"{path.name}:{call.lineno} {func.value.id}.{func.attr}")
                if func.attr == "create_subprocess_shell":
                    offenders.append(f"{path.name}:{call.lineno} create_subprocess_shell")
            for kw in call.keywords:
                if kw.arg == "shell" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False
                ):
                    offenders.append(f"{path.name}:{call.lineno} shell=...")
    assert offenders == []


def test_only_the_agent_process_builds_a_shell_command_line() -> None:
    """``[shell, "-c", text]`` appears in two places, both inside onsembl-agent, never the app:
    the shell agent's executor (run in its --cwd) and the ACP client's ``terminal/create``, which
    runs a command line the ACP agent asked for in a folder confined to the agent's --cwd."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.List) and any(
                isinstance(e, ast.Constant) and e.value == "-c" for e in node.elts
            ):
                found.append(path.relative_to(PACKAGE).as_posix())
    assert sorted(found) == ["agent/acp_run.py", "agent/executor.py"]
    source = (PACKAGE / "agent/executor.py").read_text()
    assert 'argv = [self.settings.shell, "-c", self.request.content]' in source
    assert "await pty.start(argv, cwd=self.settings.cwd, env=env)" in source
    acp = (PACKAGE / "agent/acp_run.py").read_text()
    assert 'argv = [os.environ.get("SHELL") or "/bin/sh", "-c", command]' in acp
    assert "folder = str(self.files.resolve(cwd)) if cwd else self.cwd" in acp


_spawned: list[tuple[str, list[str]]] = []
_recording = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _recording:
        return
    if event == "subprocess.Popen":
        _spawned.append((event, [str(a) for a in (args[1] or [args[0]])]))
    elif event in ("os.system", "os.posix_spawn", "os.exec", "os.spawn", "os.startfile"):
        _spawned.append((event, [str(a) for a in args[:2]]))


@pytest.fixture
def spawned() -> Iterator[list[tuple[str, list[str]]]]:
    global _recording
    if _hook not in _HOOKS:  # audit hooks cannot be removed: add ours once per process
        sys.addaudithook(_hook)
        _HOOKS.append(_hook)
    _spawned.clear()
    _recording = True
    try:
        yield _spawned
    finally:
        _recording = False


_HOOKS: list[Any] = []


async def test_the_app_starts_agents_with_exec_argv_and_never_a_shell(
    tmp_path: Path, spawned: list[tuple[str, list[str]]]
) -> None:
    work = tmp_path / "work dir; echo injected"  # a shell would split this
    work.mkdir()
    app = await start_app(tmp_path / "data")
    try:
        assert app.core is not None and app.core.control.local is not None
        await app.core.control.local.add(
            LocalAgentSpec(name="local1", type=AgentType.SHELL, cwd=str(work))
        )
        async with asyncio.timeout(20):
            while (info := app.core.agents.by_name("local1")) is None or (  # noqa: ASYNC110
                info.status.value != "ONLINE"
            ):
                await asyncio.sleep(0.05)
        command = app.core.commands.submit("pwd; sleep 1", agent_ids=[info.id])
        # While it runs: the shell is the agent's child, in the agent's working directory.
        local = app.core.control.local.get("local1")
        assert local is not None and local.pid is not None
        agent_proc = psutil.Process(local.pid)
        async with asyncio.timeout(10):
            while not agent_proc.children(recursive=True):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        for child in agent_proc.children(recursive=True):
            assert Path(child.cwd()) == work
        async with asyncio.timeout(20):
            while not (app.core.commands.get(command.id).status.is_final):  # type: ignore[union-attr]  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await app.stop()
    assert spawned, "the audit hook saw no process start"
    for event, argv in spawned:
        assert event == "subprocess.Popen", (event, argv)
        assert Path(argv[0]).name not in SHELLS, argv
        assert "-c" not in argv[:2], argv
        assert argv[1:3] == ["-m", "onsembl_desktop.agent"], argv
        assert f"--cwd={work}" in argv or str(work) in argv  # one argument, as typed
