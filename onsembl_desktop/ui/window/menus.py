"""The main window's menus and toolbar: every action registered once, with its shortcut."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from .emergency import EmergencyButton

if TYPE_CHECKING:
    from ..main_window import MainWindow

EMERGENCY_KEYS = "Ctrl+Shift+X"


def build_menus(w: MainWindow) -> None:
    r = w.registry
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    w.settings_action = r.add("File", "&Settings…", "Ctrl+,", w.open_settings)
    file_menu.addAction(w.settings_action)
    file_menu.addAction(r.add("File", "&Archived output…", None, w.open_archives))
    file_menu.addSeparator()
    file_menu.addAction(r.add("File", "&Quit", "Ctrl+Q", w.close))

    view_menu = bar.addMenu("&View")
    toolbar = QToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    w.addToolBar(toolbar)
    w.toolbar = toolbar
    for i, (title, widget) in enumerate(w.page_list):
        action = r.add("Pages", title, f"Ctrl+{i + 1}", partial(w.show_page, widget))
        action.setCheckable(True)
        w.page_actions.addAction(action)
        view_menu.addAction(action)
        toolbar.addAction(action)
    w.page_actions.actions()[0].setChecked(True)
    view_menu.addSeparator()
    toolbar.addSeparator()
    w.all_action = r.add("Terminals", "All output", "Ctrl+0", w.show_all)
    w.split_action = r.add(
        "Terminals",
        "Split view",
        "Ctrl+Shift+D",
        w.toggle_split,
        checkable=True,
        tip="Watch several agents side by side (the selected agents, or choose from the menu)",
    )
    split_button = QToolButton()
    split_button.setDefaultAction(w.split_action)
    split_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    split_menu = QMenu(split_button)
    split_menu.aboutToShow.connect(lambda: w.terminals.fill_split_menu(split_menu, w.set_split))
    split_button.setMenu(split_menu)
    toolbar.addAction(w.all_action)
    toolbar.addWidget(split_button)
    for action in (
        w.all_action,
        w.split_action,
        r.add("Terminals", "Next terminal", "Ctrl+PgDown", partial(w.cycle, 1)),
        r.add("Terminals", "Previous terminal", "Ctrl+PgUp", partial(w.cycle, -1)),
        r.add("Terminals", "Focus the command bar", "Ctrl+L", w.focus_command),
        r.add("Agents", "Find agent", "Ctrl+Shift+F", w.agents_panel.search.setFocus),
    ):
        view_menu.addAction(action)

    agents_menu = bar.addMenu("&Agents")
    w.add_agent_action = r.add("Agents", "&Add agent…", "Ctrl+Shift+N", w.agent_actions.add_agent)
    w.emergency_action = r.add(
        "Agents",
        "&Emergency stop",
        EMERGENCY_KEYS,
        w.emergency.stop,
        tip="Stop every running command on every agent and pause all queues",
    )
    w.emergency_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    w.resume_action = r.add("Agents", "&Resume all queues", "Ctrl+Shift+U", w.emergency.resume)

    def fill_agents_menu() -> None:
        agents_menu.clear()
        agents_menu.addAction(w.add_agent_action)
        agents_menu.addSeparator()
        ids = w.agents_panel.selected_ids()
        if ids:
            w.agent_actions.fill_menu(agents_menu, ids)
        else:
            agents_menu.addAction("Select agents on the left for more").setEnabled(False)
        agents_menu.addSeparator()
        agents_menu.addAction(w.emergency_action)
        agents_menu.addAction(w.resume_action)

    agents_menu.aboutToShow.connect(fill_agents_menu)
    fill_agents_menu()
    w.agents_panel.add_button.clicked.connect(w.agent_actions.add_agent)

    tools_menu = bar.addMenu("&Tools")
    tools_menu.addAction(r.add("Tools", "&Presets…", "Ctrl+Shift+P", w.open_presets))
    tools_menu.addAction(r.add("Tools", "Constraint &profiles…", "Ctrl+Shift+L", w.open_profiles))

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(r.add("Help", "&Keyboard shortcuts", "F1", w.show_shortcuts))
    help_menu.addAction(r.add("Help", "&About Onsembl Desktop", None, w.show_about))

    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    w.emergency_button = EmergencyButton(w.emergency_action.shortcut().toString())
    w.emergency_button.clicked.connect(w.emergency.stop)
    toolbar.addWidget(w.emergency_button)
