"""How to start our own programs, from a pip install or from a frozen bundle (Qt-free, a leaf).

In a pip install ``sys.executable`` is Python, so ``onsembl-agent`` is ``python -m
onsembl_desktop.agent``. In a frozen bundle (PyInstaller) ``sys.executable`` is the bundle's own
``onsembl`` or ``onsembl-agent`` binary; both sit side by side and share one set of libraries.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

# ``onsembl-agent``'s exit status for what retrying cannot fix: bad arguments or configuration
# (argparse's usage errors are 2 too), or the app refused it for good (FORBIDDEN name or token,
# protocol, pinned certificate). The app's supervisor does not restart an agent that exits so.
FATAL_EXIT = 2

AGENT_MODULE = "onsembl_desktop.agent"
APP_MODULE = "onsembl_desktop"
_EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


def is_frozen() -> bool:
    """True when running from a frozen bundle rather than a Python installation."""
    return bool(getattr(sys, "frozen", False))


def bundled_executable(name: str) -> Path:
    """The bundle's executable called ``name`` (``onsembl`` or ``onsembl-agent``)."""
    return Path(sys.executable).resolve().with_name(name + _EXE_SUFFIX)


def agent_command() -> list[str]:
    """The argv prefix that runs ``onsembl-agent``; append the agent's own arguments."""
    if is_frozen():
        appimage = running_appimage()
        if appimage is not None:
            # Not the binary inside the AppImage's mount: that goes away when the app exits, and
            # an agent outlives the app. The AppImage itself mounts afresh for each agent.
            return [str(appimage), "-m", AGENT_MODULE]
        return [str(bundled_executable("onsembl-agent"))]
    return [sys.executable, "-m", AGENT_MODULE]


def running_appimage() -> Path | None:
    """The ``.AppImage`` file this frozen process runs from, if it runs from one."""
    appimage, appdir = os.environ.get("APPIMAGE"), os.environ.get("APPDIR")
    if not (is_frozen() and appimage and appdir and Path(appimage).is_file()):
        return None
    if not Path(sys.executable).resolve().is_relative_to(Path(appdir).resolve()):
        return None  # variables inherited from some other AppImage
    return Path(appimage)


def app_command() -> list[str]:
    """The argv prefix that runs ``onsembl`` (the app and its ``ctl``/``token`` subcommands)."""
    if is_frozen():
        return [str(bundled_executable("onsembl"))]
    return [sys.executable, "-m", APP_MODULE]


def strip_module_flag(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """Split ``[prog, "-m", MODULE, *rest]`` into ``(MODULE, [prog, *rest])``.

    A frozen binary has no interpreter to take ``-m``; the bundle's entry points accept it anyway,
    so code that still runs ``sys.executable -m onsembl_desktop.agent`` keeps working frozen.
    """
    if len(argv) >= 3 and argv[1] == "-m":
        return argv[2], [argv[0], *argv[3:]]
    return None, list(argv)


def frozen_main(default_module: str, *also: str) -> int:
    """Entry point of a bundle executable: run ``default_module`` as ``__main__``, or, given
    ``-m MODULE``, that module if it is ``default_module`` or one of ``also``.

    Modules are run by name (runpy), so this leaf imports none of the programs it starts.
    """
    module, sys.argv = strip_module_flag(sys.argv)
    module = module or default_module
    if module not in (default_module, *also):
        print(f"{Path(sys.argv[0]).name}: cannot run module {module!r}", file=sys.stderr)
        return 2
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=False)
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0
