"""Errors meant for the user, kept apart from bugs.

A :class:`KnownError` is something the user can act on (disk full, database locked, a file written
by a newer version, a wrong token). Its message is shown as is, in the UI and on the command line.
Anything else that escapes is a bug: logged with its traceback and reported as an internal error.
"""


class KnownError(Exception):
    """An error with a message fit to show the user."""


class StorageError(KnownError):
    """The local database cannot be written right now (disk full, locked, read-only)."""
