"""The sync engine (future): pushes the local store's outbox to PostgreSQL (Supabase) and pulls
changes back, with psycopg. Empty for now; it holds its place in the layers (below ``core``, above
``store``) so the import contracts in pyproject.toml check it from the start.
"""
