"""Agents → Add agent…: launch a local agent the app supervises, or connect one from elsewhere."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.records import LocalAgentSpec
from ...protocol.enums import AgentType
from ...protocol.messages import AGENT_NAME_RULE, is_agent_name
from ..presentation.tasks import spawn
from ..theme import monospace_font, status_color
from ..widgets.common import CopyField, labelled


def folder_of(text: str) -> str | None:
    """``text`` as a folder path (``~`` expanded), or None when it is not a folder. Touches the
    disk (a network mount can take seconds): run it off the loop."""
    path = Path(text).expanduser()
    return str(path) if path.is_dir() else None


class AddAgentDialog(QDialog):
    """``spec()`` is the local agent to launch when accepted (None on the "connect" tab)."""

    def __init__(
        self,
        agent_command: str,
        taken: set[str],
        *,
        can_launch: bool = True,
        parent: QWidget | None = None,
        fingerprint: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add agent")
        self.resize(600, 380)
        self.taken = taken
        self.tabs = QTabWidget()

        local = QWidget()
        form = QFormLayout(local)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. claude-1")
        self.name.setAccessibleName("Agent name")
        self.type = QComboBox()
        self.type.setAccessibleName("Agent type")
        for t in AgentType:
            self.type.addItem(t.value.title(), t)
        self.cwd = QLineEdit(str(Path.home()))
        self.cwd.setAccessibleName("Working directory")
        self.cli = QLineEdit()
        self.cli.setPlaceholderText("found on PATH (claude, gemini, codex)")
        self.cli.setAccessibleName("CLI path")
        cwd_row = _with_browse(self.cwd, self._browse_cwd)
        cli_row = _with_browse(self.cli, self._browse_cli)
        self.args = QLineEdit()
        self.args.setPlaceholderText("extra CLI arguments, e.g. --model sonnet")
        self.args.setAccessibleName("Extra CLI arguments")
        self.interactive = QCheckBox("Run the CLI's own interface (interactive terminal)")
        form.addRow("&Name", self.name)
        form.addRow("&Type", self.type)
        # A row that is a layout gets no buddy from addRow: the label showed "&Working …".
        form.addRow(labelled("&Working directory", self.cwd), cwd_row)
        form.addRow(labelled("&CLI", self.cli), cli_row)
        form.addRow("&Arguments", self.args)
        form.addRow("", self.interactive)
        note = QLabel(
            "The app starts this agent now and on every start, and restarts it if it crashes."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.problem = QLabel("")
        self.problem.setStyleSheet(f"color: {status_color('FAILED').name()};")
        self.problem.setWordWrap(True)
        form.addRow(self.problem)

        remote = QWidget()
        rl = QVBoxLayout(remote)
        explain = QLabel(
            "Run this on the machine where the agent should work (another host needs the app "
            "to listen on a reachable address: Settings → Gateway). Change <code>--type</code> "
            "and <code>--name</code> as needed."
        )
        explain.setWordWrap(True)
        command = QLabel(agent_command)
        command.setFont(monospace_font())
        command.setWordWrap(True)
        command.setAccessibleName("Agent command line")
        copy = QPushButton("Copy the agent command line")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(agent_command))
        rl.addWidget(explain)
        rl.addWidget(command)
        rl.addWidget(copy)
        self.fingerprint: CopyField | None = None
        if fingerprint:
            pin = QLabel(
                "The command pins the gateway's TLS certificate by its fingerprint (check it "
                "on the other machine, or give it as <code>$ONSEMBL_FINGERPRINT</code>):"
            )
            pin.setWordWrap(True)
            self.fingerprint = CopyField(fingerprint, "TLS certificate fingerprint")
            rl.addWidget(pin)
            rl.addWidget(self.fingerprint)
        rl.addStretch(1)

        if can_launch:
            self.tabs.addTab(local, "Launch on this machine")
        self.tabs.addTab(remote, "Connect from a terminal")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self.launching = can_launch
        self._folder: tuple[str, str] | None = None  # (as typed, as checked): the last good one
        self._checking: asyncio.Task[None] | None = None
        self._tab_changed()

    def _tab_changed(self, *_args: object) -> None:
        launch = self.launching and self.tabs.currentIndex() == 0
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Launch" if launch else "Close")
        # Showing a command line there is nothing to cancel: "Close" beside "Cancel" asked which.
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setVisible(launch)

    def _browse_cwd(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Working directory", self.cwd.text())
        if folder:
            self.cwd.setText(folder)

    def _browse_cli(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CLI program", self.cwd.text())
        if path:
            self.cli.setText(path)

    def spec(self) -> LocalAgentSpec | None:
        """The agent to launch, or None (connect tab); raises ValueError naming what is wrong.

        The working folder is checked by ``accept`` (off the loop); here it is only required."""
        if not (self.launching and self.tabs.currentIndex() == 0):
            return None
        name = self.name.text().strip()
        if not is_agent_name(name):
            raise ValueError(f"The name must be {AGENT_NAME_RULE}.")
        if name in self.taken:
            raise ValueError(f"An agent named {name} already exists.")
        cwd = self.cwd.text().strip()
        if not cwd:
            raise ValueError("Choose the working directory.")
        try:
            args = tuple(shlex.split(self.args.text()))
        except ValueError as exc:
            raise ValueError(f"Arguments: {exc}") from None
        return LocalAgentSpec(
            name=name,
            type=AgentType(self.type.currentData()),
            cwd=self._folder[1] if self._folder and self._folder[0] == cwd else cwd,
            cli=self.cli.text().strip() or None,
            cli_args=args,
            interactive=self.interactive.isChecked(),
        )

    def accept(self) -> None:
        try:
            spec = self.spec()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return
        if spec is None:
            super().accept()
        elif self._checking is None:
            self._checking = spawn(self._check_folder(self.cwd.text().strip()))

    async def _check_folder(self, cwd: str) -> None:
        """Whether the working folder exists, asked on a worker thread (the disk is never
        touched on the loop); Launch waits for the answer, which is quick on a local disk."""
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        try:
            folder = await asyncio.get_running_loop().run_in_executor(None, folder_of, cwd)
        finally:
            self._checking = None
            ok.setEnabled(True)
        if not self.isVisible() or self.cwd.text().strip() != cwd:
            return  # closed meanwhile, or the folder was changed: nothing to act on
        if folder is None:
            self.problem.setText(f"{cwd} is not a folder.")
            return
        self._folder = (cwd, folder)
        super().accept()


def _with_browse(edit: QLineEdit, browse: Callable[[], None]) -> QHBoxLayout:
    button = QPushButton("Browse…")
    button.setAccessibleName(f"Choose the {edit.accessibleName().lower()}")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row
