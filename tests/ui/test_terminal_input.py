"""A real interactive shell agent in the window: its program gets the keys (the app keeps a few),
the mouse when it asks, bracketed pastes, focus events and answers to its queries; and every size
the view takes reaches the program, then the engine, from a tab or a split pane, even when set
while hidden or to a new connection."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from onsembl_desktop.core.state import AgentInfo
from onsembl_desktop.protocol.enums import AgentStatus
from onsembl_desktop.ui.terminal_views.terminal_view import TerminalView
from tests.ui.conftest import Ui, UiRun, until

Mod = Qt.KeyboardModifier


async def open_session(ui: Ui, name: str = "tty") -> tuple[AgentInfo, TerminalView]:
    w = ui.window
    ui.start_agent(name, "shell", "--interactive", SHELL="/bin/sh")
    (agent,) = await ui.online(name)
    w.open_terminal(agent.id)
    view = w.terminals.panels[agent.id].view
    w.send(w.command_bar.request("echo session-open"))
    term = w.hub.get(agent.id).terminal
    await until(lambda: "session-open" in screen(term).replace("echo session-open", ""))
    view.setFocus()
    return agent, view


def screen(term: object) -> str:
    return "\n".join(term.history_text() + term.display())  # type: ignore[attr-defined]


def typed(view: TerminalView, text: str) -> None:
    QTest.keyClicks(view, text)
    QTest.keyClick(view, Qt.Key.Key_Return)


async def prompt(term: object) -> None:
    """The shell is back at its prompt (keys typed before it would be lost to a ^C's flush)."""

    def at_prompt() -> bool:
        _, y = term.cursor  # type: ignore[attr-defined]
        return term.display()[y].rstrip() in ("#", "$")  # type: ignore[attr-defined]

    await until(at_prompt)


def test_keys_mouse_paste_and_focus_reach_the_program(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        agent, view = await open_session(ui)
        term = view.terminal
        # The app's own Ctrl+L (focus the command bar), F1 (shortcuts) and Ctrl+F (find) go to
        # the program while it takes the keys: cat -v shows what it got.
        typed(view, "cat -v")
        await until(lambda: "cat -v" in screen(term))
        QTest.keyClick(view, Qt.Key.Key_L, Mod.ControlModifier)
        QTest.keyClick(view, Qt.Key.Key_F1)
        QTest.keyClick(view, Qt.Key.Key_F, Mod.ControlModifier)
        QTest.keyClick(view, Qt.Key.Key_Up, Mod.ControlModifier)
        QTest.keyClick(view, Qt.Key.Key_A, Mod.AltModifier)
        QTest.keyClick(view, Qt.Key.Key_Return)
        await until(lambda: "^L^[OP^F^[[1;5A^[a" in screen(term).replace("\n", ""))
        assert view.hasFocus()  # Ctrl+L did not move it to the command bar
        panel = w.terminals.panels[agent.id]  # type: ignore[attr-defined]
        assert not panel.find_bar.isVisible()
        # A key in the app's list still does the app's thing: Ctrl+PgDown leaves this tab.
        before = w.terminals.tabs.currentIndex()
        QTest.keyClick(view, Qt.Key.Key_PageDown, Mod.ControlModifier)
        assert w.terminals.tabs.currentIndex() != before
        w.open_terminal(agent.id)  # type: ignore[attr-defined]
        view.setFocus()
        QTest.keyClick(view, Qt.Key.Key_C, Mod.ControlModifier)  # ends cat
        await prompt(term)

        # The mouse, once the program asks for it (SGR encoding): a click is reported.
        typed(view, r"printf '\033[?1000h\033[?1006h'; cat -v")
        await until(lambda: term.mouse_mode == 1000 and term.mouse_encoding == 1006)
        vp = view.viewport()
        point = QPoint(view.cell_w * 4 + 1, view.cell_h * 2 + 1)
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, pos=point)
        await until(lambda: "^[[<0;5;" in screen(term))
        # Shift+click selects, as in other terminals, and reports nothing.
        count = screen(term).count("^[[<0;")
        end = QPoint(view.cell_w * 6, 1)
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Mod.ShiftModifier, QPoint(1, 1))
        QTest.mouseMove(vp, end)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Mod.ShiftModifier, end)
        assert view.has_selection()
        assert screen(term).count("^[[<0;") == count
        QTest.keyClick(view, Qt.Key.Key_C, Mod.ControlModifier | Mod.ShiftModifier)  # copies
        assert view.has_selection()
        QTest.keyClick(view, Qt.Key.Key_C, Mod.ControlModifier)  # with a selection: copies it
        assert not view.has_selection()
        QTest.keyClick(view, Qt.Key.Key_C, Mod.ControlModifier)  # then: ^C to the program
        await prompt(term)
        typed(view, r"printf '\033[?1000l\033[?2004h\033[?1004h'; cat -v")
        await until(lambda: term.bracketed_paste and term.focus_events and not term.mouse_mode)

        # A paste is bracketed; a pasted end marker cannot end the bracket early.
        view.paste("one\x1b[201~two")
        await until(lambda: "^[[200~one[201~two^[[201~" in screen(term).replace("\n", ""))
        # Focus out and in are reported.
        w.command_bar.edit.setFocus()
        await until(lambda: "^[[O" in screen(term))
        view.setFocus()
        await until(lambda: "^[[I" in screen(term))
        QTest.keyClick(view, Qt.Key.Key_C, Mod.ControlModifier)
        await prompt(term)

        # A program's query is answered into its input, as a terminal does (vim asks for the
        # background colour, fish for the device attributes)...
        hub_term = w.hub.get(agent.id)
        answers: list[str] = []
        answer = hub_term.answer
        assert answer is not None
        hub_term.answer = lambda a, text: (answers.append(text), answer(a, text))[1]
        typed(
            view,
            r"stty -icanon -echo; printf '\033[c'; dd bs=1 count=9 2>/dev/null | tr '\033' E;"
            " echo; stty icanon echo",
        )
        await until(lambda: "E[?62;22c" in screen(term))
        assert answers == ["\x1b[?62;22c"]
        await prompt(term)
        # ...but not when a rebuild replays stored output.
        await w.hub.rebuild(agent.id)
        hub_term.catch_up()
        assert answers == ["\x1b[?62;22c"]
        typed(view, "exit")

    ui_run(body)


