# The UI tests' fixtures: a real app on port 0 with its window, on a qasync loop.
from tests.ui.conftest import qloop, ui_run

__all__ = ["qloop", "ui_run"]
