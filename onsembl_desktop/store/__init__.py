"""Local persistence: SQLAlchemy models, the SQLite database, the batched writer, queries."""

from .db import DB_FILENAME, DatabaseOpenError, SchemaTooNewError, open_database
from .store import Store

__all__ = ["DB_FILENAME", "DatabaseOpenError", "SchemaTooNewError", "Store", "open_database"]
