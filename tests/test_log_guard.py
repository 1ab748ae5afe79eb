"""The guard of tests/log_guard.py and pytest-qt's qt_log_level_fail do fail a test (run in a
pytest of their own on a few throwaway tests, with this project's configuration)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = """
import logging, threading
import pytest
from PySide6.QtCore import qWarning

log = logging.getLogger("onsembl.guardtest")

def test_clean():
    log.warning("a warning is not an error")

def test_error_fails():
    log.error("disk on fire")

def test_error_in_a_thread_fails():
    t = threading.Thread(target=lambda: log.error("from a thread"))
    t.start(); t.join()

def test_exception_fails():
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("while dividing")

@pytest.mark.expected_error(r"disk on fire", logger="onsembl")
def test_marked_error_passes():
    log.error("disk on fire")

@pytest.mark.expected_error(r"disk on fire", logger="other")
def test_marker_of_another_logger_fails():
    log.error("disk on fire")

def test_fixture_allows_and_sees(expect_errors):
    expect_errors.allow("expected here")
    log.error("expected here")
    assert len(expect_errors.seen) == 1

def test_qt_warning_fails():
    qWarning("a Qt warning")

@pytest.mark.qt_log_ignore("a Qt warning")
def test_ignored_qt_warning_passes():
    qWarning("a Qt warning")
"""

CONFTEST = "from tests.log_guard import expect_errors, log_guard  # noqa: F401\n"


def test_the_guard_fails_unexpected_errors_and_qt_warnings(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_cases.py").write_text(CASES)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_cases.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcome: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and "::" in rest:
            name = rest.split("::", 1)[1].split()[0]
            outcome.setdefault(name, set()).add(word)
    bad = {n for n, words in outcome.items() if words & {"FAILED", "ERROR"}}
    good = {n for n, words in outcome.items() if words == {"PASSED"}}
    assert bad == {
        "test_error_fails",
        "test_error_in_a_thread_fails",
        "test_exception_fails",
        "test_marker_of_another_logger_fails",
        "test_qt_warning_fails",
    }, result.stdout
    assert good == {
        "test_clean",
        "test_marked_error_passes",
        "test_fixture_allows_and_sees",
        "test_ignored_qt_warning_passes",
    }, result.stdout
    assert "disk on fire" in result.stdout and "ZeroDivisionError" in result.stdout
