"""The traces page: commands with traces, each command's tree, a timeline, details and totals.

Left: the traced commands (with rolled-up calls, tokens and duration) and totals per agent over
them. Right: the selected command's tree (name, type, agent, duration, tokens, status), its
timeline, and the selected node's prompt, arguments or result as text or indented JSON. Live
TRACE_EVENTs reload the open command's tree (coalesced).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from functools import partial

from PySide6.QtCore import QItemSelection, QModelIndex, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ...core.events import AgentChanged, CommandChanged, TraceChanged
from ...core.service import Core
from ...core.state import Tokens
from ..models.rows_model import Column, RowsModel, first_line
from ..presentation import reads
from ..presentation.numbers import (
    count,
    duration_ms,
    tokens_count,
    tokens_tip,
    when,
    when_tip,
)
from ..presentation.reads import AgentShare, TracedCommand, TraceNode
from ..settings import UiSettings
from ..theme import status_color
from ..widgets.common import (
    agent_combo,
    fill_agent_combo,
    held_still,
    labelled,
    make_table,
    text_pane,
)
from .base import Page
from .trace_widgets import NODE_ROLE, Timeline, build_tree, detail_text, node_status

SELECT_HINT = "Select a command on the left to see its trace."


@dataclass(frozen=True, slots=True)
class AgentTotal:
    agent: str
    commands: int
    calls: int
    tokens: Tokens
    duration_ms: int


def agent_totals(
    commands: list[TracedCommand], agent_id: uuid.UUID | None = None
) -> list[AgentTotal]:
    """Each agent's own share of the listed commands (a broadcast's agents that traced nothing
    count nothing), only ``agent_id``'s when the page shows one agent."""
    by_agent: dict[str, list[AgentShare]] = {}
    for c in commands:
        for share in c.shares:
            if agent_id is None or share.agent_id == agent_id:
                by_agent.setdefault(share.agent, []).append(share)
    return [
        AgentTotal(
            agent,
            len(shares),
            sum(s.entries for s in shares),
            sum((s.tokens for s in shares), Tokens()),
            sum(s.duration_ms for s in shares),
        )
        for agent, shares in sorted(by_agent.items())
    ]


RAN_TIP = (
    "Ran: from the command's start to its end by the app's clock (its agents' runs). The tree's "
    "Duration is each entry's own span, by the CLI's events; a CLI's own count of its time is on "
    "its transcript's last line."
)


def _ran(c: TracedCommand) -> str:
    if not c.status.is_final:
        return "running"
    return duration_ms(c.duration_ms) if c.duration_ms else "–"


def _command_tip(c: TracedCommand) -> str:
    return f"{c.content}\n\ncommand {str(c.id)[:8]} · sent {when_tip(c.created_at)}"


