"""Reattach: the app killed (SIGKILL) while several agents run long commands, and the network
between an agent and the app cut again and again. Every command completes, its output stored
exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.fault_proxy import FaultProxy
from tests.support import AgentProcess, AppProcess, wait_for

from .conftest import FAST_RECONNECT, Restarts, lines_of, stored, ticker


def test_app_killed_twice_while_three_agents_stream(
    app: AppProcess, start_agent: Callable[..., AgentProcess], restarts: Restarts
) -> None:
    names = ["r1", "r2", "r3"]
    for name in names:
        start_agent(name, extra_args=FAST_RECONNECT)
    for name in names:
        app.wait_agent(name)
    commands = {name: app.send(name, ticker(400, 0.01)) for name in names}
    wait_for(lambda: all(stored(app.data_dir, c) for c in commands.values()), 15)
    current = restarts.kill_and_restart()
    time.sleep(1.0)  # (the agents reconnect and resend; output goes on)
    current = restarts.kill_and_restart()
    for name, command_id in commands.items():
        view = current.wait_status(command_id, timeout=60)
        assert view["status"] == "COMPLETED", (name, view)
        assert lines_of(stored(current.data_dir, command_id)) == [
            f"line {i}" for i in range(1, 401)
        ]
    assert all(current.agents()[n]["status"] == "ONLINE" for n in names)


def test_network_cut_between_agent_and_app(
    app: AppProcess, start_agent: Callable[..., AgentProcess]
) -> None:
    """Through a TCP proxy that aborts every connection (RST both ways) five times, and once
    refuses reconnection for a second; the app and agent both live on."""
    host, port = app.url.removeprefix("ws://").rsplit(":", 1)
    proxy = FaultProxy(host, int(port)).start()
    try:
        agent = AgentProcess(
            proxy.ws_url,
            app.agent_token,
            "cut1",
            extra_args=FAST_RECONNECT,
            log_path=app.data_dir.parent / "cut1.log",
        ).start()
        try:
            app.wait_agent("cut1")
            command_id = app.send("cut1", ticker(500, 0.01))
            for i in range(5):
                wait_for(lambda n=i: len(stored(app.data_dir, command_id)) > 20 * (n + 1), 20)
                assert proxy.cut(refuse_s=1.0 if i == 2 else 0.0) >= 1
            view = app.wait_status(command_id, timeout=60)
            assert view["status"] == "COMPLETED", view
            assert lines_of(stored(app.data_dir, command_id)) == [
                f"line {i}" for i in range(1, 501)
            ]
            assert proxy.connections >= 6
            app.wait_agent("cut1")
        finally:
            agent.stop()
    finally:
        proxy.stop()
