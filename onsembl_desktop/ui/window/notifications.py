"""The tray icon and desktop notifications.

A notification is shown when a command completes or fails while the window is not the active
one (the user is elsewhere); the tray tooltip and icon badge show how many agents are busy. Where
the platform has no tray, the notifications are still recorded (``sent``) and the window title
carries the busy count.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QSystemTrayIcon

from ...core.events import CommandChanged, EventBus
from ...protocol.enums import CommandStatus
from ..settings import UiSettings


def app_icon(busy: int = 0) -> QIcon:
    """The app's icon, with a badge for the number of busy agents."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    base = _icon_file()
    if base is not None:
        base.paint(p, QRect(0, 0, 64, 64))
    else:
        p.setBrush(QColor("#5B3EA4"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(4, 4, 56, 56)
        p.setPen(QColor("white"))
        font = QFont()
        font.setPixelSize(36)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRect(0, 0, 64, 64), Qt.AlignmentFlag.AlignCenter, "O")
    if busy:
        p.setBrush(QColor("#C5221F"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(34, 0, 30, 30)
        p.setPen(QColor("white"))
        font = QFont()
        font.setPixelSize(20)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRect(34, 0, 30, 30), Qt.AlignmentFlag.AlignCenter, str(min(busy, 99)))
    p.end()
    return QIcon(pixmap)


def _icon_file() -> QIcon | None:
    try:
        from ...about import app_icon_path  # the packaged icon, where packaging provides it
    except ImportError:
        return None
    path = app_icon_path()
    return QIcon(str(path)) if path.is_file() else None


class Notifier(QObject):
    def __init__(self, window: QMainWindow, bus: EventBus, settings: UiSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.sent: list[tuple[str, str]] = []  # (title, message), newest last
        self._open: set[uuid.UUID] = set()  # commands seen not yet finished
        self._busy = -1
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), self)
            menu = QMenu(window)
            menu.addAction("Show Onsembl", self._raise)
            menu.addSeparator()
            menu.addAction("Quit", window.close)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(lambda _reason: self._raise())
            self.tray.messageClicked.connect(self._raise)
            self.tray.show()
        window.setWindowIcon(app_icon())
        self._unsubscribe = bus.subscribe(CommandChanged, self._command)
        self.set_busy(0)

    def close(self) -> None:
        self._unsubscribe()
        if self.tray is not None:
            self.tray.hide()

    def set_busy(self, busy: int) -> None:
        if busy == self._busy:
            return
        self._busy = busy
        tip = f"Onsembl Desktop — {busy} agent{'s' if busy != 1 else ''} busy"
        if self.tray is not None:
            self.tray.setToolTip(tip)
            self.tray.setIcon(app_icon(busy))

    def _raise(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _command(self, ev: CommandChanged) -> None:
        c = ev.command
        if not c.status.is_final:
            self._open.add(c.id)
            return
        if c.id not in self._open:
            return
        self._open.discard(c.id)
        if c.status is CommandStatus.CANCELLED:
            return  # the user did that
        active = QApplication.activeWindow()
        focused = active is not None and (active is self.window or self.window.isAncestorOf(active))
        if focused or not self.settings.notifications:
            return
        agents = ", ".join(r.agent_name for r in c.runs)
        first = c.content.strip().splitlines()[0] if c.content.strip() else ""
        if c.status is CommandStatus.COMPLETED:
            title = f"Completed on {agents}"
            icon = QSystemTrayIcon.MessageIcon.Information
        else:
            title = f"Failed on {agents}"
            icon = QSystemTrayIcon.MessageIcon.Warning
        body = first[:120] + (
            f"\n{c.error}" if c.error and c.status is CommandStatus.FAILED else ""
        )
        self.sent.append((title, body))
        if self.tray is not None:
            self.tray.showMessage(title, body, icon, 8000)
