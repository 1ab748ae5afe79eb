"""The newest release of each CLI (npm's ``latest``), checked apart from the pinned versions: a
plain answer and a tool call through the app, and the field inventory. Its result is reported
by itself (``newest:`` lines in the run's summary), so a new release that breaks the adapter is
seen as such and not mistaken for a regression of ours."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import AppProcess

from . import inventory
from .clis import PACKAGES, installed_binary
from .conftest import Harness
from .mock_base import Reply, Usage
from .setups import CliUnderTest

pytestmark = [pytest.mark.realcli, pytest.mark.timeout(900)]


@pytest.fixture(params=sorted(PACKAGES))
def newest_harness(
    request: pytest.FixtureRequest, realapp: AppProcess, newest: dict[str, str], tmp_path: Path
) -> Iterator[Harness]:
    pkg = PACKAGES[request.param]
    version = newest[pkg.cli]
    if version in pkg.pinned:
        inventory.note(f"newest: {pkg.package} {version} is pinned (covered by the pinned runs)")
        pytest.skip(f"the newest {pkg.package}, {version}, is pinned: covered above")
    binary = installed_binary(pkg, version)
    h = Harness(realapp, CliUnderTest(pkg, version, binary), tmp_path)
    try:
        yield h
    finally:
        h.close()


def test_newest_release_answers_and_calls_a_tool(newest_harness: Harness) -> None:
    h = newest_harness
    outcome = "FAILED"
    try:
        h.start_agent()
        marker = f"newest-{uuid.uuid4().hex[:8]}"
        h.mock.script(
            Reply(
                text="Running it.",
                tools=(h.cut.shell_call(f"printf '%s\\n' {marker}"),),
                usage=Usage(input=700, output=30),
            ),
            Reply(text="Done.", usage=Usage(input=900, output=10)),
        )
        cid, view = h.run("Run the printf")
        assert view["status"] == "COMPLETED", h.debug()
        assert marker in json.dumps(h.mock.turns[-1].body)
        assert h.run_row(cid)["total_tokens"] == h.cut.counted(h.mock.served_usage())[3]
        outcome = "ok"
    finally:
        inventory.note(f"newest: {h.cut.package.package} {h.cut.version} (not pinned): {outcome}")
