"""What the user can do to agents: open, watch, send to, cancel, pause / resume, stop / restart,
add (launch a local agent), remove a local one. Used by the agents panel's context menu and the
Agents menu; every action goes through the core (audited there)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from ...core.commands import CommandError
from ...core.records import LocalAgentState
from ...core.service import Core
from ...core.state import AgentInfo
from ...errors import KnownError
from ...protocol.enums import AgentStatus
from ..dialogs.add_agent_dialog import AddAgentDialog
from ..presentation.tasks import spawn
from .dialogs import OpenDialog


class AgentViews(Protocol):
    """Where an agent's menu leads (the main window shows it)."""

    def open_terminal(self, agent_id: uuid.UUID) -> None: ...
    def split_with(self, ids: list[uuid.UUID]) -> None: ...
    def target_and_focus(self, ids: list[uuid.UUID]) -> None: ...
    def show_queue(self, agent_id: uuid.UUID | None = None) -> None: ...
    def history_for(self, agent_id: uuid.UUID) -> None: ...
    def traces_for(self, agent_id: uuid.UUID) -> None: ...


class AgentActions(QObject):
    def __init__(
        self,
        core: Core,
        views: AgentViews,
        *,
        parent: QWidget,
        pending_name: Callable[[uuid.UUID], str | None],
        open_dialog: OpenDialog,
        report: Callable[[str, int], None],
        agent_command: str,
        fingerprint: str | None,
    ) -> None:
        super().__init__(parent)
        self.core = core
        self.views = views
        self.parent_widget = parent  # dialogs' parent
        self.pending_name = pending_name  # a local agent's name for its not-yet-connected row
        self.open_dialog = open_dialog
        self.show_message = report  # a message in the status bar for so many ms
        self.agent_command = agent_command
        self.fingerprint = fingerprint  # the gateway's TLS certificate, when it serves TLS

    @property
    def local(self) -> Any:
        """The local-agent supervisor, when the app runs one."""
        return self.core.control.local

    def agents(self, ids: list[uuid.UUID]) -> list[AgentInfo]:
        return [a for a in (self.core.agents.get(i) for i in ids) if a is not None]

    # --- menus ------------------------------------------------------------------------------------

    def fill_menu(self, menu: QMenu, ids: list[uuid.UUID]) -> None:
        v = self.views
        agents = self.agents(ids)
        if not agents:
            pending = [n for n in map(self.pending_name, ids) if n is not None]
            if len(pending) == 1 and len(ids) == 1:
                self.fill_pending_menu(menu, pending[0])
            return
        several = len(agents) > 1
        if not several:
            menu.addAction("Open terminal", partial(v.open_terminal, agents[0].id))
        menu.addAction(
            "Watch side by side" if several else "Add to split view", partial(v.split_with, ids)
        )
        menu.addAction(
            "Send a command to " + ("them" if several else "it"), partial(v.target_and_focus, ids)
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
        menu.addAction("Show queue", partial(v.show_queue, agents[0].id))
        menu.addAction("Show history", partial(v.history_for, agents[0].id))
        menu.addAction("Show traces", partial(v.traces_for, agents[0].id))

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
        self.show_message(str(exc), 15_000)

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
        taken = {a.name for a in self.core.agents.all()}
        if self.local is not None:
            taken |= {a.spec.name for a in self.local.all()}
        dialog = AddAgentDialog(
            self.agent_command,
            taken,
            can_launch=self.local is not None,
            parent=self.parent_widget,
            fingerprint=self.fingerprint,
        )

        def accepted() -> None:
            spec = dialog.spec()
            if spec is not None and self.local is not None:
                self.run(self.local.add(spec))
                self.show_message(f"Launching {spec.name}…", 10_000)

        self.open_dialog(dialog, accepted)

    def remove_local(self, name: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove local agent",
            f"Stop {name} and stop launching it? Its history stays.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.parent_widget,
        )

        def accepted() -> None:
            if self.local is not None:
                self.run(self.local.remove(name))

        self.open_dialog(box, accepted)