def test_every_size_reaches_the_program_then_the_engine(ui_run: UiRun) -> None:
    async def body(ui: Ui) -> None:
        w = ui.window
        agent, view = await open_session(ui)
        (agent_proc,) = ui.agents
        term = view.terminal
        calls: list[tuple[tuple[int, int], tuple[int, int]]] = []
        send = w.core.terminal_resize

        def spy(agent_id: object, cols: int, rows: int) -> bool:
            calls.append(((cols, rows), (term.cols, term.rows)))  # the engine's size meanwhile
            return send(agent_id, cols, rows)  # type: ignore[arg-type]

        w.core.terminal_resize = spy  # type: ignore[method-assign]

        async def program_size() -> tuple[int, int]:
            mark = f"size-{len(calls)}-{id(calls) % 1000}"
            typed(view, f"echo {mark} $(stty size)")
            text = await until(
                lambda: next((ln for ln in screen(term).splitlines() if ln.startswith(mark)), None)
            )
            rows, cols = (int(v) for v in text.split()[1:3])
            return cols, rows

        await until(lambda: (term.cols, term.rows) == view.grid_size())
        assert await program_size() == view.grid_size()

        # Narrower and shorter: the program first, then the engine (still at the old size).
        old = (term.cols, term.rows)
        w.resize(w.width() - 200, w.height() - 150)
        await until(lambda: view.grid_size() != old and (term.cols, term.rows) == view.grid_size())
        new, engine_then = calls[-1]
        assert new == view.grid_size() and engine_then == old
        assert await program_size() == view.grid_size()

        # Resized while another page shows: the size reaches both when the terminal is back.
        w.show_page(w.page("Queue"))
        w.resize(w.width() + 120, w.height() + 60)
        await asyncio.sleep(0.3)
        w.open_terminal(agent.id)  # type: ignore[attr-defined]
        await until(lambda: (term.cols, term.rows) == view.grid_size())
        assert await program_size() == view.grid_size()

        # A new connection (the agent restarted) is told the size: its next session has it.
        ui.agents.remove(agent_proc)
        await ui.stop_agent(agent_proc)
        await until(lambda: w.core.agents.get(agent.id).status is not AgentStatus.ONLINE)
        ui.start_agent("tty", "shell", "--interactive", SHELL="/bin/sh")
        await ui.online("tty")
        w.send(w.command_bar.request("echo session-again"))
        await until(lambda: "session-again" in screen(term).replace("echo session-again", ""))
        view.setFocus()
        assert await program_size() == view.grid_size()

        # In the split view the pane decides: narrower than the tab, the engine follows it.
        w.split_with([agent.id])  # type: ignore[attr-defined]
        pane = w.terminals.split_panels[agent.id].view  # type: ignore[attr-defined]
        await until(lambda: pane.isVisible() and (term.cols, term.rows) == pane.grid_size())
        pane.setFocus()
        view = pane
        assert await program_size() == pane.grid_size()

    ui_run(body)
