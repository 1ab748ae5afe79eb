"""The terminals page: an "All" tab interleaving every agent, one tab per agent, and a split view.

Tabs and split panes are views over the hub's engines (one engine per agent, however many views
show it). Typing into an agent's terminal goes to the agent as TERMINAL_INPUT when it can take it
(an interactive agent, or a shell agent while a command runs in its pseudo-terminal).

Sizes: the view that shows an agent's engine (its tab, or its split pane) decides the engine's
size. Every size it takes (once the user stops dragging, and again whenever it is shown) goes to
the agent first, as TERMINAL_RESIZE (the agent sets its pseudo-terminal's size and signals the
program, and keeps the size for its next command), then to the engine, which re-flows. A size the
agent could not get (it was offline) is sent when it is back. The All view's engine takes its
view's size too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QMenu,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.service import Core
from ...core.state import AgentInfo
from ...protocol.enums import AgentStatus, AgentType
from ..presentation.all_output import AllOutput
from ..presentation.tasks import spawn
from ..presentation.terminals import TerminalHub
from ..settings import UiSettings
from ..theme import TerminalScheme, type_text_color
from ..widgets.common import tool_button
from .frame_clock import FrameClock
from .terminal_keys import combination
from .terminal_panel import TerminalPanel
from .terminal_view import TerminalView

MAX_SPLIT = 6
ALL_EMPTY = "Output of every agent appears here, each line marked by its agent"
ALL_FILTERED_EMPTY = "No output yet from the agents chosen with “Agents:” above"


def accepts_input(agent: AgentInfo) -> bool:
    """Whether keys typed into the agent's terminal can reach a program."""
    if agent.status is not AgentStatus.ONLINE:
        return False
    return agent.interactive or (
        agent.type is AgentType.SHELL and agent.current_command_id is not None
    )


def empty_text(agent: AgentInfo) -> str:
    """What an agent's terminal says before its first output."""
    if agent.status is AgentStatus.ONLINE:
        return f"No output yet from {agent.name} — send it a command from the bar below"
    state = "in error" if agent.status is AgentStatus.ERROR else agent.status.value.lower()
    return (
        f"No output yet from {agent.name} — it is {state}; commands sent now wait in its "
        "queue until it connects"
    )


