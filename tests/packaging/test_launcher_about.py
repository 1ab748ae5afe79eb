"""launcher (how to start our programs) and about (version, licences), unfrozen and frozen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import onsembl_desktop
from onsembl_desktop import about, launcher, paths
from onsembl_desktop.cli import main as cli_main

from .conftest import load_tool


def test_agent_command_unfrozen_runs_the_agent() -> None:
    cmd = launcher.agent_command()
    assert cmd == [sys.executable, "-m", "onsembl_desktop.agent"]
    result = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"onsembl-agent {onsembl_desktop.__version__}"
    assert launcher.app_command() == [sys.executable, "-m", "onsembl_desktop"]


def test_agent_command_frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    exe = tmp_path / "onsembl"
    exe.touch()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.delenv("APPIMAGE", raising=False)
    suffix = ".exe" if sys.platform == "win32" else ""
    assert launcher.agent_command() == [str(tmp_path.resolve() / f"onsembl-agent{suffix}")]
    assert launcher.app_command() == [str(tmp_path.resolve() / f"onsembl{suffix}")]

    # Inside an AppImage the agent is started through the AppImage, which outlives the app's mount.
    image = tmp_path.parent / "Onsembl.AppImage"
    image.touch()
    monkeypatch.setenv("APPIMAGE", str(image))
    monkeypatch.setenv("APPDIR", str(tmp_path))
    assert launcher.agent_command() == [str(image), "-m", "onsembl_desktop.agent"]
    monkeypatch.setenv("APPDIR", str(tmp_path / "elsewhere"))  # another AppImage's variables
    assert launcher.agent_command()[0].endswith(f"onsembl-agent{suffix}")


def test_strip_module_flag() -> None:
    assert launcher.strip_module_flag(["x", "-m", "mod", "--a"]) == ("mod", ["x", "--a"])
    assert launcher.strip_module_flag(["x", "--a"]) == (None, ["x", "--a"])
    assert launcher.strip_module_flag(["x"]) == (None, ["x"])


@pytest.mark.parametrize(
    ("argv", "code", "out"),
    [
        (["-m", "onsembl_desktop.agent", "--version"], 0, "onsembl-agent "),
        (["--version"], 0, "onsembl "),
        (["-m", "os", "--version"], 2, ""),
    ],
)
def test_frozen_main_honours_dash_m(argv: list[str], code: int, out: str) -> None:
    """What the bundle's entry points run: the restart path's `-m onsembl_desktop.agent` works."""
    script = (
        "import sys; from onsembl_desktop.launcher import frozen_main, APP_MODULE, AGENT_MODULE;"
        f"sys.argv = ['onsembl', *{argv!r}];"
        "sys.exit(frozen_main(APP_MODULE, AGENT_MODULE))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == code, result.stderr
    assert result.stdout.startswith(out)


def test_version_is_one_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert about.__version__ == onsembl_desktop.__version__
    with pytest.raises(SystemExit):
        cli_main(["--version"])
    assert capsys.readouterr().out.strip() == f"onsembl {onsembl_desktop.__version__}"


def test_installed_licences_list_the_runtime_stack() -> None:
    licences = about.installed_licences()
    names = {lic.name.lower().replace("_", "-") for lic in licences}
    assert {"python", "pyside6-essentials", "websockets", "sqlalchemy", "msgspec"} <= names
    assert "onsembl-desktop" not in names
    assert "pytest" not in names  # test tools are not shipped
    assert all(lic.version for lic in licences)
    assert sum(1 for lic in licences if lic.licence) >= len(licences) - 2
    assert sum(1 for lic in licences if lic.text) >= len(licences) // 2


def test_bundled_licences_prefer_the_shipped_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert about.bundled_licences()  # from importlib.metadata: no file ships in a checkout
    shipped = [about.Licence("Qt", "6", "LGPL-3.0-only", "https://qt.io", "text")]
    about.write_licences(tmp_path / about.LICENSES_FILE, shipped)
    monkeypatch.setattr(about, "resources_dir", lambda: tmp_path)
    assert about.bundled_licences() == shipped


def test_build_time_licence_list_adds_the_freezer(tmp_path: Path) -> None:
    collect = load_tool("collect_licenses")
    out = tmp_path / "licences.json"
    assert collect.main([str(out)]) == 0
    items = json.loads(out.read_text())
    assert len(items) >= len(about.installed_licences())
    assert all(set(item) == {"name", "version", "licence", "url", "text"} for item in items)


def test_data_dir_does_not_depend_on_being_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONSEMBL_DATA_DIR", raising=False)
    pip = paths.default_data_dir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/somewhere/onsembl")
    assert paths.default_data_dir() == pip
    assert pip.name == "onsembl-desktop"


def test_app_icon_path_exists() -> None:
    assert about.app_icon_path().is_file()
    assert about.app_icon_path().is_relative_to(about.resources_dir())
