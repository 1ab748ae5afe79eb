"""The main window's parts: menus and toolbar from one action registry, its dialogs, the agent
actions, the emergency stop, notifications."""
