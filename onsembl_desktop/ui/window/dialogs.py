"""The main window's dialogs: shortcuts, about, settings, presets, profiles, archived output.

Every dialog opens with ``open()`` (no nested loop) through the window's ``open_dialog``; what a
dialog needs is passed in, not the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ..dialogs.common import AboutDialog, ShortcutsDialog
from ..theme import apply_theme

if TYPE_CHECKING:
    from ...app import OnsemblApp
    from ...core.service import Core
    from ..settings import UiSettings
    from .actions import ActionRegistry

OpenDialog = Callable[[QDialog, Callable[[], object] | None], None]


class WindowDialogs:
    def __init__(
        self,
        parent: QWidget,
        core: Core,
        settings: UiSettings,
        registry: ActionRegistry,
        *,
        gateway_url: str,
        agent_command: str,
        onsembl: OnsemblApp | None,
        open_dialog: OpenDialog,
        appearance_changed: Callable[[], None],
    ) -> None:
        self.parent = parent
        self.core = core
        self.settings = settings
        self.registry = registry
        self.gateway_url = gateway_url
        self.agent_command = agent_command
        self.onsembl = onsembl
        self.open_dialog = open_dialog
        self.appearance_changed = appearance_changed  # the window repaints in the new theme/font

    def show_shortcuts(self) -> None:
        self.open_dialog(ShortcutsDialog(self.registry.shortcuts(), self.parent), None)

    def show_about(self) -> None:
        self.open_dialog(AboutDialog(self.parent), None)

    def open_settings(self) -> None:
        from ..dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self.settings,
            self.gateway_url,
            self.agent_command,
            self.parent,
            core=self.core,
            onsembl=self.onsembl,
        )
        self.open_dialog(dialog, self.apply_settings)

    def open_presets(self) -> None:
        from ..dialogs.presets_manager import PresetsManager

        self.open_dialog(PresetsManager(self.core, self.parent), None)

    def open_profiles(self) -> None:
        from ..dialogs.profiles_manager import ProfilesManager

        self.open_dialog(ProfilesManager(self.core, self.parent), None)

    def open_archives(self) -> None:
        from ..dialogs.archives_dialog import ArchivesDialog

        self.open_dialog(ArchivesDialog(self.core, self.parent), None)

    def apply_settings(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)
        self.appearance_changed()