class TerminalsPage(QWidget):
    agentActivated = Signal(object)  # the agent whose tab became current (uuid)

    def __init__(
        self,
        core: Core,
        hub: TerminalHub,
        clock: FrameClock,
        settings: UiSettings,
        font: QFont,
        scheme: TerminalScheme,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.core = core
        self.hub = hub
        self.clock = clock
        self.settings = settings
        self.font_ = font
        self.scheme = scheme
        self.panels: dict[uuid.UUID, TerminalPanel] = {}
        self.split_panels: dict[uuid.UUID, TerminalPanel] = {}
        self.split_agents: list[uuid.UUID] = []
        self.closed: set[uuid.UUID] = set()
        # The size each agent's terminal is shown at, and the last one the agent was sent (with
        # the connection it went to: a new connection is told again).
        self.sizes: dict[uuid.UUID, tuple[int, int]] = {}
        self.sent: dict[uuid.UUID, tuple[tuple[int, int], object]] = {}

        self.all = AllOutput(core.agents.get, max_lines=settings.scrollback)
        hub.taps.append(self.all.tap)
        self.all.listeners.append(lambda: clock.mark(self.all.terminal))
        # Output is queued as it arrives and fed by the frame clock within its budget.
        hub.feed_lazily(clock.wake)
        self.all.feed_lazily(clock.wake)
        clock.feeders += [hub, self.all]
        all_view = self._new_view(self.all.terminal)
        all_view.setAccessibleName("Output of all agents")
        all_view.set_placeholder(ALL_EMPTY)
        all_view.gridResized.connect(self._all_resized)
        self.all_panel = TerminalPanel(all_view, on_clear=self.all.clear)
        self.filter_button = tool_button("Agents: all")
        self.filter_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.filter_button.setAccessibleName("Agents shown in the All view")
        self.filter_button.setToolTip("Show only chosen agents' output in the All view")
        self.filter_menu = QMenu(self.filter_button)
        self.filter_menu.aboutToShow.connect(self._fill_filter_menu)
        self.filter_button.setMenu(self.filter_menu)
        self.all_panel.layout().itemAt(0).layout().insertWidget(0, self.filter_button)  # type: ignore[union-attr]

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setMovable(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setAccessibleName("Agent terminals")
        self.tabs.addTab(self.all_panel, "All")
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.tabCloseRequested.connect(self._close_tab)

        self.split = QWidget()
        self.split_grid = QGridLayout(self.split)
        self.split_grid.setContentsMargins(0, 0, 0, 0)
        self.split_grid.setSpacing(4)
        self.split_hint = QLabel(
            "Choose agents to watch side by side: Split view ▸ agents (or select several "
            "agents and press Ctrl+Shift+D)."
        )
        self.split_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.split_hint.setWordWrap(True)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # --- views ------------------------------------------------------------------------------------

    def _new_view(self, terminal: object) -> TerminalView:
        view = TerminalView(terminal, scheme=self.scheme, font=self.font_)  # type: ignore[arg-type]
        view.app_keys = {combination(k) for k in self.settings.terminal_app_keys}
        view.follow_width()
        self.clock.attach(view)
        return view

    def _panel_for(self, agent_id: uuid.UUID, split: bool) -> TerminalPanel:
        term = self.hub.get(agent_id)
        view = self._new_view(term.terminal)
        agent = self.core.agents.get(agent_id)
        name = agent.name if agent else str(agent_id)
        view.setAccessibleName(f"Terminal of {name}")
        view.inputText.connect(partial(self._typed, agent_id))
        view.gridResized.connect(partial(self._grid_resized, agent_id))
        panel = TerminalPanel(
            view,
            title=self._title(agent) if split else "",
            on_redraw=partial(self.redraw, agent_id),
            on_clear=partial(self.hub.clear, agent_id),
        )
        if agent is not None:
            view.input_enabled = accepts_input(agent)
            view.set_placeholder(empty_text(agent))
        return panel

    def _title(self, agent: AgentInfo | None) -> str:
        if agent is None:
            return ""
        color = type_text_color(agent.type).name()
        state = "●" if agent.status is AgentStatus.ONLINE else "○"
        return f"<b style='color:{color}'>{state} {agent.name}</b>"

    def _all_resized(self, cols: int, rows: int) -> None:
        # The interleaved lines wrap at the view's width (the engine re-flows them).
        term = self.all.terminal
        if (cols, rows) != (term.cols, term.rows):
            self.all.catch_up()
            term.resize(max(20, cols), max(5, rows))
            self.clock.mark(term)

    def _typed(self, agent_id: uuid.UUID, text: str) -> None:
        self.core.terminal_input(agent_id, text)

    def redraw(self, agent_id: uuid.UUID) -> None:
        spawn(self._redraw(agent_id))

    async def _redraw(self, agent_id: uuid.UUID) -> None:
        """Rebuild from the stored output; then a program that draws the whole screen (htop,
        vim) is asked to draw it again at the current size (the stored output was written at the
        sizes of its time)."""
        await self.hub.rebuild(agent_id)
        term = self.hub.get(agent_id).terminal
        agent = self.core.agents.get(agent_id)
        if agent is not None and accepts_input(agent):
            self.core.terminal_resize(agent_id, term.cols, term.rows)

    def _grid_resized(self, agent_id: uuid.UUID, cols: int, rows: int) -> None:
        """A view of the agent's engine, on screen, fits ``cols`` x ``rows``: the program gets
        the size first, then the engine (what came before, at the old size)."""
        agent_term = self.hub.get(agent_id)
        term = agent_term.terminal
        self.sizes[agent_id] = (cols, rows)
        self._send_size(agent_id)
        if (cols, rows) != (term.cols, term.rows):
            agent_term.catch_up()
            term.resize(cols, rows)
            self.clock.mark(term)

    def _send_size(self, agent_id: uuid.UUID) -> None:
        """Tell the agent the size its terminal is shown at, unless it has it already."""
        size = self.sizes.get(agent_id)
        agent = self.core.agents.get(agent_id)
        if size is None or agent is None or agent.status is not AgentStatus.ONLINE:
            return
        sent = (size, agent.connected_at)
        if self.sent.get(agent_id) != sent and self.core.terminal_resize(agent_id, *size):
            self.sent[agent_id] = sent

    # --- agents -----------------------------------------------------------------------------------

    def update_agent(self, agent: AgentInfo) -> None:
        if agent.status is AgentStatus.ONLINE:
            # A new connection gets the size — once the loop turns, as the agent is told of its
            # connection (AGENT_WELCOME) after this, and takes nothing before that.
            QTimer.singleShot(0, partial(self._send_size, agent.id))
        panel = self.panels.get(agent.id)
        if panel is None and agent.id not in self.closed:
            panel = self.panels[agent.id] = self._panel_for(agent.id, split=False)
            names = [self.tabs.tabText(i).lstrip("●○ ") for i in range(1, self.tabs.count())]
            index = self.tabs.insertTab(
                1 + sum(1 for n in names if n < agent.name), panel, agent.name
            )
            close = self.tabs.tabBar().tabButton(index, self.tabs.tabBar().ButtonPosition.RightSide)
            if close is not None:
                close.setAccessibleName(f"Close the terminal of {agent.name}")
                close.setToolTip(f"Close this tab (select {agent.name} to open it again)")
        for p in (panel, self.split_panels.get(agent.id)):
            if p is not None:
                p.view.input_enabled = accepts_input(agent)
                p.view.set_placeholder(empty_text(agent))
                hint = "typing goes to the agent" if p.view.input_enabled else ""
                if p.view.following:
                    p.status.setText(hint)
        split_panel = self.split_panels.get(agent.id)
        if split_panel is not None:
            split_panel.set_title(self._title(agent))
        if panel is not None:
            index = self.tabs.indexOf(panel)
            mark = "● " if agent.status is AgentStatus.ONLINE else "○ "
            self.tabs.setTabText(index, mark + agent.name)
            self.tabs.tabBar().setTabTextColor(index, type_text_color(agent.type))
            self.tabs.setTabToolTip(index, f"{agent.name} — {agent.type.value.title()} agent")

    def show_agent(self, agent_id: uuid.UUID) -> None:
        """Make the agent's tab current (reopening it if it was closed)."""
        if agent_id in self.split_panels and self.stack.currentWidget() is self.split:
            self.split_panels[agent_id].view.setFocus()
            return
        panel = self.panels.get(agent_id)
        if panel is None:
            self.closed.discard(agent_id)
            agent = self.core.agents.get(agent_id)
            if agent is None:
                return
            self.update_agent(agent)
            panel = self.panels[agent_id]
        with QSignalBlocker(self.tabs):
            self.tabs.setCurrentWidget(panel)
        self.stack.setCurrentWidget(self.tabs)

    def current_agent(self) -> uuid.UUID | None:
        widget = self.tabs.currentWidget()
        return next((a for a, p in self.panels.items() if p is widget), None)

    def current_panel(self) -> TerminalPanel | None:
        if self.stack.currentWidget() is self.split:
            focus = self.focusWidget()
            for p in self.split_panels.values():
                if p.isAncestorOf(focus) or p is focus:
                    return p
            return next(iter(self.split_panels.values()), None)
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, TerminalPanel) else None

    def show_all(self) -> None:
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.all_panel)

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        agent_id = self.current_agent()
        if isinstance(widget, TerminalPanel):
            widget.view.viewport().update()
        if agent_id is not None:
            self.agentActivated.emit(agent_id)

    def _close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        for agent_id, panel in list(self.panels.items()):
            if panel is widget:
                self.tabs.removeTab(index)
                self.clock.detach(panel.view)
                del self.panels[agent_id]
                self.closed.add(agent_id)
                panel.deleteLater()

    def cycle_tab(self, step: int) -> None:
        if self.tabs.count():
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    # --- All view filter --------------------------------------------------------------------------

    def _fill_filter_menu(self) -> None:
        menu = self.filter_menu
        menu.clear()
        everyone = menu.addAction("All agents")
        everyone.setCheckable(True)
        everyone.setChecked(self.all.only is None)
        everyone.triggered.connect(lambda: self.set_all_filter(None))
        menu.addSeparator()
        for agent in self.core.agents.all():
            action = menu.addAction(agent.name)
            action.setCheckable(True)
            action.setChecked(self.all.only is None or agent.id in self.all.only)
            action.toggled.connect(lambda on, a=agent.id: self._toggle_filter(a, on))

    def _toggle_filter(self, agent_id: uuid.UUID, on: bool) -> None:
        chosen = (
            set(self.all.only)
            if self.all.only is not None
            else {a.id for a in self.core.agents.all()}
        )
        (chosen.add if on else chosen.discard)(agent_id)
        everyone = {a.id for a in self.core.agents.all()}
        self.set_all_filter(None if chosen >= everyone else chosen)

    def set_all_filter(self, only: set[uuid.UUID] | None) -> None:
        self.all.set_filter(only)
        self.all_panel.view.set_placeholder(ALL_EMPTY if only is None else ALL_FILTERED_EMPTY)
        if only is None:
            self.filter_button.setText("Agents: all")
        else:
            names = sorted(a.name for a in self.core.agents.all() if a.id in only)
            shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
            self.filter_button.setText(f"Agents: {shown or 'none'}")

    # --- split view -------------------------------------------------------------------------------

    def set_split(self, on: bool) -> None:
        self.stack.setCurrentWidget(self.split if on else self.tabs)
        if on:
            self._layout_split()

    @property
    def split_active(self) -> bool:
        return self.stack.currentWidget() is self.split

    def set_split_agents(self, agent_ids: list[uuid.UUID]) -> None:
        self.split_agents = list(dict.fromkeys(agent_ids))[:MAX_SPLIT]
        self._layout_split()

    def toggle_split_agent(self, agent_id: uuid.UUID, on: bool) -> None:
        agents = [a for a in self.split_agents if a != agent_id]
        if on:
            agents.append(agent_id)
        self.set_split_agents(agents)

    def _layout_split(self) -> None:
        for agent_id in list(self.split_panels):
            if agent_id not in self.split_agents:
                panel = self.split_panels.pop(agent_id)
                self.clock.detach(panel.view)
                panel.deleteLater()
        while self.split_grid.count():
            self.split_grid.takeAt(0)
        self.split_hint.setParent(None)
        if not self.split_agents:
            self.split_grid.addWidget(self.split_hint, 0, 0)
            return
        n = len(self.split_agents)
        cols = 1 if n == 1 else 2 if n <= 4 else 3
        for i, agent_id in enumerate(self.split_agents):
            if agent_id not in self.split_panels:
                self.split_panels[agent_id] = self._panel_for(agent_id, split=True)
            panel = self.split_panels[agent_id]
            self.split_grid.addWidget(panel, i // cols, i % cols)
            panel.show()

    def fill_split_menu(self, menu: QMenu, toggle_split: Callable[[bool], None]) -> None:
        menu.clear()
        for agent in self.core.agents.all():
            action = QAction(agent.name, menu)
            action.setCheckable(True)
            action.setChecked(agent.id in self.split_agents)
            action.toggled.connect(partial(self._split_toggled, agent.id, toggle_split))
            menu.addAction(action)
        if not self.core.agents.all():
            menu.addAction("No agents yet").setEnabled(False)

    def _split_toggled(
        self, agent_id: uuid.UUID, toggle_split: Callable[[bool], None], on: bool
    ) -> None:
        self.toggle_split_agent(agent_id, on)
        toggle_split(True)

    # --- appearance and persistence ---------------------------------------------------------------

    def views(self) -> list[TerminalView]:
        panels = [self.all_panel, *self.panels.values(), *self.split_panels.values()]
        return [p.view for p in panels]

    def apply_appearance(self, font: QFont, scheme: TerminalScheme) -> None:
        self.font_, self.scheme = font, scheme
        app_keys = {combination(k) for k in self.settings.terminal_app_keys}
        for view in self.views():
            view.setFont(font)
            view.set_scheme(scheme)
            view.app_keys = app_keys
        self.all.rerender()  # the tags' colours follow the theme

    def save_state(self) -> None:
        s = self.settings
        s.set("terminals/current", str(self.current_agent() or ""))
        s.set("terminals/closed", [str(a) for a in self.closed])
        s.set("terminals/split", self.split_active)
        s.set("terminals/split_agents", [str(a) for a in self.split_agents])
        order = []
        for i in range(self.tabs.count()):
            agent = next((a for a, p in self.panels.items() if p is self.tabs.widget(i)), None)
            if agent is not None:
                order.append(str(agent))
        s.set("terminals/order", order)

    def restore_state(self) -> None:
        s = self.settings
        known = {a.id for a in self.core.agents.all()}

        def ids(key: str) -> list[uuid.UUID]:
            out = []
            for text in s.str_list(key):
                try:
                    agent_id = uuid.UUID(text)
                except ValueError:
                    continue
                if agent_id in known:
                    out.append(agent_id)
            return out

        for agent_id in ids("terminals/closed"):
            panel = self.panels.pop(agent_id, None)
            if panel is not None:
                self.tabs.removeTab(self.tabs.indexOf(panel))
                self.clock.detach(panel.view)
                panel.deleteLater()
            self.closed.add(agent_id)
        for position, agent_id in enumerate(ids("terminals/order"), start=1):
            panel = self.panels.get(agent_id)
            if panel is not None:
                bar = self.tabs.tabBar()
                bar.moveTab(self.tabs.indexOf(panel), min(position, self.tabs.count() - 1))
        self.split_agents = ids("terminals/split_agents")[:MAX_SPLIT]
        current = ids("terminals/current")
        if current and current[0] in self.panels:
            self.tabs.setCurrentWidget(self.panels[current[0]])
        if str(s.value("terminals/split", "false")).lower() == "true":
            self.set_split(True)
