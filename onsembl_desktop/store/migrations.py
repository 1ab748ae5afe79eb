"""Schema versions of the local SQLite database and the steps between them.

To change the schema: edit the models, bump :data:`SCHEMA_VERSION`, and add a step to ``_STEPS``
that takes a database at the previous version to the new one (tested on a file made by the previous
release). ``create_extras`` holds what ``metadata.create_all`` cannot express (triggers, FTS tables)
and must leave a new database identical to a migrated one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

SCHEMA_VERSION = 1

_STEPS: dict[int, Callable[[Connection], None]] = {
    # version N -> function taking a version-N database to N+1
}


def create_extras(conn: Connection) -> None:
    """Objects beyond the models, created with a new database."""


def upgrade(conn: Connection, from_version: int) -> None:
    for version in range(from_version, SCHEMA_VERSION):
        step = _STEPS.get(version)
        if step is None:
            raise RuntimeError(f"no migration from schema version {version} to {version + 1}")
        step(conn)
