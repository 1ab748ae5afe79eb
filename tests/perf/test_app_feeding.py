"""In the running app: a terminal nobody looks at is not emulated while the loop is busy, and
shows exactly what it would have once it is looked at; the All view meanwhile has every line."""

from __future__ import annotations

import re

import pytest

from onsembl_desktop.core.sending import SendRequest
from onsembl_desktop.protocol.enums import CommandStatus
from onsembl_desktop.terminal import Terminal
from onsembl_desktop.ui.presentation import terminals
from onsembl_desktop.ui.terminal_views import frame_clock
from tests.ui.conftest import Ui, UiRun, until

LINES = 3000
SCRIPT = (
    f"i=0; while [ $i -lt {LINES} ]; do "
    'printf "\\033[3%dmline %05d\\033[0m some text\\n" $((i % 7)) $i; i=$((i+1)); done'
)


def test_hidden_terminal_catches_up_when_shown(
    ui_run: UiRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As under load: frames never have time for engines that are not on screen.
    monkeypatch.setattr(frame_clock, "HIDDEN_MAX_S", 0.0)

    async def body(ui: Ui) -> None:
        w = ui.window
        ui.start_agent("sh1")
        (agent,) = await ui.online("sh1")
        written: list[str] = []  # everything the hub queued for the agent's engine, in order
        w.hub.taps.append(lambda a, text: written.append(text) if a == agent.id else None)
        w.show_all()  # the agent's own tab is hidden
        info = ui.core.send(SendRequest(content=SCRIPT, agents=[agent.id]))

        def done() -> bool:
            command = ui.core.commands.get(info.id)
            return command is not None and command.status is CommandStatus.COMPLETED

        await until(done, within=60)
        term = w.hub.get(agent.id)
        await until(lambda: "completed" in "".join(written))
        assert not any(term.terminal.display())  # never emulated while hidden
        assert term.backlog_chars == sum(map(len, written))

        # The All view is on screen: it has every line, in order.
        await until(lambda: not w.terminals.all.queued)
        lines = [line for a, line in w.terminals.all.lines() if a == agent.id]
        numbers = [m.group(1) for line in lines if (m := re.search(r"line (\d{5})", line))]
        assert numbers == [f"{i:05d}" for i in range(LINES)]

        w.open_terminal(agent.id)
        view = w.terminals.panels[agent.id].view
        size = view.grid_size()
        await until(lambda: not term.backlog and (term.terminal.cols, term.terminal.rows) == size)
        direct = Terminal(terminals.DEFAULT_COLS, terminals.DEFAULT_ROWS, w.settings.scrollback)
        direct.feed("".join(written))
        direct.resize(*size)  # shown, the engine takes the view's size once it has caught up
        assert term.terminal.display() == direct.display()
        assert term.terminal.history_text() == direct.history_text()
        assert [term.terminal.row_runs(y) for y in range(direct.rows)] == [
            direct.row_runs(y) for y in range(direct.rows)
        ]
        assert term.skipped_total == 0

    ui_run(body)
