"""The state store: SQLite by default (WAL, foreign keys on), PostgreSQL by URL. The schema is
Alembic's from the first table on; `upgrade()` brings any database to the newest revision."""

from __future__ import annotations

import errno
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from service.store import locks
from service.store.glance import MIGRATIONS, newest_revision
from service.store.records import Stored, SyncState

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# A migration of a big history table may take a while; a start waits for another's upgrade.
UPGRADE_WAIT = 120.0


class StoreError(RuntimeError):
    """The store cannot be opened or upgraded; str() is one line naming the database."""


# What SQLite says when the disk under it is full, read-only or gone.
_SQLITE_REFUSALS = (
    "database or disk is full",
    "attempt to write a readonly database",
    "disk i/o error",
    "unable to open database file",
)
# PostgreSQL's: disk_full, read_only_sql_transaction, io_error.
_PG_REFUSALS = {"53100", "25006", "58030"}
_OS_REFUSALS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EIO}


def refused_write(exc: BaseException) -> str | None:
    """Why the database refused a write, in words, when it is the disk's fault (full,
    read-only, gone) rather than a defect: that is bad input to fix, like a file that cannot
    be written; None for anything else."""
    if isinstance(exc, DBAPIError):
        cause = exc.orig
        said = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        if said.lower() in _SQLITE_REFUSALS or getattr(cause, "sqlstate", None) in _PG_REFUSALS:
            return said
        return None
    if isinstance(exc, OSError) and exc.errno in _OS_REFUSALS:
        return exc.strerror or str(exc)
    return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens a transaction before DML only, so each CREATE TABLE of a
    # migration committed on its own and a process killed mid-upgrade left half a schema that
    # no later upgrade could finish. Transactions are begun explicitly instead (_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL keeps readers (racecal status) off the writer's back and survives SIGKILL mid-pass.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last commits,
    # which the sync's intents and reconciliation already survive (a lost intent is adopted
    # by its deterministic id, a lost outcome is settled against the calendar). FULL made
    # every pass wait for two fsyncs under the one write lock.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, base: Path | None = None) -> Engine:
    """An engine for `url`; a relative SQLite path is taken relative to `base` (the config
    file's directory) and its folder is created."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError("database_url: not a database URL") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.is_absolute() and base is not None:
            path = base / path
        # Folders are made in the state folder only: a typo elsewhere is an error, not a tree.
        inside = base is None or path.resolve().is_relative_to(base.resolve())
        if not path.parent.is_dir() and not inside:
            raise StoreError(f"{path}: there is no folder {path.parent} for the database")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot make its folder: {exc.strerror}") from None
        parsed = parsed.set(database=str(path))
    # An unreachable PostgreSQL host must fail a health check or a start in seconds, not hang.
    postgres = parsed.get_backend_name() == "postgresql"
    connect_args = {"connect_timeout": 5} if postgres else {}
    try:
        engine = create_engine(parsed, future=True, connect_args=connect_args)
    except NoSuchModuleError:
        raise StoreError(f"database_url: no database '{parsed.drivername}'") from None
    except ImportError:
        # The driver is not installed: for PostgreSQL, the postgres extra brings psycopg.
        extra = " (pip install 'racecal[postgres]')" if postgres else ""
        raise StoreError(
            f"database_url: the driver for {parsed.drivername} is not installed{extra}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
    return engine


def _begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front (waiting up to busy_timeout): a deferred
    # transaction that reads and then writes fails at once with "database is locked" when
    # another athlete's pass got the lock in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> AlembicConfig:
    # Alembic costs a command that only reads the store ~0.15 s of imports: loaded here, for
    # the upgrade alone.
    from alembic.config import Config as AlembicConfig  # noqa: PLC0415

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, base: Path | None = None) -> Store:
        return cls(make_engine(url, base))

    def upgrade(self, revision: str = "head") -> None:
        """Under the schema lock: two processes starting at once on an empty database would
        both create the first tables, and one of them fail."""
        try:
            with locks.lock(self.engine, "schema", UPGRADE_WAIT) as held:
                if not held:
                    where = self.engine.url.render_as_string(hide_password=True)
                    raise StoreError(
                        f"{where}: another racecal is upgrading the schema; try again later"
                    )
                from alembic import command  # noqa: PLC0415 (see alembic_config)

                command.upgrade(alembic_config(self.engine), revision)
        except StoreError:
            raise
        except Exception as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            said = refused_write(exc) or str(exc).splitlines()[0]
            raise StoreError(f"{where}: cannot upgrade the schema ({said})") from exc

    def revision(self) -> str | None:
        """The schema revision the store is at (Alembic's own table), None before the first
        upgrade."""
        try:
            with self.engine.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return None
                found = connection.execute(text("SELECT version_num FROM alembic_version"))
                return found.scalar()
        except DBAPIError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            said = refused_write(exc) or str(exc.orig).splitlines()[0]
            raise StoreError(f"{where}: cannot read the store ({said})") from exc

    def head(self) -> str | None:
        return newest_revision()

    # What a command that only reads asks of a store (service.store.glance.Reader).
    def athletes(self) -> list[Stored]:
        from service.store import athletes  # noqa: PLC0415 (athletes imports this module)

        return athletes.stored(self)

    def sync_state(self, athlete_id: str) -> SyncState:
        from service.store import state  # noqa: PLC0415 (state imports this module)

        return state.load(self, athlete_id)

    def last_plan(self, athlete_id: str) -> tuple[datetime, str] | None:
        from service.store import state  # noqa: PLC0415 (state imports this module)

        return state.last_plan(self, athlete_id)

    def session(self) -> Session:
        return self.sessions()

    def ping(self) -> str | None:
        """None when the store answers; else one line saying why not (for /healthz)."""
        database = self.engine.url.database or ""
        # A pooled SQLite connection keeps answering from a file that was deleted or whose folder
        # was unmounted, and every write after that is lost: check the path itself.
        on_file = self.engine.dialect.name == "sqlite" and database not in ("", ":memory:")
        if on_file and not Path(database).exists():
            return f"{database}: the database file is gone"
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            return f"{where}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return None
