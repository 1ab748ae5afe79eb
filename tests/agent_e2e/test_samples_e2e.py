"""Acceptance, end to end: every real recorded sample, replayed by a stand-in CLI through a real
agent connected to a real headless app, as the app's database then holds it.

One app and two agents per CLI serve all samples (each agent replays the sample named by the
command's text); the expectations are part 1's, computed from the sample JSON alone
(``tests/agent_adapters/samples.py``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onsembl_desktop.ctl.client import ControlClient
from tests.agent_adapters.samples import CLIS, STREAMS, cli_of, expect, real_samples, sample_id
from tests.support import AgentProcess, AppProcess

from .e2e import Db, control, flat, send, standin, wait_final

SAMPLES = real_samples()
AGENTS_PER_CLI = 2
pytestmark = pytest.mark.skipif(
    not SAMPLES, reason=f"no recorded samples at {STREAMS} (set ONSEMBL_AGENT_STREAMS)"
)


@dataclass(frozen=True)
class Replayed:
    db: Db
    commands: dict[Path, uuid.UUID]
    statuses: dict[uuid.UUID, str]


def _assign(samples: list[Path]) -> dict[Path, str]:
    """Spread each CLI's samples over its agents; two samples of one conversation go to different
    agents, because an agent counts a resumed Codex thread's tokens from where it last saw it."""
    assigned: dict[Path, str] = {}
    seen: dict[str, set[str | None]] = {}
    load: dict[str, int] = {}
    for path in samples:
        cli = cli_of(path)
        session = expect(path).session_id
        names = [f"{cli}-{i}" for i in range(1, AGENTS_PER_CLI + 1)]
        free = [n for n in names if session is None or session not in seen.get(n, set())]
        name = min(free or names, key=lambda n: load.get(n, 0))
        assigned[path] = name
        seen.setdefault(name, set()).add(session)
        load[name] = load.get(name, 0) + 1
    return assigned


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    root = tmp_path_factory.mktemp("samples")
    (root / "data").mkdir()
    app = AppProcess(root / "data", ["--heartbeat", "1"]).start()
    agents: list[AgentProcess] = []
    try:
        for cli in CLIS:
            for i in range(1, AGENTS_PER_CLI + 1):
                name = f"{cli}-{i}"
                agents.append(
                    AgentProcess(
                        app.url,
                        app.agent_token,
                        name,
                        cli,
                        log_path=root / f"{name}.log",
                        **standin(cli, mode="prompt-sample"),
                    ).start()
                )
        for agent in agents:
            app.wait_agent(agent.name)
        assignment = _assign(SAMPLES)

        async def send_all(client: ControlClient) -> dict[Path, uuid.UUID]:
            return {p: await send(client, name, str(p)) for p, name in assignment.items()}

        commands = control(app, send_all)
        db = Db(app)
        statuses = wait_final(db, list(commands.values()), timeout=45)
        yield Replayed(db, commands, statuses)
    finally:
        for agent in agents:
            agent.stop()
        app.stop()


params = pytest.mark.parametrize("path", SAMPLES, ids=[sample_id(p) for p in SAMPLES])


@params
def test_one_tool_call_per_tool_use_each_with_its_result(replayed: Replayed, path: Path) -> None:
    command_id = replayed.commands[path]
    exp = expect(path)
    nodes = replayed.db.traces(command_id)
    calls = {uuid.UUID(n["id"]): n for n in nodes if n["type"] == "TOOL_CALL"}
    scope = uuid.UUID(replayed.db.run(command_id)["id"])  # the run's (COMMAND_REQUEST.runId)
    expected = {uuid.uuid5(scope, f"tool:{key}"): key for key in exp.tool_ids}
    assert set(calls) == set(expected)
    for node_id, key in expected.items():
        node = calls[node_id]
        if key in exp.with_result:
            assert node["completed_at"] is not None, key
            assert json.loads(node["content"]).get("result") is not None, key
        else:
            assert node["error"], f"{key} has no result in the sample"
    ids = {n["id"] for n in nodes}
    roots = [n for n in nodes if n["parent_id"] is None]
    assert len(roots) == 1 and all(n["parent_id"] in ids for n in nodes if n is not roots[0])


@params
def test_token_totals_are_the_samples_own(replayed: Replayed, path: Path) -> None:
    run = replayed.db.run(replayed.commands[path])
    exp = expect(path)
    got = (run["input_tokens"], run["output_tokens"], run["cached_tokens"], run["total_tokens"])
    assert got == (exp.usage or (0, 0, 0, 0))
    if exp.cost is not None:
        assert run["cost_usd"] == pytest.approx(exp.cost)


@params
def test_final_answer_and_status(replayed: Replayed, path: Path) -> None:
    command_id = replayed.commands[path]
    exp = expect(path)
    run = replayed.db.run(command_id)
    assert replayed.statuses[command_id] == run["status"] == exp.status.value
    if exp.final_text:
        assert flat(exp.final_text) in flat(replayed.db.output(command_id))
    if exp.status.value == "FAILED":
        assert run["error"]
        if exp.error:
            assert flat(exp.error) in flat(run["error"])
    if exp.session_id:
        assert run["session_id"] == exp.session_id
