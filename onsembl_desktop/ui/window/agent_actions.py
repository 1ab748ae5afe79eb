"""What the user can do to agents: open, watch, send to, cancel, pause / resume, stop / restart,
add (launch a local agent), remove a local one. Used by the agents panel's context menu and the
Agents menu; every action goes through the core (audited there)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QMessageBox

from ...core.commands import CommandError
from ...core.records import LocalAgentState
from ...core.state import AgentInfo
from ...errors import KnownError
from ...protocol.enums import AgentStatus
from ..dialogs.add_agent_dialog import AddAgentDialog
from ..presentation.tasks import spawn

if TYPE_CHECKING:
    from ..main_window import MainWindow


class AgentActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.core = window.core

    @property
    def local(self) -> Any:
        """The local-agent supervisor, when the app runs one."""
        return self.core.control.local

    def agents(self, ids: list[uuid.UUID]) -> list[AgentInfo]:
        return [a for a in (self.core.agents.get(i) for i in ids) if a is not None]

    # --- menus ------------------------------------------------------------------------------------

    def fill_menu(self, menu: QMenu, ids: list[uuid.UUID]) -> None:
        w = self.window
        agents = self.agents(ids)
        if not agents:
            pending = [n for n in map(w.model.pending_name, ids) if n is not None]
            if len(pending) == 1 and len(ids) == 1:
                self.fill_pending_menu(menu, pending[0])
            return
        several = len(agents) > 1
        if not several:
            menu.addAction("Open terminal", partial(w.open_terminal, agents[0].id))
        menu.addAction(
            "Watch side by side" if several else "Add to split view", partial(w.split_with, ids)
        )
        menu.addAction(
            "Send a command to " + ("them" if several else "it"), partial(w.target_and_focus, ids)
        )
        running = [a.current_command_id for a in agents if a.current_command_id is not None]
        cancel = menu.addAction("Cancel running command", partial(self.cancel_running, agents))
        cancel.setEnabled(bool(running))
        menu.addSeparator()
        paused = [a for a in agents if a.paused]
        if paused:
            menu.addAction("Resume queue", partial(self.each, agents, self.core.control.resume))
        if len(paused) < len(agents):
            menu.addAction(
                "Pause queue (hold the running command)",
                partial(self.each, agents, self.core.control.pause),
            )
        online = [a for a in agents if a.status is AgentStatus.ONLINE]
        local = [a for a in agents if self.local is not None and self.local.is_local(a.name)]
        stop = menu.addAction(
            "Stop agent", partial(self.each_async, agents, self.core.control.stop)
        )
        stop.setEnabled(bool(online or local))
        restart = menu.addAction(
            "Restart agent", partial(self.each_async, agents, self.core.control.restart)
        )
        restart.setEnabled(bool(online or local))
        if len(local) == 1 and not several:
            name = local[0].name
            info = self.local.get(name)
            if info is not None and info.state in (LocalAgentState.STOPPED, LocalAgentState.FAILED):
                menu.addAction("Start agent", partial(self.call, self.local.start_agent, name))
            menu.addAction("Remove local agent…", partial(self.remove_local, name))
        menu.addSeparator()
        menu.addAction("Show queue", partial(w.show_queue, agents[0].id))
        menu.addAction("Show history", partial(w.history_for, agents[0].id))
        menu.addAction("Show traces", partial(w.traces_for, agents[0].id))

    def fill_pending_menu(self, menu: QMenu, name: str) -> None:
        """A local agent that has not connected yet: only its process can be acted on."""
        info = self.local.get(name) if self.local is not None else None
        if info is None:
            return
        if info.state in (LocalAgentState.STOPPED, LocalAgentState.CRASHED, LocalAgentState.FAILED):
            menu.addAction("Start agent", partial(self.call, self.local.start_agent, name))
        else:
            menu.addAction("Stop agent", partial(self.call, self.local.stop_agent, name))
            menu.addAction("Restart agent", partial(self.call, self.local.restart_agent, name))
        menu.addSeparator()
        menu.addAction("Remove local agent…", partial(self.remove_local, name))

    # --- actions ----------------------------------------------------------------------------------

    def report(self, exc: Exception) -> None:
        self.window.statusBar().showMessage(str(exc), 15_000)

    def each(self, agents: list[AgentInfo], action: Callable[[uuid.UUID], object]) -> None:
        for agent in agents:
            try:
                action(agent.id)
            except (CommandError, KnownError) as exc:
                self.report(exc)

    def each_async(
        self, agents: list[AgentInfo], action: Callable[[uuid.UUID | str], Awaitable[None]]
    ) -> None:
        for agent in agents:
            self.run(action(agent.name))

    def run(self, awaitable: Awaitable[Any]) -> None:
        async def go() -> None:
            try:
                await awaitable
            except (CommandError, KnownError) as exc:
                self.report(exc)

        spawn(go())

    def call(self, action: Callable[[str], Awaitable[Any]], name: str) -> None:
        """Run ``action(name)`` when the menu item is chosen (a coroutine made when the menu is
        filled would go unawaited if it is not)."""
        self.run(action(name))

    def cancel_running(self, agents: list[AgentInfo]) -> None:
        for agent in agents:
            if agent.current_command_id is None:
                continue
            try:
                self.core.queues.cancel(agent.current_command_id, agent.id)
            except (CommandError, KnownError) as exc:
                self.report(exc)

    def add_agent(self) -> None:
        w = self.window
        taken = {a.name for a in self.core.agents.all()}
        if self.local is not None:
            taken |= {a.spec.name for a in self.local.all()}
        dialog = AddAgentDialog(
            w.agent_command,
            taken,
            can_launch=self.local is not None,
            parent=w,
            fingerprint=w.onsembl.fingerprint if w.onsembl is not None else None,
        )

        def accepted() -> None:
            spec = dialog.spec()
            if spec is not None and self.local is not None:
                self.run(self.local.add(spec))
                w.statusBar().showMessage(f"Launching {spec.name}…", 10_000)

        w.open_dialog(dialog, accepted)

    def remove_local(self, name: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove local agent",
            f"Stop {name} and stop launching it? Its history stays.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )

        def accepted() -> None:
            if self.local is not None:
                self.run(self.local.remove(name))

        self.window.open_dialog(box, accepted)
