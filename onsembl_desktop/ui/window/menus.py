"""The main window's menus and toolbar: every action registered once, with its shortcut.

``build_menus`` gets what the actions act on — the window's navigation (:class:`Navigation`), its
dialogs, the agent actions, the emergency control — and returns the actions the window refers to
later (:class:`Menus`); it sets nothing on the window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from ..widgets.agents_panel import AgentsPanel
from .actions import ActionRegistry
from .agent_actions import AgentActions
from .dialogs import WindowDialogs
from .emergency import EmergencyButton, EmergencyControl

EMERGENCY_KEYS = "Ctrl+Shift+X"


class Navigation(Protocol):
    """What the View menu and the toolbar move between (the main window does it)."""

    def show_page(self, widget: QWidget) -> None: ...
    def show_all(self) -> None: ...
    def toggle_split(self) -> None: ...
    def set_split(self, on: bool) -> None: ...
    def cycle(self, step: int) -> None: ...
    def focus_command(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Menus:
    """The actions and toolbar the window keeps using after the menus are built."""

    toolbar: QToolBar
    page_actions: QActionGroup  # one checkable action per page, in the toolbar and View
    settings_action: QAction
    all_action: QAction
    split_action: QAction
    add_agent_action: QAction
    emergency_action: QAction
    resume_action: QAction
    emergency_button: EmergencyButton


def build_menus(
    window: QMainWindow,
    registry: ActionRegistry,
    *,
    pages: Sequence[tuple[str, QWidget]],
    nav: Navigation,
    dialogs: WindowDialogs,
    agents_panel: AgentsPanel,
    agent_actions: AgentActions,
    emergency: EmergencyControl,
    fill_split_menu: Callable[[QMenu], None],
) -> Menus:
    r = registry
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    settings_action = r.add("File", "&Settings…", "Ctrl+,", dialogs.open_settings)
    file_menu.addAction(settings_action)
    file_menu.addAction(r.add("File", "&Archived output…", None, dialogs.open_archives))
    file_menu.addSeparator()
    file_menu.addAction(r.add("File", "&Quit", "Ctrl+Q", window.close))

    view_menu = bar.addMenu("&View")
    toolbar = QToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    window.addToolBar(toolbar)
    page_actions = QActionGroup(window)
    for i, (title, widget) in enumerate(pages):
        action = r.add("Pages", title, f"Ctrl+{i + 1}", partial(nav.show_page, widget))
        action.setCheckable(True)
        page_actions.addAction(action)
        view_menu.addAction(action)
        toolbar.addAction(action)
    page_actions.actions()[0].setChecked(True)
    view_menu.addSeparator()
    toolbar.addSeparator()
    all_action = r.add("Terminals", "All output", "Ctrl+0", nav.show_all)
    split_action = r.add(
        "Terminals",
        "Split view",
        "Ctrl+Shift+D",
        nav.toggle_split,
        checkable=True,
        tip="Watch several agents side by side (the selected agents, or choose from the menu)",
    )
    split_button = QToolButton()
    split_button.setDefaultAction(split_action)
    split_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    split_menu = QMenu(split_button)
    split_menu.aboutToShow.connect(lambda: fill_split_menu(split_menu))
    split_button.setMenu(split_menu)
    toolbar.addAction(all_action)
    toolbar.addWidget(split_button)
    for action in (
        all_action,
        split_action,
        r.add("Terminals", "Next terminal", "Ctrl+PgDown", partial(nav.cycle, 1)),
        r.add("Terminals", "Previous terminal", "Ctrl+PgUp", partial(nav.cycle, -1)),
        r.add("Terminals", "Focus the command bar", "Ctrl+L", nav.focus_command),
        r.add("Agents", "Find agent", "Ctrl+Shift+F", agents_panel.search.setFocus),
    ):
        view_menu.addAction(action)

    agents_menu = bar.addMenu("&Agents")
    add_agent_action = r.add("Agents", "&Add agent…", "Ctrl+Shift+N", agent_actions.add_agent)
    emergency_action = r.add(
        "Agents",
        "&Emergency stop",
        EMERGENCY_KEYS,
        emergency.stop,
        tip="Stop every running command on every agent and pause all queues",
    )
    emergency_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    resume_action = r.add("Agents", "&Resume all queues", "Ctrl+Shift+U", emergency.resume)

    def fill_agents_menu() -> None:
        agents_menu.clear()
        agents_menu.addAction(add_agent_action)
        agents_menu.addSeparator()
        ids = agents_panel.selected_ids()
        if ids:
            agent_actions.fill_menu(agents_menu, ids)
        else:
            agents_menu.addAction("Select agents on the left for more").setEnabled(False)
        agents_menu.addSeparator()
        agents_menu.addAction(emergency_action)
        agents_menu.addAction(resume_action)

    agents_menu.aboutToShow.connect(fill_agents_menu)
    fill_agents_menu()
    agents_panel.add_button.clicked.connect(agent_actions.add_agent)

    tools_menu = bar.addMenu("&Tools")
    tools_menu.addAction(r.add("Tools", "&Presets…", "Ctrl+Shift+P", dialogs.open_presets))
    tools_menu.addAction(
        r.add("Tools", "Constraint &profiles…", "Ctrl+Shift+L", dialogs.open_profiles)
    )

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(r.add("Help", "&Keyboard shortcuts", "F1", dialogs.show_shortcuts))
    help_menu.addAction(r.add("Help", "&About Onsembl Desktop", None, dialogs.show_about))

    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    emergency_button = EmergencyButton(emergency_action.shortcut().toString())
    emergency_button.clicked.connect(emergency.stop)
    toolbar.addWidget(emergency_button)
    return Menus(
        toolbar=toolbar,
        page_actions=page_actions,
        settings_action=settings_action,
        all_action=all_action,
        split_action=split_action,
        add_agent_action=add_agent_action,
        emergency_action=emergency_action,
        resume_action=resume_action,
        emergency_button=emergency_button,
    )
