"""The main window: agents on the left, the pages (terminals, queue, traces, reports, history,
audit) on the right, the command bar below, emergency stop always in the toolbar.

The window only composes: each page is its own module, each model adapts core events, and every
action is registered with its shortcut in :mod:`actions` (Help → Shortcuts lists them).
"""

from __future__ import annotations

import uuid
from functools import partial

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QActionGroup, QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import CommandError
from ..core.events import AgentChanged, Notice, StorageStatus
from ..core.service import Core
from ..errors import KnownError
from ..protocol.enums import AgentStatus, CommandStatus
from . import reads
from .actions import ActionRegistry
from .agent_model import AgentTableModel
from .agents_panel import AgentsPanel
from .command_bar import CommandBar, SendRequest
from .dialogs import AboutDialog, ShortcutsDialog
from .frame_clock import FrameClock
from .notifications import Notifier
from .pages import Page
from .settings import UiSettings
from .tasks import spawn
from .terminals import TerminalHub
from .terminals_page import TerminalsPage
from .theme import monospace_font, terminal_scheme
from .welcome import WelcomePanel

TITLE = "Onsembl Desktop"


class MainWindow(QMainWindow):
    closed = Signal()  # after the window saved its layout and let go of the core

    def __init__(
        self,
        core: Core,
        gateway_url: str,
        agent_command: str,
        settings: QSettings | UiSettings,
        *,
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.core = core
        self.settings = settings if isinstance(settings, UiSettings) else UiSettings(settings, self)
        self.gateway_url = gateway_url
        self.agent_command = agent_command
        self.demo = demo
        self.setWindowTitle(TITLE)
        self.resize(1400, 860)
        self.registry = ActionRegistry(self)

        self.clock = FrameClock(self)
        self.hub = TerminalHub(core, scrollback=self.settings.scrollback)
        self.hub.watchers.append(self.clock.mark)
        self.model = AgentTableModel(core.bus, core.agents.all(), self, self._command_text)

        self.agents_panel = AgentsPanel(self.model)
        self.agents_panel.selectionChanged.connect(self._agents_selected)
        self.agents_panel.activated.connect(self.open_terminal)
        self.agents_panel.contextMenuRequested.connect(self._agent_menu)

        font = monospace_font(self.settings.font_size, self.settings.font_family or None)
        self.terminals = TerminalsPage(
            core, self.hub, self.clock, self.settings, font, terminal_scheme()
        )
        self.terminals.agentActivated.connect(self._terminal_activated)
        self.welcome = WelcomePanel(agent_command)
        self.terminal_stack = QStackedWidget()
        self.terminal_stack.addWidget(self.welcome)
        self.terminal_stack.addWidget(self.terminals)

        self.pages = QStackedWidget()
        self.pages.setAccessibleName("Pages")
        self.page_list: list[tuple[str, QWidget]] = [("Terminals", self.terminal_stack)]
        self.page_actions = QActionGroup(self)
        for page in self._make_pages():
            self.page_list.append((page.title, page))
        for _title, widget in self.page_list:
            self.pages.addWidget(widget)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.agents_panel)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([340, 1060])
        self.splitter.setChildrenCollapsible(False)

        self.command_bar = CommandBar()
        self.command_bar.send.connect(self._send)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.command_bar)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_actions()
        self.notifier = Notifier(self, core.bus, self.settings)

        self._unsubscribe = [
            core.bus.subscribe(AgentChanged, self._on_agent),
            core.bus.subscribe(Notice, self._on_notice),
            core.bus.subscribe(StorageStatus, self._on_storage),
        ]
        for agent in core.agents.all():
            self.terminals.update_agent(agent)
        self._refresh_agents()
        self._restore_layout()
        spawn(self._load_from_store())

    # --- construction -----------------------------------------------------------------------------

    def _make_pages(self) -> list[Page]:
        from .audit_page import AuditPage
        from .history_page import HistoryPage
        from .queue_page import QueuePage
        from .reports_page import ReportsPage
        from .traces_page import TracesPage

        return [
            QueuePage(self.core, self.settings),
            TracesPage(self.core, self.settings),
            ReportsPage(self.core, self.settings),
            HistoryPage(self.core, self.settings),
            AuditPage(self.core, self.settings),
        ]

    def _build_status_bar(self) -> None:
        self.gateway_label = QLabel(f"Gateway {self.gateway_url}")
        self.gateway_label.setAccessibleName("Gateway address")
        self.gateway_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.agents_label = QLabel("")
        self.agents_label.setAccessibleName("Agents online")
        self.storage_label = QLabel("Database OK")
        self.storage_label.setAccessibleName("Database state")
        bar = self.statusBar()
        bar.addWidget(self.gateway_label)
        if self.demo:
            demo = QLabel("  DEMO — agents replay recorded sessions  ")
            demo.setStyleSheet("background:#5B3EA4;color:white;border-radius:3px;")
            bar.addWidget(demo)
        bar.addPermanentWidget(self.agents_label)
        bar.addPermanentWidget(self.storage_label)

    def _build_actions(self) -> None:
        r = self.registry
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.settings_action = r.add("File", "&Settings…", "Ctrl+,", self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(r.add("File", "&Quit", "Ctrl+Q", self.close))

        view_menu = menu.addMenu("&View")
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        for i, (title, widget) in enumerate(self.page_list):
            action = r.add("Pages", title, f"Ctrl+{i + 1}", partial(self.show_page, widget))
            action.setCheckable(True)
            self.page_actions.addAction(action)
            view_menu.addAction(action)
            toolbar.addAction(action)
        self.page_actions.actions()[0].setChecked(True)
        view_menu.addSeparator()
        toolbar.addSeparator()
        self.all_action = r.add("Terminals", "All output", "Ctrl+0", self._show_all)
        self.split_action = r.add(
            "Terminals",
            "Split view",
            "Ctrl+Shift+D",
            self._toggle_split,
            checkable=True,
            tip="Watch several agents side by side (selected agents, or choose from the menu)",
        )
        split_button = QToolButton()
        split_button.setDefaultAction(self.split_action)
        split_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        split_menu = QMenu(split_button)
        split_menu.aboutToShow.connect(
            lambda: self.terminals.fill_split_menu(split_menu, self._set_split)
        )
        split_button.setMenu(split_menu)
        toolbar.addAction(self.all_action)
        toolbar.addWidget(split_button)
        for action in (
            self.all_action,
            self.split_action,
            r.add("Terminals", "Next terminal", "Ctrl+PgDown", lambda: self._cycle(1)),
            r.add("Terminals", "Previous terminal", "Ctrl+PgUp", lambda: self._cycle(-1)),
            r.add("Terminals", "Focus the command bar", "Ctrl+L", self.focus_command),
            r.add("Agents", "Find agent", "Ctrl+Shift+F", self.agents_panel.search.setFocus),
        ):
            view_menu.addAction(action)
        self.agents_menu = menu.addMenu("&Agents")
        self.agents_menu.aboutToShow.connect(self._fill_agents_menu)
        spacer = QWidget()
        spacer.setSizePolicy(
            spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy()
        )
        toolbar.addWidget(spacer)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(r.add("Help", "&Keyboard shortcuts", "F1", self.show_shortcuts))
        help_menu.addAction(r.add("Help", "&About Onsembl Desktop", None, self.show_about))

    # --- pages ------------------------------------------------------------------------------------

    def show_page(self, widget: QWidget) -> None:
        self.pages.setCurrentWidget(widget)
        for action, (_t, w) in zip(self.page_actions.actions(), self.page_list, strict=True):
            action.setChecked(w is widget)
        if isinstance(widget, Page):
            widget.activate()

    def page(self, title: str) -> QWidget:
        return next(w for t, w in self.page_list if t == title)

    def _show_all(self) -> None:
        self.show_page(self.terminal_stack)
        self._set_split(False)
        self.terminals.show_all()

    def _toggle_split(self) -> None:
        on = self.split_action.isChecked()
        if on and not self.terminals.split_agents:
            chosen = self.agents_panel.selected_ids()
            if len(chosen) < 2:
                chosen = [a.id for a in self.model.agents() if a.status is AgentStatus.ONLINE][:4]
            self.terminals.set_split_agents(chosen)
        self._set_split(on)

    def _set_split(self, on: bool) -> None:
        self.split_action.setChecked(on)
        self.show_page(self.terminal_stack)
        self.terminals.set_split(on)

    def _cycle(self, step: int) -> None:
        self.show_page(self.terminal_stack)
        self._set_split(False)
        self.terminals.cycle_tab(step)

    def focus_command(self) -> None:
        self.command_bar.edit.setFocus()

    def open_terminal(self, agent_id: uuid.UUID) -> None:
        self.show_page(self.terminal_stack)
        self.terminals.show_agent(agent_id)

    # --- agents -----------------------------------------------------------------------------------

    def _command_text(self, command_id: uuid.UUID) -> str:
        info = self.core.commands.get(command_id)
        return info.content if info else ""

    def _on_agent(self, ev: AgentChanged) -> None:
        self.terminals.update_agent(ev.agent)
        self._refresh_agents()

    def _refresh_agents(self) -> None:
        agents = self.model.agents()
        self.command_bar.set_agents(agents)
        online = sum(1 for a in agents if a.status is AgentStatus.ONLINE)
        busy = sum(1 for a in agents if a.current_command_id is not None)
        self.agents_label.setText(f"{online} of {len(agents)} agents online · {busy} busy")
        self.terminal_stack.setCurrentWidget(self.terminals if agents else self.welcome)
        self.setWindowTitle(f"{TITLE} — {busy} busy" if busy else TITLE)
        self.notifier.set_busy(busy)

    def _agents_selected(self, ids: list[uuid.UUID]) -> None:
        if not ids:
            return
        self.command_bar.set_targets(ids)
        terminals_shown = self.pages.currentWidget() is self.terminal_stack
        if len(ids) == 1 and terminals_shown and not self.terminals.split_active:
            self.terminals.show_agent(ids[0])

    def _terminal_activated(self, agent_id: uuid.UUID) -> None:
        self.command_bar.select_agent(agent_id)
        self.agents_panel.select(agent_id)

    def _agent_menu(self, menu: QMenu, ids: list[uuid.UUID]) -> None:
        agents = [a for a in (self.core.agents.get(i) for i in ids) if a is not None]
        if len(agents) == 1:
            menu.addAction("Open terminal", lambda: self.open_terminal(agents[0].id))
        menu.addAction(
            "Watch side by side" if len(agents) > 1 else "Add to split view",
            lambda: self._split_with(ids),
        )
        menu.addAction(
            "Send a command to " + ("them" if len(agents) > 1 else "it"),
            partial(self._target_and_focus, ids),
        )
        running = [a.current_command_id for a in agents if a.current_command_id is not None]
        cancel = menu.addAction("Cancel running command", lambda: self._cancel(running))
        cancel.setEnabled(bool(running))
        menu.addSeparator()
        menu.addAction("Show queue", lambda: self.show_page(self.page("Queue")))
        menu.addAction("Show history", lambda: self._history_for(agents[0].id))

    def _fill_agents_menu(self) -> None:
        menu = self.agents_menu
        menu.clear()
        ids = self.agents_panel.selected_ids()
        if ids:
            self._agent_menu(menu, ids)
        else:
            menu.addAction("Select an agent on the left").setEnabled(False)

    def _split_with(self, ids: list[uuid.UUID]) -> None:
        for agent_id in ids:
            self.terminals.toggle_split_agent(agent_id, True)
        self._set_split(True)

    def _target_and_focus(self, ids: list[uuid.UUID]) -> None:
        self.command_bar.set_targets(ids)
        self.focus_command()

    def _cancel(self, command_ids: list[uuid.UUID]) -> None:
        for command_id in command_ids:
            try:
                self.core.commands.cancel(command_id)
            except CommandError as exc:
                self.statusBar().showMessage(str(exc), 10_000)

    def _history_for(self, agent_id: uuid.UUID) -> None:
        page = self.page("History")
        self.show_page(page)
        show = getattr(page, "show_agent", None)
        if show is not None:
            show(agent_id)

    # --- sending ----------------------------------------------------------------------------------

    def _send(self, req: SendRequest) -> None:
        try:
            info = self.core.commands.submit(
                req.text,
                agent_ids=req.agent_ids,
                broadcast=req.broadcast,
                command_type=req.command_type,
                priority=req.priority,
                constraints=req.constraints,
            )
        except (CommandError, KnownError) as exc:
            self.command_bar.show_feedback(str(exc), error=True)
            return
        self.command_bar.sent()
        queued = [r for r in info.runs if r.status is CommandStatus.QUEUED]
        started = [r.agent_name for r in info.runs if r.status is not CommandStatus.QUEUED]
        parts = []
        if started:
            parts.append("Sent to " + ", ".join(started))
        if queued:
            why = []
            for r in queued:
                agent = self.core.agents.get(r.agent_id)
                if agent is not None and agent.status is not AgentStatus.ONLINE:
                    state = "offline — runs when it reconnects"
                elif agent is not None and agent.paused:
                    state = "paused"
                else:
                    state = "busy"
                why.append(f"{r.agent_name} ({state}, #{r.queue_position})")
            parts.append("Queued for " + ", ".join(why))
        self.command_bar.show_feedback(" · ".join(parts))

    # --- notices ----------------------------------------------------------------------------------

    def _on_notice(self, ev: Notice) -> None:
        self.statusBar().showMessage(ev.message, 10_000 if ev.level == "info" else 30_000)

    def _on_storage(self, ev: StorageStatus) -> None:
        if ev.error:
            self.storage_label.setText("Database error — see message")
            self.storage_label.setStyleSheet("color: #F26B5E; font-weight: bold;")
            self.storage_label.setToolTip(ev.error)
        else:
            self.storage_label.setText("Database OK")
            self.storage_label.setStyleSheet("")
            self.storage_label.setToolTip("")

    # --- dialogs ----------------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.registry.shortcuts(), self).exec()

    def show_about(self) -> None:
        AboutDialog(self).exec()

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.gateway_url, self.agent_command, self)
        if dialog.exec():
            self.apply_settings()

    def apply_settings(self) -> None:
        from PySide6.QtWidgets import QApplication

        from .theme import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)
        font = monospace_font(self.settings.font_size, self.settings.font_family or None)
        self.terminals.apply_appearance(font, terminal_scheme())
        self.model.refresh_theme()
        for _title, widget in self.page_list:
            if isinstance(widget, Page):
                widget.refresh_theme()

    # --- start-up reads ---------------------------------------------------------------------------

    async def _load_from_store(self) -> None:
        open_ids = {c.id for c in self.core.commands.open_commands()}
        try:
            totals, counted, texts = await self.core.store.read(
                partial(reads.startup, open_commands=open_ids)
            )
        except Exception as exc:  # a read failure must not stop the window
            self.statusBar().showMessage(f"Could not read totals: {exc}", 10_000)
            return
        self.model.set_stored_tokens(totals, counted)
        self.command_bar.edit.load_history(texts)

    # --- layout persistence -----------------------------------------------------------------------

    def _restore_layout(self) -> None:
        s = self.settings
        geometry = s.state("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = s.state("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.terminals.restore_state()
        if self.terminals.split_active:
            self.split_action.setChecked(True)
        for _title, widget in self.page_list:
            if isinstance(widget, Page):
                widget.restore_state()
        current = str(s.value("main/page", "Terminals"))
        for title, widget in self.page_list:
            if title == current:
                self.show_page(widget)

    def save_layout(self) -> None:
        s = self.settings
        s.save_state("geometry", self.saveGeometry())
        s.save_state("splitter", self.splitter.saveState())
        current = next((t for t, w in self.page_list if w is self.pages.currentWidget()), "")
        s.set("main/page", current)
        self.terminals.save_state()
        for _title, widget in self.page_list:
            if isinstance(widget, Page):
                widget.save_state()
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for _title, widget in self.page_list:
            if isinstance(widget, Page):
                widget.close_page()
        self.notifier.close()
        self.model.close()
        self.hub.close()
        super().closeEvent(event)
        self.closed.emit()

    def copy_agent_command(self) -> None:
        QGuiApplication.clipboard().setText(self.agent_command)

    # for --screenshot: paint any pending terminal frames now
    def _tick(self) -> None:
        self.clock.tick()
