"""Servers the suite starts itself or expects, as fixtures shared by several test modules.

PostgreSQL is the server on 127.0.0.1:5432 (database `test`, user `postgres`, or
$RACECAL_TEST_POSTGRES). Each test gets a database of its own. With CI=true a missing server
fails the run; elsewhere it skips, so a laptop without PostgreSQL can still run the suite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.executors import Embedded, Queued
from tests.radicale_server import Radicale

PG_ADMIN = os.environ.get(
    "RACECAL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _own_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user config's state goes to $XDG_STATE_HOME/racecal: never the real one in a test
    (subprocesses inherit it too)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    server.start()
    yield server
    server.remove()


@pytest.fixture
def own_radicale(tmp_path: Path) -> Iterator[Radicale]:
    """A server of the test's own, for tests that stop and restart it."""
    server = Radicale(tmp_path)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def pg_url() -> Iterator[str]:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"racecal_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {exc}")
        pytest.skip("PostgreSQL not reachable")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The sync suites run on both stores: SQLite by default, PostgreSQL for teams."""
    if request.param == "sqlite":
        return "sqlite:///var/racecal.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["embedded", "procrastinate"])
def executor(request: pytest.FixtureRequest) -> Iterator[Embedded]:
    """The sync suites run on both executors: in process on the suite's own store, and
    through the procrastinate queue (on PostgreSQL, which it needs)."""
    made = (
        Embedded(None) if request.param == "embedded" else Queued(request.getfixturevalue("pg_url"))
    )
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgresql", "procrastinate"])
def stores_and_executors(request: pytest.FixtureRequest) -> Iterator[Embedded]:
    """Both stores under the embedded executor, and the procrastinate executor (PostgreSQL
    only)."""
    if request.param == "sqlite":
        made: Embedded = Embedded(None)
    elif request.param == "postgresql":
        made = Embedded(request.getfixturevalue("pg_url"))
    else:
        made = Queued(request.getfixturevalue("pg_url"))
    yield made
    made.close()
