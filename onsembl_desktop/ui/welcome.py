"""The first-run welcome: how to connect an agent, with the exact command ready to copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from .theme import monospace_font


class WelcomePanel(QWidget):
    """Shown until the first agent connects."""

    def __init__(self, agent_command: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agent_command = agent_command
        title = QLabel("<h2>Welcome to Onsembl Desktop</h2>")
        intro = QLabel(
            "Onsembl runs and supervises AI coding agents — Claude Code, Gemini CLI, Codex CLI or "
            "any shell — side by side. Each agent is a small <code>onsembl-agent</code> process "
            "that connects to this window."
        )
        intro.setWordWrap(True)
        step = QLabel("<b>1.</b> In a terminal on this machine, start an agent:")
        self.command = QLabel(agent_command)
        self.command.setObjectName("welcomeCommand")
        self.command.setFont(monospace_font())
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.command.setWordWrap(True)
        self.command.setFrameShape(QFrame.Shape.StyledPanel)
        self.command.setMargin(8)
        self.command.setAccessibleName("Agent command line")
        self.copy = QPushButton("Copy command")
        self.copy.setAccessibleName("Copy the agent command line")
        self.copy.clicked.connect(self._copy)
        kinds = QLabel(
            "Use <code>--type claude</code>, <code>gemini</code> or <code>codex</code> (and "
            "<code>--name</code>) to run an AI CLI instead of a shell."
        )
        kinds.setWordWrap(True)
        step2 = QLabel(
            "<b>2.</b> The agent appears on the left. Type a command below and press Enter."
        )
        demo = QLabel(
            "No agent CLI at hand? Start <code>onsembl --demo</code> to see three demo agents "
            "replaying recorded sessions."
        )
        demo.setWordWrap(True)
        box = QWidget()
        box.setMaximumWidth(720)
        inner = QVBoxLayout(box)
        for w in (title, intro, step, self.command, self.copy, kinds, step2, demo):
            inner.addWidget(w)
        inner.setAlignment(self.copy, Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.agent_command)
        self.copy.setText("Copied")
