"""Sync with a PostgreSQL (Supabase) database: the local store's outbox pushed, other devices'
changes pulled from the remote change log, conflicts settled by last writer (docs/ARCHITECTURE.md,
"Sync"). Qt-free; below ``core`` (which owns the engine), above ``store``.

``engine`` runs it; ``local`` / ``apply`` are the SQLite side, ``remote`` / ``maintenance`` /
``fullcopy`` the PostgreSQL side, ``codec`` converts rows between them, ``credentials`` keeps the
password in the keyring, ``status`` is what the UI shows.
"""
