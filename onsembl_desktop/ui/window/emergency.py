"""Emergency stop: the red button, the confirmation of what it stopped, and the "paused" banner.

The button acts at once (an emergency allows no "are you sure?"); what it did is shown right after
— every stopped command and every paused queue — with the way back: Resume all.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.events import EmergencyStopped, QueuesResumed
from ...core.records import EmergencyStopSummary
from ...core.service import Core
from ..presentation.colors import EMERGENCY_RED

BUTTON_STYLE = (
    f"QPushButton {{ background: {EMERGENCY_RED}; color: white; font-weight: bold;"
    " border: 1px solid #8E1512; border-radius: 4px; padding: 4px 12px; }"
    " QPushButton:hover { background: #D93025; }"
    " QPushButton:pressed { background: #8E1512; }"
    " QPushButton:focus { border: 2px solid white; }"
)


class EmergencyButton(QPushButton):
    def __init__(self, shortcut_text: str, parent: QWidget | None = None) -> None:
        super().__init__("■  Emergency stop", parent)
        self.setObjectName("emergencyStop")
        self.setStyleSheet(BUTTON_STYLE)
        self.setAccessibleName("Emergency stop")
        self.setAccessibleDescription(
            "Stops every running command on every agent and pauses every queue"
        )
        self.setToolTip(
            f"Stop every running command on every agent and pause all queues ({shortcut_text})"
        )
        self.setCursor(Qt.CursorShape.PointingHandCursor)


class EmergencySummaryDialog(QDialog):
    """What the emergency stop did; Resume all lifts it (``resume`` is then True)."""

    def __init__(self, summary: EmergencyStopSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resume = False
        self.setWindowTitle("Emergency stop")
        when = summary.at.astimezone().strftime("%H:%M:%S")
        n = len(summary.stopped)
        head = QLabel(
            f"<h3 style='color:{EMERGENCY_RED}'>Emergency stop at {when}</h3>"
            f"<p><b>{n} running command{'s' if n != 1 else ''} stopped.</b> "
            f"{len(summary.paused_agents)} queue{'s' if len(summary.paused_agents) != 1 else ''}"
            f" paused; {summary.waiting} command{'s' if summary.waiting != 1 else ''} still "
            "waiting. Nothing new starts until you resume.</p>"
        )
        head.setWordWrap(True)
        self.stopped = QListWidget()
        self.stopped.setAccessibleName("Stopped commands")
        for run in summary.stopped:
            first = run.content.strip().splitlines()[0] if run.content.strip() else ""
            self.stopped.addItem(f"{run.agent_name}: {first[:120]}")
        if not summary.stopped:
            self.stopped.addItem("(nothing was running)")
        paused = QLabel("Paused queues: " + (", ".join(summary.paused_agents) or "none"))
        paused.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.keep = buttons.addButton("Keep paused", QDialogButtonBox.ButtonRole.RejectRole)
        self.resume_button = buttons.addButton(
            "Resume all queues", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.keep.setDefault(True)  # Enter must not undo the stop
        buttons.accepted.connect(self._resume)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(QLabel("Stopped:"))
        layout.addWidget(self.stopped)
        layout.addWidget(paused)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def _resume(self) -> None:
        self.resume = True
        self.accept()


class EmergencyBanner(QFrame):
    """Shown while an emergency stop is in force, with the way out."""

    resumeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergencyBanner")
        self.setStyleSheet(
            f"#emergencyBanner {{ background: {EMERGENCY_RED}; }} "
            "#emergencyBanner QLabel { color: white; font-weight: bold; }"
        )
        self.text = QLabel("")
        self.text.setAccessibleName("Emergency stop state")
        resume = QPushButton("Resume all queues")
        resume.setAccessibleName("Resume all queues")
        resume.clicked.connect(self.resumeRequested.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(resume)
        self.hide()

    def show_stop(self, summary: EmergencyStopSummary | None) -> None:
        when = f" since {summary.at.astimezone():%H:%M:%S}" if summary else ""
        waiting = f" · {summary.waiting} waiting" if summary and summary.waiting else ""
        self.text.setText(f"Emergency stop in force{when}: every queue is paused{waiting}.")
        self.show()


class EmergencyControl(QObject):
    """Wires the button, the confirmation and the banner to ``core.emergency``."""

    def __init__(self, window: QWidget, core: Core) -> None:
        super().__init__(window)
        self.window = window
        self.core = core
        self.banner = EmergencyBanner()
        self.banner.resumeRequested.connect(self.resume)
        self.dialog: EmergencySummaryDialog | None = None
        self.last: EmergencyStopSummary | None = None
        self._unsubscribe = [
            core.bus.subscribe(EmergencyStopped, self._stopped),
            core.bus.subscribe(QueuesResumed, lambda _e: self.banner.hide()),
        ]
        if core.emergency.active:
            self.banner.show_stop(None)  # still in force from before a restart

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def stop(self) -> EmergencyStopSummary:
        """Stop everything now, then say what was stopped (the dialog does not block)."""
        summary = self.core.emergency.stop_all(reason="emergency stop in the window")
        self.dialog = EmergencySummaryDialog(summary, self.window)
        self.dialog.finished.connect(self._dialog_done)
        self.dialog.open()
        return summary

    def _dialog_done(self, _result: int) -> None:
        if self.dialog is not None and self.dialog.resume:
            self.resume()

    def resume(self) -> None:
        self.core.emergency.resume_all()

    def _stopped(self, ev: EmergencyStopped) -> None:
        self.last = ev.summary
        self.banner.show_stop(ev.summary)
