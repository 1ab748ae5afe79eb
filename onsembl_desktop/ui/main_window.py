"""The main window: agents on the left, the pages (terminals, queue, traces, reports, history,
audit) on the right, the command bar below, emergency stop always in the toolbar.

The window only composes: each page is its own module, each model adapts core events, and every
action is registered with its shortcut in :mod:`actions` (Help → Shortcuts lists them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import CommandError
from ..core.events import (
    AgentChanged,
    CommandChanged,
    Notice,
    PresetsChanged,
    ProfilesChanged,
    StorageStatus,
)
from ..core.records import PresetInfo
from ..core.sending import SendRequest
from ..core.service import Core
from ..core.state import CommandInfo
from ..errors import KnownError
from ..protocol.enums import AgentStatus, CommandStatus
from ..sync.status import SyncState, SyncStatus
from .dialogs.preset_dialog import PresetDialog
from .dialogs.sync_settings import sync_color, sync_text
from .models.agent_model import AgentTableModel
from .pages.base import Page
from .presentation import reads
from .presentation.tasks import spawn
from .presentation.terminals import TerminalHub
from .settings import UiSettings
from .terminal_views.frame_clock import FrameClock
from .terminal_views.terminals_page import TerminalsPage
from .theme import monospace_font, status_color, terminal_scheme
from .widgets.agents_panel import AgentsPanel
from .widgets.banners import STANDING, WarningBanner
from .widgets.command_bar import CommandBar
from .widgets.welcome import WelcomePanel
from .window.actions import ActionRegistry
from .window.agent_actions import AgentActions
from .window.dialogs import WindowDialogs
from .window.emergency import EmergencyControl
from .window.menus import Menus, build_menus
from .window.notifications import Notifier

if TYPE_CHECKING:
    from ..app import OnsemblApp

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
        onsembl: OnsemblApp | None = None,
    ) -> None:
        super().__init__()
        self.core = core
        self.onsembl = onsembl  # the running app: agent tokens, TLS fingerprint, warnings
        self.settings = settings if isinstance(settings, UiSettings) else UiSettings(settings, self)
        self.gateway_url = gateway_url
        self.agent_command = agent_command
        self.demo = demo
        self._queued_feedback: uuid.UUID | None = None  # the command the bar says is queued
        self.dialog: QDialog | None = None  # the last dialog opened (non-blocking)
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
        self.agent_actions = AgentActions(
            core,
            self,
            parent=self,
            pending_name=self.model.pending_name,
            open_dialog=self.open_dialog,
            report=self.statusBar().showMessage,
            agent_command=agent_command,
            fingerprint=onsembl.fingerprint if onsembl is not None else None,
        )
        self.agents_panel.contextMenuRequested.connect(self.agent_actions.fill_menu)

        font = monospace_font(self.settings.font_size, self.settings.font_family or None)
        self.terminals = TerminalsPage(
            core, self.hub, self.clock, self.settings, font, terminal_scheme()
        )
        self.terminals.agentActivated.connect(self._terminal_activated)
        self.welcome = WelcomePanel(agent_command, onsembl.fingerprint if onsembl else None)
        self.terminal_stack = QStackedWidget()
        self.terminal_stack.addWidget(self.welcome)
        self.terminal_stack.addWidget(self.terminals)

        self.pages = QStackedWidget()
        self.pages.setAccessibleName("Pages")
        self.page_list: list[tuple[str, QWidget]] = [("Terminals", self.terminal_stack)]
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
        self.command_bar.send.connect(self.send)
        self.command_bar.presetChosen.connect(self.use_preset)
        self.emergency = EmergencyControl(self, core)
        self.warnings = WarningBanner()
        self.dialogs = WindowDialogs(
            self,
            core,
            self.settings,
            self.registry,
            gateway_url=gateway_url,
            agent_command=agent_command,
            onsembl=onsembl,
            open_dialog=self.open_dialog,
            appearance_changed=self._apply_appearance,
        )
        self.warnings.actionRequested.connect(lambda _key: self.dialogs.open_settings())
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.warnings)
        layout.addWidget(self.emergency.banner)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.command_bar)
        self.setCentralWidget(central)

        self._build_status_bar()
        self.menus: Menus = build_menus(
            self,
            self.registry,
            pages=self.page_list,
            nav=self,
            dialogs=self.dialogs,
            agents_panel=self.agents_panel,
            agent_actions=self.agent_actions,
            emergency=self.emergency,
            fill_split_menu=lambda menu: self.terminals.fill_split_menu(menu, self.set_split),
        )
        self.command_bar.set_tab_order()
        self.notifier = Notifier(self, core.bus, self.settings)

        self._unsubscribe = [
            core.bus.subscribe(AgentChanged, self._on_agent),
            core.bus.subscribe(CommandChanged, self._on_command),
            core.bus.subscribe(Notice, self._on_notice),
            core.bus.subscribe(StorageStatus, self._on_storage),
            core.bus.subscribe(SyncStatus, self._on_sync),
            core.bus.subscribe(ProfilesChanged, lambda _e: self._refresh_choices()),
            core.bus.subscribe(PresetsChanged, lambda _e: self._refresh_choices()),
        ]
        for agent in core.agents.all():
            self.terminals.update_agent(agent)
        self._refresh_agents()
        self._refresh_choices()
        if core.control.local is not None:
            self.model.set_local(core.control.local.all())
        for notice in onsembl.warnings if onsembl else ():  # said before the window existed
            self.show_warning(notice.message, notice.key)
        self._restore_layout()
        spawn(self._load_from_store())

    # --- construction -----------------------------------------------------------------------------

    def _make_pages(self) -> list[Page]:
        from .pages.audit_page import AuditPage
        from .pages.history_page import HistoryPage
        from .pages.queue_page import QueuePage
        from .pages.reports_page import ReportsPage
        from .pages.traces_page import TracesPage

        history = HistoryPage(self.core, self.settings)
        reports = ReportsPage(self.core, self.settings)
        traces = TracesPage(self.core, self.settings)
        history.detail.openReport.connect(self.open_report)
        history.detail.openTraces.connect(self.open_traces)
        reports.open_history = self.open_command
        return [
            QueuePage(self.core, self.settings),
            traces,
            reports,
            history,
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
        self.sync_label = QLabel("")
        self.sync_label.setAccessibleName("Sync state")
        self._on_sync(self.core.sync.status)
        # Permanent widgets stay while a message shows (messages take the left side).
        bar = self.statusBar()
        if self.demo:
            demo = QLabel("  DEMO — agents replay recorded sessions  ")
            demo.setStyleSheet("background:#5B3EA4;color:white;border-radius:3px;")
            bar.addPermanentWidget(demo)
        bar.addPermanentWidget(self.gateway_label)
        bar.addPermanentWidget(self.agents_label)
        bar.addPermanentWidget(self.sync_label)
        bar.addPermanentWidget(self.storage_label)

    def show_warning(self, text: str, key: str | None = None) -> QLabel:
        """A warning that holds for as long as the app runs (e.g. no TLS on a network address):
        a banner above everything, not a status-bar message that goes away."""
        return self.warnings.show_warning(text, key)

    def open_dialog(self, dialog: QDialog, on_accept: Callable[[], object] | None = None) -> None:
        """Show a dialog without a nested event loop (the asyncio loop keeps running)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if on_accept is not None:
            dialog.accepted.connect(on_accept)
        self.dialog = dialog
        dialog.open()

    def _apply_appearance(self) -> None:
        """Settings changed the theme or the terminal font: every part repaints in it."""
        font = monospace_font(self.settings.font_size, self.settings.font_family or None)
        self.terminals.apply_appearance(font, terminal_scheme())
        self.model.refresh_theme()
        for _title, widget in self.page_list:
            if isinstance(widget, Page):
                widget.refresh_theme()

    # --- pages ------------------------------------------------------------------------------------

    def show_page(self, widget: QWidget) -> None:
        self.pages.setCurrentWidget(widget)
        actions = self.menus.page_actions.actions()
        for action, (_t, w) in zip(actions, self.page_list, strict=True):
            action.setChecked(w is widget)
        if isinstance(widget, Page):
            widget.activate()

    def page(self, title: str) -> Any:
        return next(w for t, w in self.page_list if t == title)

    def show_all(self) -> None:
        self.show_page(self.terminal_stack)
        self.set_split(False)
        self.terminals.show_all()

    def toggle_split(self) -> None:
        on = self.menus.split_action.isChecked()
        if on and not self.terminals.split_agents:
            chosen = self.agents_panel.selected_ids()
            if len(chosen) < 2:
                chosen = [a.id for a in self.model.agents() if a.status is AgentStatus.ONLINE][:4]
            self.terminals.set_split_agents(chosen)
        self.set_split(on)

    def set_split(self, on: bool) -> None:
        self.menus.split_action.setChecked(on)
        self.show_page(self.terminal_stack)
        self.terminals.set_split(on)

    def cycle(self, step: int) -> None:
        self.show_page(self.terminal_stack)
        self.set_split(False)
        self.terminals.cycle_tab(step)

    def focus_command(self) -> None:
        self.command_bar.edit.setFocus()

    def open_terminal(self, agent_id: uuid.UUID) -> None:
        self.show_page(self.terminal_stack)
        self.set_split(False)
        self.terminals.show_agent(agent_id)

    def split_with(self, ids: list[uuid.UUID]) -> None:
        for agent_id in ids:
            self.terminals.toggle_split_agent(agent_id, True)
        self.set_split(True)

    def target_and_focus(self, ids: list[uuid.UUID]) -> None:
        self.command_bar.set_targets(ids)
        self.focus_command()

    def show_queue(self, agent_id: uuid.UUID | None = None) -> None:
        page = self.page("Queue")
        self.show_page(page)
        if agent_id is not None:
            page.show_agent(agent_id)

    def history_for(self, agent_id: uuid.UUID) -> None:
        page = self.page("History")
        page.show_agent(agent_id)
        self.show_page(page)

    def traces_for(self, agent_id: uuid.UUID) -> None:
        page = self.page("Traces")
        page.show_agent(agent_id)
        self.show_page(page)

    def open_command(self, command_id: uuid.UUID) -> None:
        page = self.page("History")
        self.show_page(page)
        page.open_command(command_id)

    def open_traces(self, command_id: uuid.UUID) -> None:
        page = self.page("Traces")
        page.show_command(command_id)
        self.show_page(page)

    def open_report(self, report_id: uuid.UUID) -> None:
        page = self.page("Reports")
        page.select_report(report_id)
        self.show_page(page)

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

    def _refresh_choices(self) -> None:
        self.command_bar.set_profiles(self.core.profiles.all())
        self.command_bar.set_presets(self.core.presets.all())

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

    # --- sending ----------------------------------------------------------------------------------

    def send(self, req: SendRequest) -> CommandInfo | None:
        try:
            info = self.core.send(req)
        except (CommandError, KnownError) as exc:
            self.command_bar.show_feedback(str(exc), error=True)
            return None
        if req.preset is None:
            self.command_bar.sent()
        self.command_bar.show_feedback(self._sent_text(info))
        self._queued_feedback = info.id if self._queued(info) else None
        return info

    @staticmethod
    def _queued(info: CommandInfo) -> bool:
        return any(r.status is CommandStatus.QUEUED for r in info.runs)

    def _on_command(self, ev: CommandChanged) -> None:
        """The bar said the last command was queued: say so only while it is (once it starts,
        "Queued for sh1 (busy, #1)" would be stale)."""
        if ev.command.id != self._queued_feedback:
            return
        self.command_bar.show_feedback(self._sent_text(ev.command))
        if not self._queued(ev.command):
            self._queued_feedback = None

    def _sent_text(self, info: CommandInfo) -> str:
        queued = [r for r in info.runs if r.status is CommandStatus.QUEUED]
        # Ended without starting: cancelled in the queue (or failed at once, e.g. offline).
        dropped = [r for r in info.runs if r.status.is_final and r.started_at is None]
        started = [r.agent_name for r in info.runs if r not in queued and r not in dropped]
        parts = []
        if started:
            parts.append("Sent to " + ", ".join(started))
        for status in (CommandStatus.CANCELLED, CommandStatus.FAILED):
            names = [r.agent_name for r in dropped if r.status is status]
            if names:
                parts.append(f"{status.value.title()} before it ran on " + ", ".join(names))
        if queued:
            why = []
            for r in queued:
                agent = self.core.agents.get(r.agent_id)
                if self.core.emergency.active:
                    state = "emergency stop: queues paused"
                elif agent is not None and agent.status is not AgentStatus.ONLINE:
                    state = "offline — runs when it reconnects"
                elif agent is not None and agent.paused:
                    state = "paused"
                else:
                    state = "busy"
                why.append(f"{r.agent_name} ({state}, #{r.queue_position})")
            parts.append("Queued for " + ", ".join(why))
        return " · ".join(parts)

    def use_preset(self, preset: PresetInfo) -> None:
        """Ask for the preset's variables, then send it with the bar's targets and settings."""
        target = self.command_bar.target.toolTip().removeprefix("Send to: ")
        dialog = PresetDialog(preset, target, self)

        def accepted() -> None:
            req = self.command_bar.request(
                "", preset=preset.name, variables=dialog.values(), type=None
            )
            if req is not None:
                self.send(req)

        self.open_dialog(dialog, accepted)

    # --- notices ----------------------------------------------------------------------------------

    def _on_notice(self, ev: Notice) -> None:
        if ev.key in STANDING:
            self.show_warning(ev.message, ev.key)
            return
        self.statusBar().showMessage(ev.message, 10_000 if ev.level == "info" else 30_000)

    def _on_sync(self, status: SyncStatus) -> None:
        """Shown once sync is configured: its state and what waits to be pushed."""
        self.sync_label.setVisible(status.state is not SyncState.DISABLED)
        self.sync_label.setText(sync_text(status))
        self.sync_label.setStyleSheet(f"color: {sync_color(status)};")
        self.sync_label.setToolTip(status.error or status.url or "")

    def _on_storage(self, ev: StorageStatus) -> None:
        if ev.error:
            self.storage_label.setText("Database error — see message")
            color = status_color(CommandStatus.FAILED).name()
            self.storage_label.setStyleSheet(f"color: {color}; font-weight: bold;")
            self.storage_label.setToolTip(ev.error)
        else:
            self.storage_label.setText("Database OK")
            self.storage_label.setStyleSheet("")
            self.storage_label.setToolTip("")

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
            self.menus.split_action.setChecked(True)
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
        self.emergency.close()
        self.model.close()
        self.hub.close()
        super().closeEvent(event)
        self.closed.emit()

    def copy_agent_command(self) -> None:
        QGuiApplication.clipboard().setText(self.agent_command)

    # for --screenshot: paint any pending terminal frames now
    def _tick(self) -> None:
        self.clock.tick()
