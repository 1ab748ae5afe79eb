"""The pieces of the traces page: the tree model, the timeline, the detail text."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QWidget

from ...protocol.enums import CommandStatus
from ..presentation.numbers import count, duration_ms
from ..presentation.reads import TraceNode
from ..theme import muted_text, status_color

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
TREE_COLUMNS = ("Name", "Type", "Agent", "Duration", "Tokens", "Status")
TYPE_COLORS = {"LLM_PROMPT": "#6EA2F7", "TOOL_CALL": "#E8917A", "RESPONSE": "#B38CF5"}
TYPE_LABELS = {"LLM_PROMPT": "model turn", "TOOL_CALL": "tool call", "RESPONSE": "response"}


def node_status(node: TraceNode) -> str:
    """failed, cancelled (the run was stopped while it was open: ``metadata.status``), running
    or ok."""
    if node.error:
        return "failed"
    if str((node.metadata or {}).get("status", "")).upper() == "CANCELLED":
        return "cancelled"
    return "running" if node.completed_at is None and node.duration_ms is None else "ok"


def depth_first(nodes: list[TraceNode]) -> list[tuple[TraceNode, int]]:
    """Nodes in tree order with their depth (children by start time); orphans become roots."""
    ids = {n.id for n in nodes}
    children: dict[uuid.UUID | None, list[TraceNode]] = {}
    for n in nodes:
        parent = n.parent_id if n.parent_id in ids else None
        children.setdefault(parent, []).append(n)
    out: list[tuple[TraceNode, int]] = []

    def walk(parent: uuid.UUID | None, depth: int) -> None:
        for n in sorted(children.get(parent, []), key=lambda n: n.started_at):
            out.append((n, depth))
            walk(n.id, depth + 1)

    walk(None, 0)
    return out


def build_tree(model: QStandardItemModel, nodes: list[TraceNode]) -> dict[uuid.UUID, QStandardItem]:
    model.clear()
    model.setHorizontalHeaderLabels(list(TREE_COLUMNS))
    items: dict[uuid.UUID, QStandardItem] = {}
    for node, _depth in depth_first(nodes):
        status = node_status(node)
        row = [
            QStandardItem(node.name),
            QStandardItem(TYPE_LABELS.get(node.type, node.type)),
            QStandardItem(node.agent_name),
            QStandardItem(duration_ms(node.duration_ms)),
            QStandardItem(count(node.tokens_used) if node.tokens_used else ""),
            QStandardItem(status),
        ]
        for item in row:
            item.setEditable(False)
            item.setData(node, NODE_ROLE)
        row[1].setForeground(QColor(TYPE_COLORS.get(node.type, "#9AA0A6")))
        color = {
            "failed": CommandStatus.FAILED,
            "running": CommandStatus.EXECUTING,
            "cancelled": CommandStatus.CANCELLED,
        }.get(status, CommandStatus.COMPLETED)
        row[5].setForeground(status_color(color))
        for item in row[3:5]:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row[0].setToolTip(node.name)
        if node.tokens_used:
            row[4].setToolTip(f"{node.tokens_used:,} tokens")
        parent = items.get(node.parent_id) if node.parent_id else None
        (parent or model.invisibleRootItem()).appendRow(row)
        items[node.id] = row[0]
    return items


RULE = 40  # the separators' width: the detail pane is often narrow, a longer rule wrapped


def detail_text(node: TraceNode) -> str:
    """The node as readable text: a header, then each content field (strings as text, the rest as
    indented JSON)."""
    lines = [
        node.name,
        "=" * min(len(node.name), RULE),
        f"type      {TYPE_LABELS.get(node.type, node.type)} ({node.type})",
        f"agent     {node.agent_name}",
        f"started   {node.started_at.astimezone().strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}",
    ]
    if node.duration_ms is not None:
        lines.append(f"duration  {duration_ms(node.duration_ms)}")
    if node.tokens_used:
        lines.append(f"tokens    {node.tokens_used:,}")
    lines.append(f"status    {node_status(node)}")
    if node.error:
        lines.append(f"error     {node.error}")
    for key, value in node.content.items():
        lines += ["", f"── {key} " + "─" * max(0, RULE - 4 - len(key)), _format_value(value)]
    if node.metadata:
        lines += ["", "── metadata " + "─" * (RULE - 12), _format_value(node.metadata)]
    return "\n".join(lines)


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "{[":
            try:
                return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
            except ValueError:
                pass
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class RowLayout:
    node: TraceNode
    bar: QRect
    label: QRect  # where the label is drawn (the row's height)
    text: str  # the label as drawn (cut with "…" when it had to be)
    inside: bool  # over the bar (no room beside it)


def bar_color(node: TraceNode) -> QColor:
    if node.error:
        return status_color(CommandStatus.FAILED)
    return QColor(TYPE_COLORS.get(node.type, "#9AA0A6"))


class Timeline(QWidget):
    """Each node as a bar on one time axis, in tree order; clicking a bar selects its node."""

    nodeClicked = Signal(object)  # the node id
    ROW = 16

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[TraceNode, int]] = []
        self.selected: uuid.UUID | None = None
        self.setAccessibleName("Trace timeline")
        self.setMinimumHeight(self.ROW * 3)

    def set_nodes(self, nodes: list[TraceNode]) -> None:
        self.rows = depth_first(nodes)
        self.updateGeometry()
        self.setMinimumHeight(max(self.ROW * 3, self.ROW * len(self.rows) + 22))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(400, self.ROW * len(self.rows) + 22)

    def _span(self) -> tuple[float, float]:
        """The roots' time span: children are drawn within it (a CLI's own clock can disagree
        with the app's, and a recorded session carries the time it was recorded)."""
        if not self.rows:
            return 0.0, 1.0
        roots = [n for n, depth in self.rows if depth == 0]
        start = min(n.started_at.timestamp() for n in roots)
        end = max(max(_end(n) for n in roots), start + 0.001)
        inside = [n for n, _ in self.rows if start <= n.started_at.timestamp() <= end]
        end = max([end, *(_end(n) for n in inside)])
        return start, end - start

    def layout_rows(self) -> list[RowLayout]:
        """Each row's bar and where its label goes (the paint and the tests read this)."""
        if not self.rows:
            return []
        start, span = self._span()
        left, width = 4, max(10, self.width() - 8)
        fm = QFontMetrics(self.font())
        out = []
        for i, (node, depth) in enumerate(self.rows):
            y = 20 + i * self.ROW
            t0 = min(max(node.started_at.timestamp(), start), start + span)
            t1 = min(max(_end(node), t0), start + span)
            x0 = left + int((t0 - start) / span * width)
            x1 = left + int((t1 - start) / span * width)
            bar = QRect(x0, y + 2, max(3, x1 - x0), self.ROW - 4)
            x, room, inside = place_label(bar, fm.horizontalAdvance(node.name), left, self.width())
            label = node.name
            if x > bar.right() and fm.horizontalAdvance("  " * depth + label) <= room:
                label = "  " * depth + label  # the tree's indent, where there is room for it
            label = fm.elidedText(label, Qt.TextElideMode.ElideRight, room)
            out.append(RowLayout(node, bar, QRect(x, y, room, self.ROW), label, inside))
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        if not self.rows:
            p.setPen(muted_text())
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Select a command to see its timeline"
            )
            p.end()
            return
        _start, span = self._span()
        axis = QRect(4, 0, max(10, self.width() - 8), 18)
        p.setPen(muted_text())
        p.drawText(axis, Qt.AlignmentFlag.AlignLeft, "0")
        p.drawText(axis, Qt.AlignmentFlag.AlignRight, duration_ms(int(span * 1000)))
        for row in self.layout_rows():
            color = bar_color(row.node)
            background, text = row_colors(pal, row.node.id == self.selected)
            if background is not None:
                p.fillRect(QRect(0, row.label.top(), self.width(), self.ROW), background)
            p.fillRect(row.bar, color)
            p.setPen(on_color(color) if row.inside else text)
            p.drawText(row.label, Qt.AlignmentFlag.AlignVCenter, row.text)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        row = (int(event.position().y()) - 20) // self.ROW
        if 0 <= row < len(self.rows):
            self.selected = self.rows[row][0].id
            self.nodeClicked.emit(self.selected)
            self.update()


