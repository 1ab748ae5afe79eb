"""The real CLIs from the npm registry, installed once per version in a cache outside the checkout.

``ONSEMBL_REALCLI_CACHE`` (default ``~/.cache/onsembl-desktop/realcli``) holds one folder per
``package@version``; a second run finds it and installs nothing. An install goes to a temporary
folder beside it and is renamed into place only once the binary answers ``--version`` with the
version asked for, so an interrupted or failed install never leaves a half folder that a later
run would trust; a lock file serialises concurrent runs. npm retries the registry itself
(``--fetch-retries``); a failed install is tried once more before the test fails with npm's
output.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CACHE_ENV = "ONSEMBL_REALCLI_CACHE"
INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class CliPackage:
    cli: str  # the agent type: claude, codex, gemini
    package: str
    binary: str
    pinned: tuple[str, ...]


PACKAGES = {
    "claude": CliPackage("claude", "@anthropic-ai/claude-code", "claude", ("2.1.197", "2.1.337")),
    "codex": CliPackage("codex", "@openai/codex", "codex", ("0.171.0",)),
    "gemini": CliPackage("gemini", "@google/gemini-cli", "gemini", ("0.61.0",)),
}


def cache_root() -> Path:
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "onsembl-desktop" / "realcli"
    return Path(root).expanduser()


def folder_name(package: str, version: str) -> str:
    return f"{package.replace('/', '+')}@{version}"


class InstallError(Exception):
    pass


def installed_binary(pkg: CliPackage, version: str) -> Path:
    """The CLI's binary at ``version``, installed first if the cache lacks it."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / folder_name(pkg.package, version)
    binary = target / "node_modules" / ".bin" / pkg.binary
    if _answers(binary, version):
        return binary
    with _locked(root / ".lock"):
        if _answers(binary, version):  # another run installed it meanwhile
            return binary
        errors = []
        for _attempt in range(2):
            try:
                _install(pkg, version, target)
                return binary
            except InstallError as exc:
                errors.append(str(exc))
        raise InstallError("\n\n".join(errors))


def _install(pkg: CliPackage, version: str, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        result = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(staging),
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--no-update-notifier",
                "--loglevel=error",
                "--fetch-retries=4",
                f"{pkg.package}@{version}",
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
        binary = staging / "node_modules" / ".bin" / pkg.binary
        if result.returncode != 0 or not binary.exists():
            raise InstallError(
                f"npm install {pkg.package}@{version} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        if not _answers(binary, version):
            _run_postinstall(staging, pkg)
        if not _answers(binary, version):
            raise InstallError(f"{binary} does not answer --version with {version}")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _run_postinstall(staging: Path, pkg: CliPackage) -> None:
    """A package whose binary is put in place by its install script (npm may skip scripts)."""
    folder = staging / "node_modules" / pkg.package
    manifest = json.loads((folder / "package.json").read_text())
    script = manifest.get("scripts", {}).get("postinstall")
    if script:
        subprocess.run(
            script, shell=True, cwd=folder, capture_output=True, timeout=300, check=False
        )


def _answers(binary: Path, version: str) -> bool:
    if not binary.exists():
        return False
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and version in result.stdout


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@cache
def newest_version(package: str) -> str:
    """The registry's ``latest`` tag (the newest release)."""
    result = subprocess.run(
        ["npm", "view", package, "version", "--no-update-notifier"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise InstallError(f"npm view {package} version failed: {result.stderr[-2000:]}")
    return result.stdout.strip()


def main(argv: list[str]) -> int:
    """``python -m tests.realcli.clis install``: every pinned CLI into the cache, and report."""
    if argv[1:] != ["install"]:
        print("usage: python -m tests.realcli.clis install")
        return 2
    for pkg in PACKAGES.values():
        for version in pkg.pinned:
            binary = installed_binary(pkg, version)
            print(f"{pkg.package}@{version}: {binary}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
