"""What the UI shows, without Qt: terminal engines fed by core events, the All view's document,
selection and find over a terminal, report export, reads for the pages, task spawning.

Nothing here imports PySide6, qasync or the Qt rooms of ``ui/`` (an import-linter contract), so
it runs and is tested without a display.
"""
