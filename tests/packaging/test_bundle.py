"""The frozen Linux bundle, built and run for real (slow: `pytest -m slow tests/packaging`).

Builds with packaging/build-linux.sh unless ONSEMBL_TEST_BUNDLE names a built dist/onsembl.
Everything from the bundle runs with no Python environment (``env -i``).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import onsembl_desktop
from onsembl_desktop.about import LICENSES_FILE, read_licences

from .conftest import PACKAGING, RESOURCES, ROOT, SOURCE_ASSETS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle"),
    pytest.mark.timeout(1800),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    given = os.environ.get("ONSEMBL_TEST_BUNDLE")
    if given:
        return Path(given)
    subprocess.run(["bash", str(PACKAGING / "build-linux.sh")], check=True, timeout=1700)
    return ROOT / "dist" / "onsembl"


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """No Python, no virtualenv: what a desktop session gives a program."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def run(
    argv: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def headless(bundle: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A headless app from the bundle; yields its data dir and the environment to talk to it."""
    data = tmp_path / "data"
    env = bare_env(tmp_path)
    proc = subprocess.Popen(
        [str(bundle / "onsembl"), "--headless", "--data-dir", str(data), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("listening on ws://")
    try:
        yield data, env
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
        proc.stdout.close()


def test_screenshot_shows_the_main_window(bundle: Path, tmp_path: Path) -> None:
    shot = tmp_path / "out.png"
    argv = [str(bundle / "onsembl"), "--data-dir", str(tmp_path / "x"), "--port", "0"]
    result = run(
        [*argv, "--screenshot", str(shot)], bare_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    )
    assert result.returncode == 0, result.stderr
    data = shot.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 500
    assert len(data) > 10_000  # a painted window, not a blank one


def test_bundled_agent_runs_a_command(
    bundle: Path, headless: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, env = headless
    agent = subprocess.Popen(
        [str(bundle / "onsembl-agent"), "--data-dir", str(data), "--name", "sh1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ctl = [str(bundle / "onsembl"), "ctl", "--data-dir", str(data)]
        for _ in range(100):
            if "ONLINE" in run([*ctl, "agents"], env).stdout:
                break
        result = run([*ctl, "send", "--agent", "sh1", "--wait", "echo frozen-$((6*7))"], env)
        assert result.returncode == 0, result.stderr
        assert "frozen-42" in result.stdout
    finally:
        agent.terminate()
        agent.wait(20)


def test_same_data_dir_as_pip(bundle: Path, tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    proc = subprocess.Popen(
        [str(bundle / "onsembl"), "--headless", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on ")
        pip = run(
            [
                sys.executable,
                "-c",
                "from onsembl_desktop.paths import default_data_dir; print(default_data_dir())",
            ],
            {**env, "PYTHONPATH": str(ROOT)},
        )
        pip_dir = Path(pip.stdout.strip())
        assert pip_dir.is_relative_to(tmp_path)
        assert (pip_dir / "endpoint.json").is_file()  # written there by the frozen app
    finally:
        proc.terminate()
        proc.wait(20)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("exe", ["onsembl", "onsembl-agent"])
def test_restart_argv_runs_the_agent(bundle: Path, tmp_path: Path, exe: str) -> None:
    """agent/cli.py re-execs `sys.executable -m onsembl_desktop.agent`; frozen, that still works."""
    result = run(
        [str(bundle / exe), "-m", "onsembl_desktop.agent", "--version"], bare_env(tmp_path)
    )
    assert result.stdout.strip() == f"onsembl-agent {onsembl_desktop.__version__}"


def test_bundle_contents(bundle: Path) -> None:
    internal = bundle / "_internal"
    pyside = internal / "PySide6"
    modules = {p.name.split(".")[0] for p in pyside.glob("Qt*.abi3.so")}
    assert {"QtCore", "QtGui", "QtWidgets", "QtPrintSupport"} <= modules
    assert not modules & {"QtNetwork", "QtQml", "QtQuick", "QtWebEngineCore", "QtMultimedia"}
    libs = {p.name for p in (pyside / "Qt" / "lib").iterdir()}
    assert not any(name.startswith(("libQt6Quick", "libQt6Qml", "libQt6Pdf")) for name in libs)
    assert (pyside / "Qt" / "plugins" / "iconengines").is_dir()  # the SVG icon
    resources = internal / "onsembl_desktop" / "resources"
    assert read_licences(resources / LICENSES_FILE)
    for asset in SOURCE_ASSETS:  # from the top-level resources/, through the installed package
        assert (resources / asset).read_bytes() == (RESOURCES / asset).read_bytes(), asset
    size = sum(p.lstat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size <= 150e6


def test_appdir_and_deb(bundle: Path, tmp_path: Path) -> None:
    appdir = ROOT / "build" / "packaging" / "AppDir"
    if (appdir / "AppRun").is_file():
        env = bare_env(tmp_path)
        app = run([str(appdir / "AppRun"), "--version"], env)
        assert app.stdout.startswith("onsembl ")
        agent = run([str(appdir / "AppRun"), "--version"], {**env, "ARGV0": "onsembl-agent"})
        assert agent.stdout.startswith("onsembl-agent ")
    debs = sorted((ROOT / "dist").glob("onsembl-desktop_*.deb"))
    if debs and shutil.which("dpkg-deb"):
        listing = run(["dpkg-deb", "--contents", str(debs[-1])], os.environ.copy()).stdout
        for path in (
            "./usr/bin/onsembl -> ../lib/onsembl-desktop/onsembl",
            "./usr/bin/onsembl-agent -> ../lib/onsembl-desktop/onsembl-agent",
            "./usr/share/applications/dev.onsembl.Desktop.desktop",
            "./usr/share/icons/hicolor/scalable/apps/onsembl-desktop.svg",
            "./usr/share/icons/hicolor/48x48/apps/onsembl-desktop.png",
        ):
            assert path in listing
