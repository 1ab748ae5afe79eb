"""A local agent the app launches has a card before it ever connects (its process state, from
the supervisor), which the real agent's card replaces when it connects."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from onsembl_desktop.core.records import LocalAgentSpec
from onsembl_desktop.core.state import AgentInfo
from onsembl_desktop.protocol.enums import AgentStatus, AgentType
from onsembl_desktop.ui.agent_model import AGENT_ROLE, STATS_ROLE, AgentStats
from tests.ui.conftest import Ui, UiRun, until


def cards(ui: Ui, name: str) -> list[tuple[AgentInfo, AgentStats]]:
    proxy = ui.window.agents_panel.proxy
    found = []
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        if index.data(AGENT_ROLE).name == name:
            found.append((index.data(AGENT_ROLE), index.data(STATS_ROLE)))
    return found


def menu_texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if a.text()]


def test_a_local_agent_has_a_card_until_it_connects(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        local = ui.core.control.local
        assert local is not None
        spec = LocalAgentSpec(name="later1", type=AgentType.SHELL, cwd=str(ui.tmp))
        await local.add(spec, start=False)  # added, never started: never connected
        await until(lambda: cards(ui, "later1"))
        [(pending, stats)] = cards(ui, "later1")
        assert pending.status is AgentStatus.OFFLINE and pending.type is AgentType.SHELL
        assert stats.local == "local · stopped" and "never connected" in stats.pending
        assert ui.core.agents.by_name("later1") is None  # the core does not know it yet
        assert w.model.agents() == [] and w.command_bar.targets() == ([], False)  # no target
        assert "0/1 online" in w.agents_panel.count.text()
        w.agents_panel.list.viewport().grab().save(str(ui.tmp / "pending.png"))

        # Selecting or opening it is harmless; its menu acts on the process.
        w.agents_panel.select(pending.id)
        w.open_terminal(pending.id)
        menu = QMenu(w)
        w.agent_actions.fill_menu(menu, [pending.id])
        assert menu_texts(menu) == ["Start agent", "Remove local agent…"]
        next(a for a in menu.actions() if a.text() == "Start agent").trigger()

        # It starts, connects, and its real card takes the place of the pending one.
        (agent,) = await ui.online("later1", within=20)
        await until(lambda: [a.id for a, _ in cards(ui, "later1")] == [agent.id])
        [(shown, stats)] = cards(ui, "later1")
        assert shown.status is AgentStatus.ONLINE and stats.pending == ""
        await until(lambda: cards(ui, "later1")[0][1].local == "local")
        assert [a.name for a in w.model.agents()] == ["later1"]

        # One added and removed without ever connecting leaves no card behind.
        await local.add(
            LocalAgentSpec(name="gone1", type=AgentType.CODEX, cwd=str(ui.tmp)), start=False
        )
        await until(lambda: cards(ui, "gone1"))
        menu = QMenu(w)
        w.agent_actions.fill_menu(menu, [cards(ui, "gone1")[0][0].id])
        assert "Remove local agent…" in menu_texts(menu)
        await local.remove("gone1")
        await until(lambda: not cards(ui, "gone1"))
        assert w.model.rowCount() == 1

    ui_run(body, supervise=True)