class TracesPage(Page):
    title = "Traces"

    def __init__(self, core: Core, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(core, settings, parent)
        self.current: uuid.UUID | None = None
        self.nodes: list[TraceNode] = []
        self._items: dict[uuid.UUID, QStandardItem] = {}
        self._all: list[TracedCommand] = []

        self.agent = agent_combo("Show traces of agent")
        self.agent.currentIndexChanged.connect(lambda _i: self.reload())
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter commands")
        self.search.setAccessibleName("Filter traced commands")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._show_commands())

        self.commands = RowsModel[TracedCommand](
            [
                Column(
                    "When", lambda c: when(c.created_at), tooltip=lambda c: when_tip(c.created_at)
                ),
                Column("Command", lambda c: first_line(c.content), tooltip=_command_tip),
                Column("Agents", lambda c: c.agents),
                Column(
                    "Status", lambda c: c.status.value.lower(), lambda c: status_color(c.status)
                ),
                Column("Entries", lambda c: str(c.entries), right=True),
                Column(
                    "Tokens",
                    lambda c: tokens_count(c.tokens),
                    tooltip=lambda c: tokens_tip(c.tokens),
                    right=True,
                ),
                Column("Ran", lambda c: _ran(c), tooltip=lambda c: RAN_TIP, right=True),
            ],
            self,
        )
        self.commands_table = make_table(
            self.commands, "Traced commands", (62, 200, 90, 72, 48, 52, 58), 1
        )
        self.keep_header("commands", self.commands_table.horizontalHeader())
        self.commands_table.selectionModel().selectionChanged.connect(self._command_selected)
        self.totals = RowsModel[AgentTotal](
            [
                Column("Agent", lambda t: t.agent),
                Column("Commands", lambda t: str(t.commands), right=True),
                Column("Entries", lambda t: str(t.calls), right=True),
                Column(
                    "Tokens",
                    lambda t: tokens_count(t.tokens),
                    tooltip=lambda t: tokens_tip(t.tokens),
                    right=True,
                ),
                Column("Ran", lambda t: duration_ms(t.duration_ms), right=True),
            ],
            self,
        )
        self.totals_table = make_table(self.totals, "Totals per agent", (120, 80, 60, 90), 0)

        self.tree_model = QStandardItemModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setAccessibleName("Trace tree")
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.selectionModel().selectionChanged.connect(self._node_selected)
        self.summary = QLabel(SELECT_HINT)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Trace totals")
        self.timeline = Timeline()
        self.timeline.nodeClicked.connect(self.select_node)
        timeline_area = QScrollArea()
        timeline_area.setWidget(self.timeline)
        timeline_area.setWidgetResizable(True)
        self.detail = text_pane("Trace entry details")
        self.detail.setPlaceholderText("Select an entry to see its prompt, arguments or result.")

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.commands_table)
        totals_box = QWidget()
        tl = QVBoxLayout(totals_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(QLabel("Totals per agent (listed commands)"))
        tl.addWidget(self.totals_table)
        left.addWidget(totals_box)
        left.setSizes([500, 160])
        right = QSplitter(Qt.Orientation.Vertical)
        tree_box = QWidget()
        trl = QVBoxLayout(tree_box)
        trl.setContentsMargins(0, 0, 0, 0)
        trl.addWidget(self.summary)
        trl.addWidget(self.tree)
        right.addWidget(tree_box)
        right.addWidget(timeline_area)
        right.addWidget(self.detail)
        right.setSizes([320, 140, 260])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setSizes([560, 560])
        for key, splitter in (("main", self.splitter), ("left", left), ("right", right)):
            self.keep_splitter(key, splitter)

        top = QHBoxLayout()
        top.addWidget(labelled("&Agent", self.agent))
        top.addWidget(self.agent)
        top.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.subscribe(TraceChanged, self._trace_changed)
        self.subscribe(CommandChanged, self._command_changed)
        self._live_refresh = QTimer(self)  # a listed command's tokens so far, a few times a second
        self._live_refresh.setSingleShot(True)
        self._live_refresh.setInterval(300)
        self._live_refresh.timeout.connect(self._show_commands)
        self.subscribe(
            AgentChanged, lambda _e: fill_agent_combo(self.agent, self.core.agents.all())
        )
        fill_agent_combo(self.agent, self.core.agents.all())

    # --- loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self.run(self._load())

    async def _load(self) -> None:
        await self.core.store.flush()  # traces just received are in the database
        agent_id = self.agent.currentData()
        self.read(partial(reads.traced_commands, agent_id=agent_id), self._commands_loaded)

    def _commands_loaded(self, rows: list[TracedCommand]) -> None:
        self._all = rows
        self._show_commands()
        if self.current is not None:
            self._load_tree(self.current)

    def _show_commands(self) -> None:
        text = self.search.text().strip().lower()
        rows = [self._live(c) for c in self._all if not text or text in c.content.lower()]
        with held_still(self.commands_table, lambda i: getattr(self.commands.row(i), "id", None)):
            self.commands.set_rows(rows, key=lambda c: c.id)
        self.totals.set_rows(agent_totals(rows, self.agent.currentData()))
        if self.current is not None and all(c.id != self.current for c in rows):
            self._close_command()  # filtered out: its tree beside a list it is not in misleads
        if self.current is None:
            self.summary.setText(self._hint(self.search.text().strip()))
        else:
            self._summarize()
        row = self.commands.row_of(lambda c: c.id, self.current)
        if row >= 0 and not self.commands_table.selectionModel().isRowSelected(row):
            with QSignalBlocker(self.commands_table.selectionModel()):
                self.commands_table.selectRow(row)

    def _live(self, command: TracedCommand) -> TracedCommand:
        """A command still running: its runs' tokens as reported so far (the store has them
        once the runs end)."""
        if command.status.is_final:
            return command
        info = self.core.commands.get(command.id)
        if info is None:
            return command
        tokens = sum((r.tokens for r in info.runs), Tokens())
        shares = tuple(
            replace(share, tokens=run.tokens)
            if (run := info.run_for(share.agent_id)) is not None
            else share
            for share in command.shares
        )
        return replace(command, status=info.status, tokens=tokens, shares=shares)

    def _close_command(self) -> None:
        self.current = None
        self.nodes = []
        self._items = {}
        self.tree_model.clear()
        self.timeline.set_nodes([])
        self.timeline.selected = None
        self.detail.setPlainText("")

    def _hint(self, text: str) -> str:
        """What the empty right side says: how to fill it, or why there is nothing to pick."""
        if self.commands.rows:
            return SELECT_HINT
        if text:
            return f"No traced command matches “{text}”."
        if self.agent.currentData() is not None:
            return "This agent has no traced commands."
        return (
            "No traces yet. Claude, Codex and Gemini agents record each command's model turns "
            "and tool calls here; shell commands have none."
        )

    def _trace_changed(self, ev: TraceChanged) -> None:
        self.changed()

    def _command_changed(self, ev: CommandChanged) -> None:
        if not self.isVisible() or all(c.id != ev.command.id for c in self._all):
            return
        if ev.command.status.is_final:
            self.changed()  # its figures are stored now
        elif not self._live_refresh.isActive():
            self._live_refresh.start()

    def show_agent(self, agent_id: uuid.UUID) -> None:
        fill_agent_combo(self.agent, self.core.agents.all())
        self.agent.setCurrentIndex(max(0, self.agent.findData(agent_id)))
        self.loaded = True

    def show_command(self, command_id: uuid.UUID) -> None:
        # Opened from elsewhere: filters left from before must not hide it.
        self.search.clear()
        self.agent.setCurrentIndex(0)
        self.current = command_id
        self.loaded = True
        self.reload()

    # --- selection --------------------------------------------------------------------------------

    def _command_selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        rows = selected.indexes()
        command = self.commands.row(rows[0]) if rows else None
        if command is not None and command.id != self.current:
            self.current = command.id
            self._load_tree(command.id)

    def _load_tree(self, command_id: uuid.UUID) -> None:
        async def load() -> None:
            nodes = await self.core.store.read(partial(reads.trace_nodes, command_id=command_id))
            if command_id == self.current:
                self._tree_loaded(nodes)

        self.run(load())

    def _tree_loaded(self, nodes: list[TraceNode]) -> None:
        selected = self._selected_node()
        expanded = self.tree_model.rowCount() == 0
        self.nodes = nodes
        self._items = build_tree(self.tree_model, nodes)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, header.count()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.expandAll() if expanded or len(nodes) < 200 else None
        self.timeline.set_nodes(nodes)
        self._summarize()
        if selected is not None and selected in self._items:
            self.select_node(selected)

    def _summarize(self) -> None:
        """The open command's counts, and its tokens and run time as every view gives them
        (its runs'); the tree's own figures are each node's."""
        nodes = self.nodes
        command = next((c for c in self.commands.rows if c.id == self.current), None)
        calls = sum(1 for n in nodes if n.type == "TOOL_CALL")
        turns = sum(1 for n in nodes if n.type == "LLM_PROMPT" and n.parent_id is not None)
        failed = sum(1 for n in nodes if n.error)
        stopped = sum(1 for n in nodes if node_status(n) == "cancelled")
        parts = [f"<b>{len(nodes)} entries</b>", f"{turns} model turns", f"{calls} tool calls"]
        if command is not None:
            if command.tokens.total:
                parts.append(f"{count(command.tokens.total)} tokens")
            parts.append(f"ran {_ran(command)}")
        if failed:
            parts.append(
                f"<span style='color:{status_color('FAILED').name()}'>{failed} failed</span>"
            )
        if stopped:
            color = status_color("CANCELLED").name()
            parts.append(f"<span style='color:{color}'>{stopped} cancelled</span>")
        self.summary.setText(" · ".join(parts))
        tip = [RAN_TIP]
        if command is not None:
            tip.insert(0, tokens_tip(command.tokens))
        self.summary.setToolTip("\n\n".join(tip))

    def _selected_node(self) -> uuid.UUID | None:
        indexes = self.tree.selectionModel().selectedIndexes()
        node = indexes[0].data(NODE_ROLE) if indexes else None
        return node.id if isinstance(node, TraceNode) else None

    def select_node(self, node_id: uuid.UUID) -> None:
        item = self._items.get(node_id)
        if item is not None:
            self.tree.setCurrentIndex(item.index())
            self.tree.scrollTo(item.index())

    def _node_selected(self, selected: QItemSelection, _d: QItemSelection) -> None:
        indexes = selected.indexes()
        node = indexes[0].data(NODE_ROLE) if indexes else None
        if isinstance(node, TraceNode):
            self.detail.setPlainText(detail_text(node))
            self.timeline.selected = node.id
            self.timeline.update()

    def current_index(self) -> QModelIndex:
        return self.tree.currentIndex()
