"""The store: SQLAlchemy models, Alembic migrations and the database engine (SQLite by default,
PostgreSQL by URL); the one owner of what racecal remembers between passes. records.py holds
its values (no database library), glance.py a read-only look at a SQLite file without
SQLAlchemy for the commands that only read.

May import: scheduler (for payloads of placed sessions), connectors.base (value types only).
Never config, sync, daemon, views or cli.
"""
