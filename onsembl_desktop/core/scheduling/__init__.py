"""Command scheduling: a sans-I/O state machine (:class:`Scheduler`) and its records.

``Scheduler`` takes events as method calls and answers with :mod:`.actions`, which its driver
(``core.commands.CommandService``) performs. See :mod:`.scheduler` for the rules it keeps and
docs/ARCHITECTURE.md (*Core*) for how to extend it.
"""

from .model import Submission, Timing
from .scheduler import CommandError, Scheduler
from .stored import (
    KnownAgent,
    PauseState,
    QueueEntryRow,
    StoredCommand,
    StoredEntry,
    StoredRun,
    StoredWork,
)

__all__ = [
    "CommandError",
    "KnownAgent",
    "PauseState",
    "QueueEntryRow",
    "Scheduler",
    "StoredCommand",
    "StoredEntry",
    "StoredRun",
    "StoredWork",
    "Submission",
    "Timing",
]
