"""The main window: agents on the left, each agent's terminal on the right, the command bar below."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QByteArray, QItemSelection, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import CommandError
from ..core.events import AgentChanged, Notice, StorageStatus
from ..core.service import Core
from ..errors import KnownError
from ..protocol.enums import AgentStatus, CommandStatus, CommandType
from .agent_model import AGENT_ID_ROLE, AgentTableModel
from .command_bar import ALL_AGENTS, CommandBar
from .terminal_view import TerminalView
from .terminals import TerminalHub

FRAME_MS = 16


class WelcomePanel(QWidget):
    """Shown until the first agent connects: how to connect one, ready to copy."""

    def __init__(self, agent_command: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h2>Welcome to Onsembl Desktop</h2>")
        text = QLabel("Connect an agent to start. In a terminal on this machine, run:")
        self.command = QLabel(f"<pre>{agent_command}</pre>")
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.command.setWordWrap(True)
        copy = QPushButton("Copy command")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(agent_command))
        hint = QLabel(
            "Use <code>--type claude</code>, <code>gemini</code> or <code>codex</code> to run an "
            "AI CLI instead of a shell. The agent appears on the left when it connects."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (title, text, self.command, copy, hint):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    def __init__(
        self, core: Core, gateway_url: str, agent_command: str, settings: QSettings
    ) -> None:
        super().__init__()
        self.core = core
        self.settings = settings
        self.gateway_url = gateway_url
        self.setWindowTitle("Onsembl Desktop")
        self.resize(1280, 800)
        self.hub = TerminalHub(core)
        self.views: dict[uuid.UUID, TerminalView] = {}
        self._stale: set[TerminalView] = set()

        self.model = AgentTableModel(core.bus, core.agents.all(), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setAccessibleName("Agents")
        self.table.selectionModel().selectionChanged.connect(self._agent_selected)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Agent terminals")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.welcome = WelcomePanel(agent_command)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([420, 860])

        self.command_bar = CommandBar()
        self.command_bar.send.connect(self._send)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.command_bar)
        self.setCentralWidget(central)

        self.gateway_label = QLabel(f"Gateway {gateway_url}")
        self.agents_label = QLabel("")
        self.storage_label = QLabel("Database OK")
        bar = self.statusBar()
        bar.addPermanentWidget(self.agents_label)
        bar.addPermanentWidget(self.storage_label)
        bar.addWidget(self.gateway_label)

        self._frame = QTimer(self)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self._tick)

        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.command_bar.edit.setFocus)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, activated=lambda: self._cycle_tab(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, activated=lambda: self._cycle_tab(-1))

        self._unsubscribe = [
            core.bus.subscribe(AgentChanged, self._on_agent),
            core.bus.subscribe(Notice, self._on_notice),
            core.bus.subscribe(StorageStatus, self._on_storage),
        ]
        for agent in core.agents.all():
            self._ensure_tab(agent.id, agent.name)
        self._refresh_agents()
        self._restore_layout()

    # --- agents and tabs ---------------------------------------------------------------------------

    def _on_agent(self, ev: AgentChanged) -> None:
        self._ensure_tab(ev.agent.id, ev.agent.name)
        self._refresh_agents()

    def _refresh_agents(self) -> None:
        agents = self.model.agents()
        self.command_bar.set_agents(agents)
        online = sum(1 for a in agents if a.status is AgentStatus.ONLINE)
        busy = sum(1 for a in agents if a.current_command_id is not None)
        self.agents_label.setText(f"{online} of {len(agents)} agents online · {busy} busy")
        self.stack.setCurrentWidget(self.tabs if agents else self.welcome)
        title = "Onsembl Desktop"
        self.setWindowTitle(f"{title} — {busy} busy" if busy else title)
        for agent in agents:
            index = self.tabs.indexOf(self.views[agent.id]) if agent.id in self.views else -1
            if index >= 0:
                mark = "● " if agent.status is AgentStatus.ONLINE else "○ "
                self.tabs.setTabText(index, mark + agent.name)

    def _ensure_tab(self, agent_id: uuid.UUID, name: str) -> TerminalView:
        view = self.views.get(agent_id)
        if view is not None:
            return view
        term = self.hub.get(agent_id)
        view = TerminalView(term.terminal)
        view.setAccessibleName(f"Terminal of {name}")
        term.listeners.append(lambda v=view: self._mark_stale(v))
        self.views[agent_id] = view
        self.tabs.addTab(view, name)
        return view

    def _agent_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        agent_id = self.model.data(indexes[0], AGENT_ID_ROLE)
        view = self.views.get(agent_id)
        if view is not None:
            self.tabs.setCurrentWidget(view)
        self.command_bar.select_agent(agent_id)

    def _tab_changed(self, index: int) -> None:
        view = self.tabs.widget(index)
        if isinstance(view, TerminalView):
            view.mark_stale()
            self._mark_stale(view)
            for agent_id, v in self.views.items():
                if v is view:
                    self.command_bar.select_agent(agent_id)
                    row = self.model.row_of(agent_id)
                    if row >= 0 and self.table.currentIndex().row() != row:
                        self.table.selectRow(row)

    def _cycle_tab(self, step: int) -> None:
        if self.tabs.count():
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    # --- painting ----------------------------------------------------------------------------------

    def _mark_stale(self, view: TerminalView) -> None:
        view.mark_stale()
        self._stale.add(view)
        if not self._frame.isActive():
            self._frame.start()

    def _tick(self) -> None:
        stale, self._stale = self._stale, set()
        for view in stale:
            view.refresh()
        if not self._stale:
            self._frame.stop()

    # --- sending -----------------------------------------------------------------------------------

    def _send(self, text: str, target: object, kind: str, priority: int) -> None:
        try:
            if target == ALL_AGENTS:
                info = self.core.commands.submit(
                    text,
                    agent_ids=[],
                    broadcast=True,
                    command_type=CommandType(kind),
                    priority=priority,
                )
            else:
                assert isinstance(target, uuid.UUID)
                info = self.core.commands.submit(
                    text, agent_ids=[target], command_type=CommandType(kind), priority=priority
                )
        except (CommandError, KnownError) as exc:
            self.command_bar.show_feedback(str(exc), error=True)
            return
        self.command_bar.sent()
        queued = [r for r in info.runs if r.status is CommandStatus.QUEUED]
        names = ", ".join(r.agent_name for r in info.runs)
        if queued:
            why = []
            for r in queued:
                agent = self.core.agents.get(r.agent_id)
                state = "offline" if agent and agent.status is not AgentStatus.ONLINE else "busy"
                why.append(f"{r.agent_name} ({state}, #{r.queue_position})")
            self.command_bar.show_feedback("Queued for " + ", ".join(why))
        else:
            self.command_bar.show_feedback(f"Sent to {names}")

    # --- notices -----------------------------------------------------------------------------------

    def _on_notice(self, ev: Notice) -> None:
        self.statusBar().showMessage(ev.message, 10_000 if ev.level == "info" else 30_000)

    def _on_storage(self, ev: StorageStatus) -> None:
        if ev.error:
            self.storage_label.setText("Database error — see message")
            self.storage_label.setStyleSheet("color: #EA4335; font-weight: bold;")
            self.storage_label.setToolTip(ev.error)
        else:
            self.storage_label.setText("Database OK")
            self.storage_label.setStyleSheet("")
            self.storage_label.setToolTip("")

    # --- layout persistence ------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = self.settings
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = settings.value("main/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.setValue("main/splitter", self.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.model.close()
        self.hub.close()
        super().closeEvent(event)
