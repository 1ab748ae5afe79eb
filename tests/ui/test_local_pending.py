"""A local agent the app launches has a card before it ever connects (its process state, from
the supervisor), which the real agent's card replaces when it connects."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from onsembl_desktop.core.records import LocalAgentSpec
from onsembl_desktop.core.state import AgentInfo
from onsembl_desktop.protocol.enums import AgentStatus, AgentType
from onsembl_desktop.ui.models.agent_model import AGENT_ROLE, STATS_ROLE, AgentStats
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


def start_from_menu(ui: Ui, card_id: uuid.UUID) -> list[str]:
    """Fill the card's context menu and choose Start agent; the menu's items."""
    menu = QMenu(ui.window)
    ui.window.agent_actions.fill_menu(menu, [card_id])
    next(a for a in menu.actions() if a.text() == "Start agent").trigger()
    return menu_texts(menu)


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


# The supervisor logs the refusal as an error: the user must know (and the card says it too).
@pytest.mark.expected_error(r"local agent bound2 failed", logger="onsembl.core.supervisor")
def test_a_local_agent_refused_for_good_shows_why_and_can_be_started_again(
    ui_run: UiRun,
) -> None:
    """Its name belongs to a token of its own, so ``onsembl-agent`` exits 2 (fatal): the card
    says it failed and why, in the agent's words, and offers to start it again (no restarts)."""

    async def body(ui: Ui) -> None:
        w = ui.window
        local = ui.core.control.local
        tokens = ui.app.tokens
        assert local is not None and tokens is not None
        info, _ = await tokens.create("its own", agent="bound2")
        await local.add(LocalAgentSpec(name="bound2", type=AgentType.SHELL, cwd=str(ui.tmp)))

        def failed() -> bool:
            found = cards(ui, "bound2")
            return bool(found) and found[0][1].local == "local · failed"

        await until(failed, 20)
        [(card, stats)] = cards(ui, "bound2")
        assert card.status is AgentStatus.ERROR
        assert card.error is not None and "has a token of its own" in card.error
        assert stats.pending.startswith(card.error) and "not restarted" in stats.pending
        proxy = w.agents_panel.proxy
        row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data(AGENT_ROLE) == card)
        tooltip = proxy.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
        assert f"Error: {card.error}" in tooltip
        w.agents_panel.list.viewport().grab().save(str(ui.tmp / "failed.png"))
        state = local.get("bound2")
        assert state is not None and state.restarts == 0 and state.next_restart_in_s is None

        # The user fixes the cause and starts it from its menu.
        await tokens.revoke(info.id)
        assert start_from_menu(ui, card.id) == ["Start agent", "Remove local agent…"]
        (agent,) = await ui.online("bound2", within=20)
        await until(lambda: [a.id for a, _ in cards(ui, "bound2")] == [agent.id])
        await until(lambda: cards(ui, "bound2")[0][1].local == "local")
        assert cards(ui, "bound2")[0][1].pending == ""

        # Once it has a card of its own (it connected), a failure shows there, with Start.
        again, _ = await tokens.create("its own again", agent="bound2")
        await local.restart_agent("bound2")
        await until(failed, 20)
        [(card, stats)] = cards(ui, "bound2")
        assert card.id == agent.id and card.status is AgentStatus.OFFLINE
        assert "has a token of its own" in stats.pending and "not restarted" in stats.pending
        await tokens.revoke(again.id)
        assert "Start agent" in start_from_menu(ui, card.id)
        await ui.online("bound2", within=20)
        await until(lambda: cards(ui, "bound2")[0][1].pending == "")

    ui_run(body, supervise=True)