LABEL_GAP = 4
MIN_ROOM = 48  # narrower than this beside the bar, a label goes inside it


def place_label(bar: QRect, width: int, left: int, right: int) -> tuple[int, int, bool]:
    """Where a bar's label goes: ``(x, room, inside)``. Right of the bar when it fits, else left
    of it, else (cut to fit) on the side with more room; inside the bar, over its colour, when
    neither side has any (a bar across the whole axis). Never over another part of the bar."""
    width += 2  # fractional advances: a label given just its width came out cut
    after = right - (bar.right() + 1 + LABEL_GAP) - LABEL_GAP
    before = bar.left() - LABEL_GAP - left
    if width <= after:
        return bar.right() + 1 + LABEL_GAP, after, False
    if width <= before:
        return bar.left() - LABEL_GAP - width, width, False
    if max(after, before) >= MIN_ROOM:
        if after >= before:
            return bar.right() + 1 + LABEL_GAP, after, False
        return left, before, False
    return bar.left() + LABEL_GAP, max(0, bar.width() - 2 * LABEL_GAP), True


def on_color(background: QColor) -> QColor:
    """Text readable over ``background`` (a bar's colour): near-black on light, white on dark."""
    return QColor("#111111") if background.lightnessF() > 0.5 else QColor("#FFFFFF")


def row_colors(pal: QPalette, selected: bool) -> tuple[QColor | None, QColor]:
    """A timeline row's background (None: the widget's) and label colour. The selected row is
    a dark highlight, so its label is the highlighted-text colour (the plain text colour was
    dark on dark in the light theme)."""
    if not selected:
        return None, pal.color(QPalette.ColorRole.Text)
    return (
        pal.color(QPalette.ColorRole.Highlight).darker(150),
        pal.color(QPalette.ColorRole.HighlightedText),
    )


def _end(node: TraceNode) -> float:
    if node.completed_at is not None:
        return node.completed_at.timestamp()
    if node.duration_ms is not None:
        return node.started_at.timestamp() + node.duration_ms / 1000
    return node.started_at.timestamp()
