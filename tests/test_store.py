"""The store on SQLite and on PostgreSQL (the `pg_url` fixture in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from service.store.database import Store, StoreError
from service.store.models import Athlete, RaceSeen, SessionWritten

TABLES = {
    "athletes",
    "calendars",
    "races_seen",
    "race_date_changes",
    "sessions",
    "athlete_edits",
    "sync_runs",
    "alembic_version",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = "sqlite:///var/racecal.db"
        opened = Store.open(url, tmp_path)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"))
    opened.upgrade()
    yield opened
    opened.engine.dispose()


def test_upgrade_from_empty_creates_every_table_at_head(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    assert store.revision() == store.head() == "0001"
    store.upgrade()  # idempotent
    assert store.revision() == "0001"


def test_times_come_back_aware_in_utc(store: Store) -> None:
    berlin_evening = datetime(2027, 3, 28, 21, 30, tzinfo=timezone(timedelta(hours=2)))
    with store.session() as s, s.begin():
        s.add(Athlete(id="alex", created_at=berlin_evening))
    with store.session() as s:
        athlete = s.get(Athlete, "alex")
        assert athlete is not None
        assert athlete.created_at == berlin_evening
        assert athlete.created_at.tzinfo is not None
        assert athlete.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(store: Store) -> None:
    with store.session() as s, pytest.raises(Exception, match="naive datetime"), s.begin():
        s.add(Athlete(id="x", created_at=datetime(2027, 1, 1)))  # noqa: DTZ001


def test_session_keys_are_unique_per_athlete_and_foreign_keys_hold(store: Store) -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    row = {
        "key": "r/w-03/long",
        "remote_id": "abc",
        "content_hash": "h",
        "start": now,
        "end": now + timedelta(hours=2),
        "state": "written",
        "updated_at": now,
    }
    with store.session() as s, s.begin():
        s.add(Athlete(id="alex", created_at=now))
        s.add(Athlete(id="sam", created_at=now))
        s.add(SessionWritten(athlete_id="alex", **row))
        s.add(SessionWritten(athlete_id="sam", **row))
    with store.session() as s, pytest.raises(IntegrityError), s.begin():
        s.add(SessionWritten(athlete_id="alex", **row))
    with store.session() as s, pytest.raises(IntegrityError), s.begin():
        s.add(SessionWritten(athlete_id="nobody", **{**row, "key": "other"}))


def test_deleting_an_athlete_cascades(store: Store) -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with store.session() as s, s.begin():
        s.add(Athlete(id="alex", created_at=now))
        s.add(
            RaceSeen(
                athlete_id="alex",
                uid="u",
                title="Marathon",
                race_date=date(2027, 4, 25),
                first_seen=now,
                last_seen=now,
            )
        )
    with store.session() as s, s.begin():
        athlete = s.get(Athlete, "alex")
        assert athlete is not None
        s.delete(athlete)
    with store.session() as s:
        assert s.scalars(select(RaceSeen)).all() == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = Store.open("sqlite:///state/racecal.db", tmp_path)
    store.upgrade()
    assert (tmp_path / "state" / "racecal.db").exists()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.engine.dispose()


def test_an_upgrade_cut_short_leaves_no_half_schema(tmp_path: Path) -> None:
    """A process killed mid-upgrade must not leave tables without their revision: the whole
    migration is one transaction on SQLite too."""
    from sqlalchemy import event  # noqa: PLC0415

    store = Store.open("sqlite:///cut.db", tmp_path)
    created = 0

    def cut(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        nonlocal created
        created += statement.lstrip().upper().startswith("CREATE TABLE")
        if created == 3:
            raise RuntimeError("power cut after the third table")

    event.listen(store.engine, "after_cursor_execute", cut)
    with pytest.raises(StoreError):
        store.upgrade()
    event.remove(store.engine, "after_cursor_execute", cut)
    assert inspect(store.engine).get_table_names() == []
    store.upgrade()
    assert store.revision() == store.head()
