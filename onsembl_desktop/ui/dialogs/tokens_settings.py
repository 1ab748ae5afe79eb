"""Settings → Agent tokens: list, create and revoke the tokens agents connect with
(``gateway.tokens.AgentTokens``, the same ones ``onsembl ctl tokens`` manages).

A new token is shown once, here, with a Copy button and the agent command line that uses it: only
its hash is kept. The list follows ``TokensChanged``, so connections made or closed with a token,
and tokens created or revoked from ``ctl``, show up while the dialog is open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.events import EventBus, TokensChanged
from ...gateway.tokens import AgentTokens, TokenError, TokenInfo
from ...words import plural
from ..models.rows_model import ROW_ROLE, Column, RowsModel
from ..presentation.tasks import spawn
from ..theme import status_color
from ..widgets.common import CopyField, make_table
from .common import ask

CommandFor = Callable[[str, str], str]  # (agent name, token) -> the agent command line


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


COLUMNS: list[Column[TokenInfo]] = [
    Column("Label", lambda t: t.label + (" (default)" if t.default else "")),
    Column("Agent", lambda t: t.agent or "any"),
    Column("Created", lambda t: _when(t.created_at)),
    Column("Last used", lambda t: _when(t.last_used_at) or ("" if t.default else "never")),
    Column("Connections", lambda t: str(t.connections), right=True),
]


class _EnterCreates(QObject):
    """Enter in the new token's fields creates it. Taken here: a line edit passes Enter on to
    the dialog, whose default button (OK, or Create if it had focus) would act as well."""

    def __init__(self, button: QPushButton, parent: QObject) -> None:
        super().__init__(parent)
        self.button = button

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        key = event.key() if isinstance(event, QKeyEvent) else None
        if event.type() == QEvent.Type.KeyPress and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.button.click()
            return True
        return super().eventFilter(watched, event)


class TokensSettings(QWidget):
    def __init__(
        self,
        tokens: AgentTokens,
        bus: EventBus,
        command_for: CommandFor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.tokens = tokens
        self.command_for = command_for
        intro = QLabel(
            "Agents connect with a token. The default token is the one this app's own agents "
            "use; create one per agent or machine to revoke it on its own. A new token is shown "
            "once: only its hash is kept."
        )
        intro.setWordWrap(True)
        self.model: RowsModel[TokenInfo] = RowsModel(COLUMNS, self)
        self.table = make_table(self.model, "Agent tokens", (0, 90, 125, 125, 90), stretch=0)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.revoke_button = QPushButton("Revoke…")
        self.revoke_button.setAccessibleName("Revoke the selected token")
        self.revoke_button.setToolTip("Disconnects the agents using it at once")
        self.revoke_button.clicked.connect(self._revoke_selected)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.revoke_button)

        create = QGroupBox("New token")
        form = QFormLayout(create)
        self.label = QLineEdit()
        self.label.setPlaceholderText("e.g. build box")
        self.label.setAccessibleName("New token label")
        self.agent = QLineEdit()
        self.agent.setPlaceholderText("any agent name")
        self.agent.setAccessibleName("Agent name the new token is for")
        self.agent.setToolTip("Bound to a name, the token connects only an agent of that name")
        self.create_button = QPushButton("Create token")
        self.create_button.clicked.connect(lambda: spawn(self.create_token()))
        self._enter = _EnterCreates(self.create_button, self)
        self.label.installEventFilter(self._enter)
        self.agent.installEventFilter(self._enter)
        form.addRow("&Label", self.label)
        form.addRow("&For agent", self.agent)
        form.addRow("", self.create_button)

        self.created = QGroupBox("Copy it now: it is not shown again")
        shown = QFormLayout(self.created)
        self.new_token = CopyField("", "New token")
        self.new_command = CopyField("", "Agent command line with the new token", wrap=True)
        shown.addRow("Token", self.new_token)
        shown.addRow("Command", self.new_command)
        self.created.hide()

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Tokens message")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(create)
        layout.addWidget(self.created)
        layout.addWidget(self.message)
        self._unsubscribe = bus.subscribe(TokensChanged, lambda _e: self.refresh())
        self.refresh()

    def close_section(self, *_result: int) -> None:
        self._unsubscribe()

    # --- the list ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        chosen = self.selected()
        self.model.set_rows(self.tokens.all())
        if chosen is not None:
            self.select(chosen.id)
        self._selected()

    def selected(self) -> TokenInfo | None:
        rows = self.table.selectionModel().selectedRows()
        info = rows[0].data(ROW_ROLE) if rows else None
        return info if isinstance(info, TokenInfo) else None

    def select(self, token_id: str) -> None:
        for row, info in enumerate(self.model.rows):
            if info.id == token_id:
                self.table.selectRow(row)

    def _selected(self, *_args: QItemSelection) -> None:
        info = self.selected()
        self.revoke_button.setEnabled(info is not None and not info.default)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {status_color('FAILED').name()};" if error else "")
        self.message.setText(text)

    # --- create and revoke ------------------------------------------------------------------------

    async def create_token(self) -> TokenInfo | None:
        agent = self.agent.text().strip() or None
        try:
            info, token = await self.tokens.create(self.label.text(), agent)
        except TokenError as exc:
            self._say(f"Cannot create the token: {exc}.", error=True)
            return None
        self.new_token.set_text(token)
        self.new_command.set_text(self.command_for(agent or "sh1", token))
        self.created.show()
        self.label.clear()
        self.agent.clear()
        bound = f" for the agent {agent}" if agent else ""
        self._say(f"Created “{info.label}”{bound}.")
        self.select(info.id)
        return info

    def _revoke_selected(self) -> None:
        info = self.selected()
        if info is not None:
            spawn(self.revoke_token(info))

    async def revoke_token(self, info: TokenInfo) -> bool:
        live = (
            f" {plural(info.connections, 'agent connection')} using it close at once."
            if info.connections
            else ""
        )
        question = (
            f"Revoke “{info.label}”? Agents can no longer connect with it.{live} "
            "This cannot be undone."
        )
        if not await ask(self, "Revoke token", question, "Revoke"):
            return False
        try:
            revoked = await self.tokens.revoke(info.id)
        except TokenError as exc:
            self._say(f"Cannot revoke: {exc}.", error=True)
            return False
        closed = ""
        if revoked.connections:
            closed = f"; {plural(revoked.connections, 'connection')} closed"
        self._say(f"Revoked “{revoked.label}”{closed}.")
        return True
