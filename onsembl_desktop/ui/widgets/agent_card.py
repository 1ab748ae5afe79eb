"""Paints an agent as a card: type stripe, name, status, activity, command, queue, tokens, graph."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ...core.state import AgentInfo
from ...protocol.enums import ActivityState, AgentStatus
from ..models.agent_model import AGENT_ROLE, STATS_ROLE, AgentStats
from ..presentation.numbers import tokens_text as format_tokens
from ..theme import muted_text, status_color, type_color, type_text_color

Index = QModelIndex | QPersistentModelIndex
PAD = 8
STRIPE = 4


def paint_sparkline(
    painter: QPainter, rect: QRect, values: Sequence[float], color: QColor, top: float
) -> None:
    """A small line graph of ``values`` scaled to ``top`` (at least the largest value)."""
    painter.save()
    grid = QColor(color)
    grid.setAlpha(40)
    painter.fillRect(rect, grid)
    if len(values) >= 2:
        scale = max(top, max(values), 1e-9)
        step = rect.width() / (len(values) - 1)
        path = QPainterPath()
        for i, v in enumerate(values):
            point = QPointF(rect.left() + i * step, rect.bottom() - (v / scale) * rect.height())
            if i == 0:
                path.moveTo(point)
            else:
                path.lineTo(point)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 1.5))
        painter.drawPath(path)
    painter.restore()


def status_words(agent: AgentInfo) -> str:
    """The card's top-right words: its activity when online, else its status; paused either
    way (an offline paused agent showed only the amber colour, not why)."""
    state = agent.activity if agent.status is AgentStatus.ONLINE else agent.status
    return state.value + (" · PAUSED" if agent.paused else "")


def tokens_text(stats: AgentStats) -> str:
    """The card's tokens and cost; nothing for an agent that never reported usage (a shell
    agent has no tokens: "0 tok" read as a count)."""
    return format_tokens(stats.tokens)


class AgentCardDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(260, line * 4 + PAD * 2 + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        agent = index.data(AGENT_ROLE)
        stats = index.data(STATS_ROLE)
        if not isinstance(agent, AgentInfo) or not isinstance(stats, AgentStats):
            super().paint(painter, option, index)
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        card = rect.adjusted(4, 3, -4, -3)
        bg = palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base)
        if selected:
            bg = QColor(bg)
            bg.setAlpha(110)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(bg)
        painter.drawRoundedRect(card, 5, 5)
        painter.fillRect(
            QRect(card.left(), card.top() + 1, STRIPE, card.height() - 1), type_color(agent.type)
        )
        if state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(card.adjusted(1, 1, -1, -1), 5, 5)
        self._paint_text(painter, card, agent, stats, palette)
        painter.restore()

    def _paint_text(
        self, painter: QPainter, card: QRect, agent: AgentInfo, stats: AgentStats, palette: QPalette
    ) -> None:
        base = painter.font()
        fm = QFontMetrics(base)
        line = fm.height()
        x = card.left() + STRIPE + PAD
        right = card.right() - PAD
        width = right - x
        y = card.top() + PAD
        text = palette.color(QPalette.ColorRole.Text)
        muted = muted_text()

        # Row 1: status dot, name (bold), activity on the right.
        dot = status_color(agent.status)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        painter.drawEllipse(QRect(x, y + line // 2 - 4, 8, 8))
        bold = QFont(base)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text)
        activity = status_words(agent)
        act_w = QFontMetrics(bold).horizontalAdvance(activity)
        name = QFontMetrics(bold).elidedText(
            agent.name, Qt.TextElideMode.ElideRight, width - act_w - 24
        )
        painter.drawText(QRect(x + 14, y, width - 14, line), Qt.AlignmentFlag.AlignVCenter, name)
        color = status_color(agent.activity if agent.status is AgentStatus.ONLINE else agent.status)
        if agent.paused:
            color = status_color(ActivityState.QUEUED)
        painter.setPen(color)
        painter.drawText(
            QRect(x, y, width, line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            activity,
        )
        painter.setFont(base)

        # Row 2: type (in its colour) and host; queue length on the right.
        y += line + 2
        painter.setPen(type_text_color(agent.type))
        kind = agent.type.value.title() + (" · interactive" if agent.interactive else "")
        if agent.cli_name:  # which CLI, which version: behaviour changes with it
            kind += f" · {agent.cli_name} {agent.cli_version}".rstrip()
        if stats.local:
            kind += f" · {stats.local}"
        painter.drawText(QRect(x, y, width, line), Qt.AlignmentFlag.AlignVCenter, kind)
        kind_w = fm.horizontalAdvance(kind)
        painter.setPen(muted)
        if agent.host_machine:
            host = fm.elidedText(
                f"· {agent.host_machine}", Qt.TextElideMode.ElideRight, width - kind_w - 90
            )
            painter.drawText(
                QRect(x + kind_w + 6, y, width, line), Qt.AlignmentFlag.AlignVCenter, host
            )
        queue = f"{agent.queue_length} queued" if agent.queue_length else "queue empty"
        painter.setPen(status_color(ActivityState.QUEUED) if agent.queue_length else muted)
        painter.drawText(
            QRect(x, y, width, line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            queue,
        )

        # Row 3: the command being run (or, while it lasts, what it waits for: a retry).
        y += line + 2
        if agent.notice:
            painter.setPen(status_color(ActivityState.QUEUED))
            cmd = fm.elidedText("↻ " + agent.notice, Qt.TextElideMode.ElideRight, width)
        elif stats.command_text:
            painter.setPen(text)
            first = stats.command_text.strip().splitlines()[0] if stats.command_text.strip() else ""
            cmd = fm.elidedText("› " + first, Qt.TextElideMode.ElideRight, width)
        else:
            painter.setPen(muted)
            cmd = stats.pending or (
                "no command running"
                if agent.status is AgentStatus.ONLINE
                else ("offline — commands sent now wait in its queue")
            )
            cmd = fm.elidedText(cmd, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(x, y, width, line), Qt.AlignmentFlag.AlignVCenter, cmd)

        # Row 4: tokens and cost; CPU and memory with their graphs.
        y += line + 2
        painter.setPen(muted)
        tokens = tokens_text(stats)
        if tokens:
            painter.drawText(QRect(x, y, width, line), Qt.AlignmentFlag.AlignVCenter, tokens)
        graph_w = 44
        cpu = f"{stats.cpu[-1]:.0f}%" if stats.cpu else "–"
        mem = f"{stats.memory[-1]:.0f}M" if stats.memory else "–"
        label_w = fm.horizontalAdvance("100%") + 4
        mem_x = right - label_w - graph_w
        cpu_x = mem_x - 8 - label_w - graph_w
        if cpu_x > x + fm.horizontalAdvance(tokens) + 8:
            graph_h = line - 6
            paint_sparkline(
                painter,
                QRect(cpu_x, y + 3, graph_w, graph_h),
                list(stats.cpu),
                status_color(ActivityState.PROCESSING),
                100.0,
            )
            painter.setPen(muted)
            painter.drawText(
                QRect(cpu_x + graph_w + 3, y, label_w, line), Qt.AlignmentFlag.AlignVCenter, cpu
            )
            paint_sparkline(
                painter,
                QRect(mem_x, y + 3, graph_w, graph_h),
                list(stats.memory),
                status_color(AgentStatus.ONLINE),
                0.0,
            )
            painter.setPen(muted)
            painter.drawText(
                QRect(mem_x + graph_w + 3, y, label_w, line), Qt.AlignmentFlag.AlignVCenter, mem
            )
