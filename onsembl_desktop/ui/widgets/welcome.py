"""The first-run welcome: how to connect an agent, with the exact command ready to copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..theme import monospace_font
from .common import CopyField


class WelcomePanel(QWidget):
    """Shown until the first agent connects."""

    def __init__(
        self, agent_command: str, fingerprint: str | None = None, parent: QWidget | None = None
    ) -> None:
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
        # With TLS the command pins the certificate; the fingerprint alone is for checking it
        # (or for an agent started by other means, e.g. $ONSEMBL_FINGERPRINT).
        pinned: list[QWidget] = []
        self.fingerprint: CopyField | None = None
        if fingerprint:
            pin = QLabel("The gateway serves TLS; agents pin its certificate's fingerprint:")
            pin.setWordWrap(True)
            self.fingerprint = CopyField(fingerprint, "TLS certificate fingerprint")
            pinned = [pin, self.fingerprint]
        box = QWidget()
        box.setMaximumWidth(880)  # a TLS command's fingerprint (95 characters) fits a line
        inner = QVBoxLayout(box)
        for w in (title, intro, step, self.command, self.copy, *pinned, kinds, step2, demo):
            inner.addWidget(w)
        inner.setAlignment(self.copy, Qt.AlignmentFlag.AlignLeft)
        # Centred by stretches, not by alignment: an aligned widget gets only its size hint,
        # which for wrapped labels is narrow, and its text was cut off.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 100)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.agent_command)
        self.copy.setText("Copied")
