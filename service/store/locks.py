"""Locks between racecal processes sharing one store: one per athlete (a pass) and one for the
schema upgrade. Two `racecal sync --once` at once, or one beside the service, otherwise
interleave their writes to one calendar and each takes the other's for the athlete's edits.

SQLite: a file per lock in a folder beside the database (`racecal.db.locks/`), taken with
flock(2), which the kernel drops when the holder dies, so a SIGKILL never leaves one behind.
PostgreSQL: a transaction advisory lock (pg_try_advisory_xact_lock) in a transaction of its
own, on a connection of its own, held open for as long as the lock is: ending the transaction
lets it go (no unlock statement, one round trip less on every pass), and the server drops it
when that connection ends. It conflicts with a session lock of the same key (an older racecal's
pass). The transaction only ever ran that SELECT: it holds no row, table or snapshot (read
committed), so it keeps nothing from vacuum; a server with idle_in_transaction_session_timeout
set shorter than a pass would end it under the pass (leave that unset for racecal's role). An
in-memory SQLite store has nobody to share with: no lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

POLL = 0.05


class Held(RuntimeError):
    """Another racecal process holds the lock; str() is one line saying who waits for what."""


def _key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"racecal:{name}".encode()).digest()[:8], signed=True)


def _folder(engine: Engine) -> Path | None:
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        return None
    return Path(database).with_name(Path(database).name + ".locks")


@contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[bool]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(POLL)
        yield True
    finally:
        # Closing the file releases the lock.
        os.close(fd)


def _try_pg(connection: Connection, key: int) -> bool:
    # Taken in the connection's open transaction (begun by this SELECT): held until it ends.
    held = connection.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
    return bool(held.scalar_one())


@contextmanager
def _pg_lock(engine: Engine, name: str, wait: float) -> Iterator[bool]:
    key = _key(name)
    with engine.connect() as connection:
        try:
            deadline = time.monotonic() + wait
            while not _try_pg(connection, key):
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(POLL)
            yield True
        finally:
            # Ending the transaction lets the lock go.
            connection.rollback()


@contextmanager
def lock(engine: Engine, name: str, wait: float) -> Iterator[bool]:
    """Hold the lock `name` (waiting up to `wait` seconds for it); yields False when another
    process still holds it then."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, name, wait) as held:
            yield held
        return
    folder = _folder(engine)
    if folder is None:
        yield True
        return
    with _file_lock(folder / f"{name}.lock", wait) as held:
        yield held


@contextmanager
def athlete(engine: Engine, athlete_id: str, wait: float) -> Iterator[None]:
    """The athlete's pass lock; Held when another racecal keeps it past `wait` seconds."""
    with lock(engine, f"athlete-{athlete_id}", wait) as held:
        if not held:
            raise Held(f"another racecal holds {athlete_id} (its pass is under way)")
        yield
