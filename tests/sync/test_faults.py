"""Faults: while agents stream, the connection to PostgreSQL is cut and restored again and again
(a TCP proxy that drops every connection), and the app is SIGKILLed; at the end the local and
remote rows match exactly, with nothing doubled — on the app that pushed and on one that pulled.

The default run cuts 20 times and kills twice (about 40 s); ``-m slow`` soaks longer."""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fault_proxy import FaultProxy
from tests.orchestration.conftest import FAST_RECONNECT, Orch
from tests.store.test_pg_schema import onsembl
from tests.support import AgentProcess, AppProcess, wait_for
from tests.sync.conftest import remote_rows

pytestmark = pytest.mark.postgres

# A numbered line every 5 ms, for ``seconds``.
TICKER = (
    f"{sys.executable} -u -c "
    "'import sys, time\n"
    "for i in range(1, int(sys.argv[1]) + 1):\n"
    '    print(f"line {i}", flush=True); time.sleep(0.005)\' '
)
APP_ARGS = ["--heartbeat", "1", "--grace", "30"]


@pytest.fixture
def proxy(remote_url: str) -> Iterator[FaultProxy]:
    parts = urlsplit(remote_url)
    started = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    yield started
    started.stop()


def configured(data_dir: Path, url: str) -> AppProcess:
    result = onsembl("sync", "configure", "--url", url, "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return AppProcess(data_dir, APP_ARGS).start()


def outputs_here(data_dir: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(data_dir / "onsembl.db")
    try:
        return sorted(
            con.execute(
                "SELECT id, command_id, agent_id, sequence, content, raw, timestamp "
                "FROM terminal_outputs"
            )
        )
    finally:
        con.close()


def outputs_there(url: str) -> list[tuple[Any, ...]]:
    return sorted(
        remote_rows(
            url,
            "SELECT replace(id::text, '-', ''), replace(command_id::text, '-', ''), "
            "replace(agent_id::text, '-', ''), sequence, content, raw, "
            """to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') """
            "FROM terminal_outputs",
        )
    )


def commands_here(data_dir: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(data_dir / "onsembl.db")
    try:
        return sorted(con.execute("SELECT id, status, content FROM commands"))
    finally:
        con.close()


def commands_there(url: str) -> list[tuple[Any, ...]]:
    return sorted(
        remote_rows(url, "SELECT replace(id::text, '-', ''), status, content FROM commands")
    )


def run_faults(
    tmp_path: Path, remote_url: str, proxy: FaultProxy, *, cuts: int, kills: int, lines: int
) -> None:
    url = proxy.route(remote_url)
    a = Orch(configured(tmp_path / "a", url), tmp_path)
    b = configured(tmp_path / "b", url)  # pulls through the same faults
    agents = [
        AgentProcess(
            a.app.url,
            a.app.agent_token,
            name,
            log_path=tmp_path / f"agent-{name}.log",
            extra_args=FAST_RECONNECT,
            cwd=tmp_path,
        ).start()
        for name in ("sh1", "sh2")
    ]
    try:
        a.wait_online("sh1", "sh2")
        commands = [a.send(name, TICKER + str(lines)) for name in ("sh1", "sh2")]
        rng = random.Random(8)
        kill_at = {round(cuts * (k + 1) / (kills + 1)) for k in range(kills)}
        for n in range(1, cuts + 1):
            # Every cut hits a live session: wait until it is back, then cut it mid-flight.
            wait_for(lambda: a.call("sync.status")["state"] == "online", 20, 0.05)
            time.sleep(rng.uniform(0.05, 0.5))
            proxy.cut(refuse_s=rng.uniform(0.0, 0.4))
            if n in kill_at:
                a.app.kill()  # SIGKILL, in the middle of whatever it was doing
                a.app = AppProcess(a.app.data_dir, APP_ARGS).start(port=a.app.port)
                a.wait_online("sh1", "sh2", timeout=30)
        for command_id in commands:
            assert a.wait_status(command_id, timeout=90)["status"] == "COMPLETED"
        wait_for(lambda: a.call("sync.status")["state"] == "online", 20, 0.05)
        assert a.call("sync.now", timeout=60)["state"] == "online"  # all stored before now
        with _control(b) as call:
            call("sync.now", timeout=60)

        here, there = outputs_here(a.app.data_dir), outputs_there(remote_url)
        assert here and here == there
        keys = [(r[1], r[2], r[3]) for r in there]
        assert len(keys) == len(set(keys)), "an output row was stored twice"
        assert commands_here(a.app.data_dir) == commands_there(remote_url)
        assert outputs_here(b.data_dir) == there
        assert commands_here(b.data_dir) == commands_there(remote_url)
        text = "".join(a.output(c) for c in commands)
        assert text.count("line ") == 2 * lines and f"line {lines}\r\n" in text
        assert a.app.log_path is not None
        assert a.app.log_path.read_text().count("sync offline") >= cuts  # each cut was felt
    finally:
        for agent in agents:
            agent.stop()
        a.app.stop()
        b.stop()


class _control:
    """``with _control(app) as call: call(method, **params)`` for an app not wrapped in Orch."""

    def __init__(self, app: AppProcess) -> None:
        self.orch = Orch(app, app.data_dir.parent)

    def __enter__(self) -> Any:
        return self.orch.call

    def __exit__(self, *exc: object) -> None:
        return None


def test_twenty_cuts_and_two_kills_lose_and_double_nothing(
    tmp_path: Path, remote_url: str, proxy: FaultProxy
) -> None:
    run_faults(tmp_path, remote_url, proxy, cuts=20, kills=2, lines=6000)
    assert proxy.cuts == 20


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_hundred_cuts_and_five_kills_lose_and_double_nothing(
    tmp_path: Path, remote_url: str, proxy: FaultProxy
) -> None:
    run_faults(tmp_path, remote_url, proxy, cuts=100, kills=5, lines=30000)
