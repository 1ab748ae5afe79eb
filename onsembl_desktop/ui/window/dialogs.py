"""The main window's dialogs: shortcuts, about, settings, presets, profiles, archived output.

A mixin of :class:`~.main_window.MainWindow`; every dialog opens with ``open()`` (no nested loop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QWidget

from ..dialogs.common import AboutDialog, ShortcutsDialog
from ..pages.base import Page
from ..theme import monospace_font, terminal_scheme

if TYPE_CHECKING:
    from ...app import OnsemblApp
    from ...core.service import Core
    from ..models.agent_model import AgentTableModel
    from ..settings import UiSettings
    from ..terminal_views.terminals_page import TerminalsPage
    from .actions import ActionRegistry


class WindowDialogs:
    core: Core
    settings: UiSettings
    registry: ActionRegistry
    gateway_url: str
    agent_command: str
    onsembl: OnsemblApp | None
    terminals: TerminalsPage
    model: AgentTableModel
    page_list: list[tuple[str, Any]]

    def open_dialog(self, dialog: QDialog, on_accept: Callable[[], object] | None = None) -> None:
        raise NotImplementedError  # MainWindow's

    def widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def show_shortcuts(self) -> None:
        self.open_dialog(ShortcutsDialog(self.registry.shortcuts(), self.widget()))

    def show_about(self) -> None:
        self.open_dialog(AboutDialog(self.widget()))

    def open_settings(self) -> None:
        from ..dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self.settings,
            self.gateway_url,
            self.agent_command,
            self.widget(),
            core=self.core,
            onsembl=self.onsembl,
        )
        self.open_dialog(dialog, self.apply_settings)

    def open_presets(self) -> None:
        from ..dialogs.presets_manager import PresetsManager

        self.open_dialog(PresetsManager(self.core, self.widget()))

    def open_profiles(self) -> None:
        from ..dialogs.profiles_manager import ProfilesManager

        self.open_dialog(ProfilesManager(self.core, self.widget()))

    def open_archives(self) -> None:
        from ..dialogs.archives_dialog import ArchivesDialog

        self.open_dialog(ArchivesDialog(self.core, self.widget()))

    def apply_settings(self) -> None:
        from PySide6.QtWidgets import QApplication

        from ..theme import apply_theme

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)
        font = monospace_font(self.settings.font_size, self.settings.font_family or None)
        self.terminals.apply_appearance(font, terminal_scheme())
        self.model.refresh_theme()
        for _title, widget in self.page_list:
            if isinstance(widget, Page):
                widget.refresh_theme()
