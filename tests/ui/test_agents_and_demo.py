"""The agent cards (status, activity, command, queue, tokens, CPU/memory history, filters) and
the demo agents (``onsembl --demo``), which replay packaged recordings with no CLI installed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from onsembl_desktop.demo.agents import AGENTS, DemoAgents
from onsembl_desktop.demo.standin import choose, prompt_of
from onsembl_desktop.protocol.enums import ActivityState, AgentStatus, AgentType, CommandStatus
from onsembl_desktop.ui.models.agent_model import AGENT_ROLE, STATS_ROLE
from onsembl_desktop.ui.widgets.agent_card import tokens_text
from tests.ui.conftest import Ui, UiRun, until


def _menu_action(button: object, text: str) -> object:
    return next(a for a in button.menu().actions() if a.text() == text)  # type: ignore[attr-defined]


def test_cards_show_activity_tokens_and_health_and_filter(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        panel = w.agents_panel
        ui.start_agent("sh1")
        ui.start_agent("cl1", "claude")
        sh1, cl1 = await ui.online("sh1", "cl1")
        w.command_bar.set_targets([sh1.id])
        w.command_bar.edit.setPlainText("sleep 3")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        w.command_bar.edit.setPlainText("echo next")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)

        def card(name: str) -> tuple:  # type: ignore[type-arg]
            for row in range(panel.proxy.rowCount()):
                index = panel.proxy.index(row, 0)
                if index.data(AGENT_ROLE).name == name:
                    return index.data(AGENT_ROLE), index.data(STATS_ROLE)
            raise AssertionError(name)

        await until(lambda: card("sh1")[0].activity is ActivityState.PROCESSING)
        agent, stats = card("sh1")
        assert stats.command_text == "sleep 3"
        assert agent.queue_length == 1
        assert w.windowTitle() == "Onsembl Desktop — 1 busy"
        assert "1 busy" in w.agents_label.text()
        # Heartbeats (every second here) build the CPU / memory history the graphs draw.
        await until(lambda: len(card("sh1")[1].memory) >= 2)
        assert all(m > 0 for m in card("sh1")[1].memory)
        shot = panel.list.viewport().grab()
        assert shot.width() > 200

        # Tokens and cost so far, from the claude stand-in's usage.
        w.command_bar.set_targets([cl1.id])
        w.command_bar.edit.setPlainText("say hi")
        QTest.keyClick(w.command_bar.edit, Qt.Key.Key_Return)
        await until(lambda: card("cl1")[1].tokens.total > 0)
        # A shell agent has no tokens: its card says nothing of them (it said "0 tok").
        assert tokens_text(card("sh1")[1]) == ""
        assert " tok" in tokens_text(card("cl1")[1])  # a Claude agent's real usage still shows
        panel.list.viewport().grab().save("/tmp/onsembl-shots/cards-tokens.png")

        # Filter by type, then by status.
        _menu_action(panel.type_button, "Claude").trigger()  # type: ignore[attr-defined]
        assert [panel.agent_at_row(r).name for r in range(panel.proxy.rowCount())] == ["cl1"]
        assert panel.type_button.text() == "Type: Claude"
        panel.set_filter(set(), {AgentStatus.OFFLINE})
        assert panel.proxy.rowCount() == 0 and panel.empty.isVisible()
        panel.set_filter(set(), set())
        QTest.keyClicks(panel.search, "sh")
        assert [panel.agent_at_row(r).name for r in range(panel.proxy.rowCount())] == ["sh1"]
        panel.search.clear()
        await until(lambda: card("sh1")[0].activity is ActivityState.IDLE, within=15)

    ui_run(body)


def test_demo_agents_replay_recordings(ui_run: UiRun) -> None:
    # The stand-in finds the prompt as each CLI is given it, and picks the matching recording.
    assert prompt_of("claude", ["-p", "hello", "--output-format", "stream-json"]) == "hello"
    assert prompt_of("codex", ["exec", "--json", "resume", "abc", "hi there"]) == "hi there"
    assert prompt_of("gemini", ["--output-format", "stream-json"]) is None  # from stdin
    assert choose("codex", "Please: what does test.js do?", None) == "codex-explain-test-js.jsonl"

    async def body(ui: Ui) -> None:
        w = ui.window
        demo = DemoAgents(w.core, ui.app.url, ui.token, ui.data_dir / "demo", delay_s=0.01)
        await demo.start()
        try:
            agents = await ui.online(*(name for name, _ in AGENTS), within=20)
            assert {a.type for a in agents} == {
                AgentType.CLAUDE,
                AgentType.CODEX,
                AgentType.GEMINI,
            }

            def completed() -> int:
                return sum(
                    1
                    for c in w.core.commands._commands.values()
                    if c.status is CommandStatus.COMPLETED
                )

            await until(lambda: completed() >= 3, within=30)
            claude = w.core.agents.by_name("demo-claude")
            assert claude is not None
            term = w.hub.get(claude.id)

            def shown() -> str:
                term.catch_up()  # (the frame clock feeds it a slice a frame: a busy loop lags)
                return "\n".join(term.terminal.history_text() + term.terminal.display())

            await until(lambda: "TypeScript" in shown(), within=30)  # the answer, rendered
        finally:
            await demo.stop()
        assert all(p.returncode is not None for p in demo.procs)

    ui_run(body)
