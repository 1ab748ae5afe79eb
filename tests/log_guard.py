"""A test fails when something it ran logged an ERROR it did not expect (qutebrowser's way).

An error in the log is a bug or a condition the test provoked on purpose; nothing else. So every
test runs with a handler on the root logger that keeps the records of level ERROR and above,
from any thread, from the test's setup to its teardown; the guard fails the test at teardown
with each unexpected record (and its traceback). Qt's own warnings are pytest-qt's
(``qt_log_level_fail`` in pyproject.toml).

A test that provokes an error on purpose says so, and the matching records are then allowed:

* ``@pytest.mark.expected_error(r"regex", logger="onsembl.store")`` — searched in the message
  (``logger``: that logger or one below it); repeat the marker for several;
* the ``expect_errors`` fixture, for what is known only while running:
  ``expect_errors.allow(r"regex", logger=...)``; ``expect_errors.seen`` holds the records
  that matched, for the test to check they happened.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Allowed:
    pattern: re.Pattern[str]
    logger: str | None = None

    def matches(self, record: logging.LogRecord) -> bool:
        if self.logger is not None and not (
            record.name == self.logger or record.name.startswith(self.logger + ".")
        ):
            return False
        return self.pattern.search(record.getMessage()) is not None


@dataclass
class ExpectErrors:
    """What the running test expects to be logged at ERROR (see the module's docstring)."""

    allowed: list[Allowed] = field(default_factory=list)
    seen: list[logging.LogRecord] = field(default_factory=list)  # the expected ones, so far

    def allow(self, pattern: str, *, logger: str | None = None) -> None:
        self.allowed.append(Allowed(re.compile(pattern), logger))

    def expected(self, record: logging.LogRecord) -> bool:
        if any(a.matches(record) for a in self.allowed):
            self.seen.append(record)
            return True
        return False


class _Keep(logging.Handler):
    """Sorts each ERROR record as it is logged (any thread): expected, or kept for the end (an
    ``allow`` made later in the test may still take it)."""

    def __init__(self, expect: ExpectErrors) -> None:
        super().__init__(logging.ERROR)
        self.expect = expect
        self.unexpected: list[logging.LogRecord] = []
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.guard:
            if not self.expect.expected(record):
                self.unexpected.append(record)

    def left(self) -> list[logging.LogRecord]:
        with self.guard:
            return [r for r in self.unexpected if not self.expect.expected(r)]


def _describe(record: logging.LogRecord) -> str:
    text = f"{record.levelname} {record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


@pytest.fixture
def expect_errors(request: pytest.FixtureRequest) -> ExpectErrors:
    expect = ExpectErrors()
    for marker in request.node.iter_markers("expected_error"):
        expect.allow(*marker.args, **marker.kwargs)
    return expect


@pytest.fixture(autouse=True)
def log_guard(expect_errors: ExpectErrors) -> Iterator[None]:
    keep = _Keep(expect_errors)
    root = logging.getLogger()
    root.addHandler(keep)
    try:
        yield
    finally:
        root.removeHandler(keep)
    unexpected = keep.left()
    if unexpected:
        pytest.fail(
            "logged while the test ran, and not declared expected "
            "(@pytest.mark.expected_error or the expect_errors fixture):\n\n"
            + "\n\n".join(_describe(r) for r in unexpected),
            pytrace=False,
        )
