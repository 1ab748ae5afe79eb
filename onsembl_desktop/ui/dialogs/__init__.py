"""Dialogs: settings (with tokens and sync), add agent, presets and profiles managers, preset
variables, archived output, and the small shared ones (``common``: about, shortcuts, ask)."""
