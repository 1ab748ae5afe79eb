"""The agents model: a Qt item model adapting the core's events (no data lives in the widgets).

One row per agent. Besides the core's :class:`AgentInfo` snapshot it keeps what the views draw
and the core does not hold: a short CPU / memory history from heartbeats (for the sparklines),
the text of the command being run, and tokens and cost so far (stored totals read once at start,
plus live runs from ``CommandChanged``).

A local agent the app launched but that has not connected yet is not in the core's registry; it
gets a *pending* row (from ``LocalAgentChanged``) showing its process state, replaced by the real
agent when it connects and dropped when it is removed. Pending rows are not targets:
:meth:`AgentTableModel.agents` leaves them out.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QFont

from ...core.events import (
    AgentChanged,
    CommandChanged,
    EventBus,
    LocalAgentChanged,
    LocalAgentRemoved,
)
from ...core.records import LocalAgentInfo, LocalAgentState
from ...core.state import AgentInfo, CommandInfo, Tokens
from ...protocol.enums import AgentStatus, AgentType
from ..presentation.numbers import tokens_text, tokens_tip
from ..theme import status_color, type_color, type_text_color

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Name", "Type", "Status", "Activity", "Queue", "Tokens", "CPU", "Memory", "Host")
AGENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
AGENT_ROLE = Qt.ItemDataRole.UserRole + 2  # the AgentInfo
STATS_ROLE = Qt.ItemDataRole.UserRole + 3  # the AgentStats
HISTORY_POINTS = 60
_PENDING = uuid.UUID("5a0f3c1e-8d4b-4c53-9a57-0d1f6f1c2b7e")  # namespace of pending rows' ids


@dataclass(slots=True)
class AgentStats:
    cpu: deque[float]
    memory: deque[float]
    stored: Tokens  # finished runs in the database when the window opened
    live: dict[uuid.UUID, Tokens]  # per command, runs seen since
    command_text: str = ""
    local: str = ""  # for an agent the app launches: its process state, in words
    # A local agent not connected yet (or whose process failed): what its card says instead of
    # a command.
    pending: str = ""

    @property
    def tokens(self) -> Tokens:
        total = self.stored
        for t in self.live.values():
            total = total + t
        return total


def _stats() -> AgentStats:
    return AgentStats(deque(maxlen=HISTORY_POINTS), deque(maxlen=HISTORY_POINTS), Tokens(), {})


class AgentTableModel(QAbstractTableModel):
    def __init__(
        self,
        bus: EventBus,
        agents: list[AgentInfo],
        parent: QObject | None = None,
        command_text: Callable[[uuid.UUID], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._rows: list[AgentInfo] = sorted(agents, key=lambda a: a.name)
        self._stats: dict[uuid.UUID, AgentStats] = {a.id: _stats() for a in agents}
        self._counted: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self._local_states: dict[str, str] = {}
        self._pending: dict[str, uuid.UUID] = {}  # name -> the pending row's id
        self._command_text = command_text or (lambda _id: "")
        self._bold = QFont()
        self._bold.setBold(True)
        self._unsubscribe = [
            bus.subscribe(AgentChanged, self._changed),
            bus.subscribe(CommandChanged, self._command),
            bus.subscribe(LocalAgentChanged, self._local),
            bus.subscribe(LocalAgentRemoved, self._local_removed),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def agent(self, row: int) -> AgentInfo:
        return self._rows[row]

    def stats(self, agent_id: uuid.UUID) -> AgentStats:
        stats = self._stats.get(agent_id)
        if stats is None:
            stats = self._stats[agent_id] = _stats()
        return stats

    def row_of(self, agent_id: uuid.UUID) -> int:
        for i, a in enumerate(self._rows):
            if a.id == agent_id:
                return i
        return -1

    def agents(self) -> list[AgentInfo]:
        """The agents the core knows (not the pending local ones)."""
        pending = set(self._pending.values())
        return [a for a in self._rows if a.id not in pending]

    def pending_name(self, agent_id: uuid.UUID) -> str | None:
        """The local agent's name if ``agent_id`` is a pending row's, else None."""
        return next((n for n, i in self._pending.items() if i == agent_id), None)

    def set_stored_tokens(
        self, totals: dict[uuid.UUID, Tokens], counted: set[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        """Stored totals of finished runs; ``counted``: the (command, agent) runs they include."""
        self._counted |= counted
        for agent_id, tokens in totals.items():
            self.stats(agent_id).stored = tokens
        self._changed_all()

    def _changed_all(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1)
            )

    def refresh_theme(self) -> None:
        self._changed_all()

    # --- events -----------------------------------------------------------------------------------

    def _changed(self, ev: AgentChanged) -> None:
        agent = ev.agent
        stats = self.stats(agent.id)
        row = self.row_of(agent.id)
        old = self._rows[row] if row >= 0 else None
        if agent.health and (old is None or old.health != agent.health):
            cpu, mem = agent.health.get("cpu_usage"), agent.health.get("memory_usage")
            if isinstance(cpu, int | float) and isinstance(mem, int | float):
                stats.cpu.append(float(cpu))
                stats.memory.append(float(mem))
        if agent.current_command_id is None:
            stats.command_text = ""
        elif old is None or old.current_command_id != agent.current_command_id:
            stats.command_text = self._command_text(agent.current_command_id)
        stats.local = self._local_states.get(agent.name, stats.local)
        pending = self._pending.pop(agent.name, None)
        if row < 0 and pending is not None:
            row = self.row_of(pending)  # the local agent connected: its real row takes over
            self._stats.pop(pending, None)
        if row >= 0:
            self._rows[row] = agent
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        row = sum(1 for a in self._rows if a.name < agent.name)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, agent)
        self.endInsertRows()

    def set_local(self, infos: list[LocalAgentInfo]) -> None:
        for info in infos:
            self._local(LocalAgentChanged(info))

    def _local(self, ev: LocalAgentChanged) -> None:
        info = ev.agent
        text = "local"
        if info.state != LocalAgentState.RUNNING:
            text += f" · {info.state.lower()}"
        if info.next_restart_in_s is not None:
            text += f", restarts in {info.next_restart_in_s:.0f} s"
        name = info.spec.name
        self._local_states[name] = text
        known = [r for r, a in enumerate(self._rows) if a.name == name]
        if not known or name in self._pending:
            self._show_pending(info, text)
            return
        failed = _failed_text(info)  # (its card stays, saying why and what to do)
        for row in known:
            stats = self.stats(self._rows[row].id)
            stats.local = text
            stats.pending = failed
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _show_pending(self, info: LocalAgentInfo, text: str) -> None:
        """A local agent that never connected: a row from its spec and process state."""
        name = info.spec.name
        agent_id = self._pending.setdefault(name, uuid.uuid5(_PENDING, name))
        state = info.state
        status = {
            LocalAgentState.STARTING: AgentStatus.CONNECTING,
            LocalAgentState.RUNNING: AgentStatus.CONNECTING,
            LocalAgentState.CRASHED: AgentStatus.ERROR,
            LocalAgentState.FAILED: AgentStatus.ERROR,
        }.get(state, AgentStatus.OFFLINE)
        agent = AgentInfo(
            id=agent_id,
            name=name,
            type=info.spec.type,
            status=status,
            interactive=info.spec.interactive,
            cwd=info.spec.cwd,
            error=info.error or (f"exited with {info.last_exit}" if info.last_exit else None),
        )
        stats = self.stats(agent_id)
        stats.local = text
        stats.pending = _failed_text(info) or {
            LocalAgentState.STARTING: "starting — not connected yet",
            LocalAgentState.RUNNING: "started — not connected yet",
            LocalAgentState.CRASHED: "crashed before connecting — see its log",
            LocalAgentState.STOPPING: "stopping",
        }.get(state, "stopped — never connected; right-click to start it")
        row = self.row_of(agent_id)
        if row >= 0:
            self._rows[row] = agent
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        row = sum(1 for a in self._rows if a.name < name)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, agent)
        self.endInsertRows()

    def _local_removed(self, ev: LocalAgentRemoved) -> None:
        self._local_states.pop(ev.name, None)
        pending = self._pending.pop(ev.name, None)
        if pending is not None:
            row = self.row_of(pending)
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            self._stats.pop(pending, None)
            return
        for row, agent in enumerate(self._rows):  # connected once: its card stays, not "local"
            if agent.name == ev.name:
                self.stats(agent.id).local = ""
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _command(self, ev: CommandChanged) -> None:
        command: CommandInfo = ev.command
        for run in command.runs:
            if (command.id, run.agent_id) in self._counted:
                continue
            stats = self.stats(run.agent_id)
            if stats.live.get(command.id) != run.tokens:
                stats.live[command.id] = run.tokens
                row = self.row_of(run.agent_id)
                if row >= 0:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            agent = self._rows[r] if (r := self.row_of(run.agent_id)) >= 0 else None
            if agent is not None and agent.current_command_id == command.id:
                stats.command_text = command.content

    # --- Qt model API -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self._rows[index.row()]
        col = COLUMNS[index.column()]
        if role == AGENT_ID_ROLE:
            return a.id
        if role == AGENT_ROLE:
            return a
        if role == STATS_ROLE:
            return self.stats(a.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(a, col, self.stats(a.id))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _accessible(a, self.stats(a.id))
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == "Type":
                return QBrush(type_text_color(a.type))
            if col == "Status":
                return QBrush(status_color(a.status))
            if col == "Activity":
                return QBrush(status_color(a.activity))
        if role == Qt.ItemDataRole.FontRole and col == "Name":
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and col == "Name":
            return type_color(a.type)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(a, self.stats(a.id))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            "Queue",
            "Tokens",
            "CPU",
            "Memory",
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _display(a: AgentInfo, col: str, stats: AgentStats) -> str:
    if col == "Name":
        return a.name
    if col == "Type":
        return a.type.value.title()
    if col == "Status":
        return a.status.value
    if col == "Activity":
        return a.activity.value + (" (paused)" if a.paused else "")
    if col == "Queue":
        return str(a.queue_length) if a.queue_length else ""
    if col == "Tokens":
        return tokens_text(stats.tokens)
    if col == "CPU":
        cpu = a.health.get("cpu_usage")
        return f"{cpu:.0f}%" if isinstance(cpu, int | float) else ""
    if col == "Memory":
        mem = a.health.get("memory_usage")
        return f"{mem:.0f} MB" if isinstance(mem, int | float) else ""
    if col == "Host":
        return a.host_machine
    return ""


def _failed_text(info: LocalAgentInfo) -> str:
    """A FAILED local agent (refused for good, not restarted): why, and what the user can do."""
    if info.state != LocalAgentState.FAILED:
        return ""
    why = info.error or "exited with a fatal error — see its log"
    return f"{why} (not restarted: fix the cause, then start it again)"


def _accessible(a: AgentInfo, stats: AgentStats) -> str:
    parts = [
        a.name,
        f"{a.type.value.lower()} agent",
        a.status.value.lower(),
        a.activity.value.lower(),
    ]
    if stats.command_text:
        parts.append(f"running {stats.command_text[:80]}")
    if a.queue_length:
        parts.append(f"{a.queue_length} queued")
    if stats.pending:
        parts.append(f"local agent {stats.pending}")
    return ", ".join(parts)


def _tooltip(a: AgentInfo, stats: AgentStats) -> str:
    lines = [f"{a.name} — {a.type.value.title()} agent", f"Status: {a.status.value}"]
    if stats.command_text:
        lines.append(f"Running: {stats.command_text[:200]}")
    if stats.pending:
        lines.append(f"Local agent: {stats.pending}")
    if stats.tokens.total or stats.tokens.cost_usd is not None:
        lines.append(f"Tokens so far: {tokens_tip(stats.tokens)}")
    if a.cwd:
        lines.append(f"Working directory: {a.cwd}")
    if a.host_machine:
        lines.append(f"Host: {a.host_machine}")
    if a.cli_name:
        lines.append(f"CLI: {a.cli_name} {a.cli_version or '(version unknown)'}")
    if a.notice:
        lines.append(f"Now: {a.notice}")
    if stats.tokens.estimated:
        lines.append(f"Cost: an estimate ({stats.tokens.cost_source})")
    if a.version:
        lines.append(f"onsembl-agent {a.version}")
    if a.interactive:
        lines.append("Interactive: typing in its terminal goes to it")
    if a.error:
        lines.append(f"Error: {a.error}")
    return "\n".join(lines)


class AgentFilter(QSortFilterProxyModel):
    """Shows agents whose type and status are among the chosen ones (empty set: any)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.types: set[AgentType] = set()
        self.statuses: set[AgentStatus] = set()
        self.text = ""

    def set_filter(self, types: set[AgentType], statuses: set[AgentStatus], text: str = "") -> None:
        self.beginFilterChange()
        self.types, self.statuses, self.text = set(types), set(statuses), text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        agent = model.data(model.index(row, 0, parent), AGENT_ROLE)
        if not isinstance(agent, AgentInfo):
            return True
        if self.types and agent.type not in self.types:
            return False
        if self.statuses and agent.status not in self.statuses:
            return False
        return not self.text or self.text in agent.name.lower()
