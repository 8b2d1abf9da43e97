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
    "session_versions",
    "feed_tokens",
    "last_plans",
    "source_reads",
    "calendar_states",
    "quiet_passes",
    "push_channels",
    "quota_minutes",
    "invites",
    "google_tokens",
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
    assert store.revision() == store.head() == "0012"
    store.upgrade()  # idempotent
    assert store.revision() == "0012"


def test_the_revisions_read_without_alembic_are_alembics(tmp_path: Path) -> None:
    """A command that only reads the store asks its revision and the newest one without
    importing Alembic; both must be what Alembic itself says, before and after upgrades."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from service.store.database import alembic_config  # noqa: PLC0415

    opened = Store.open("sqlite:///var/racecal.db", tmp_path)
    script = ScriptDirectory.from_config(alembic_config(opened.engine))
    assert opened.head() == script.get_current_head()
    # One line of history: every revision but the first follows the one before it.
    assert len(script.get_heads()) == 1
    for revision in ("0001", "0003", "head"):
        opened.upgrade(revision)
        with opened.engine.connect() as connection:
            assert (
                opened.revision() == MigrationContext.configure(connection).get_current_revision()
            )
    assert opened.revision() == opened.head()
    opened.engine.dispose()
    assert Store.open("sqlite:///var/empty.db", tmp_path).revision() is None


def test_the_migrations_make_the_schema_the_models_declare(store: Store) -> None:
    from alembic.autogenerate import compare_metadata  # noqa: PLC0415
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    from service.store.models import Base  # noqa: PLC0415

    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


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


def test_upgrade_from_0001_keeps_what_was_written_as_racecals_versions(
    store_at_0001: Store,
) -> None:
    """A store of the first schema, with sessions written and an athlete's move, upgraded: each
    session's last write becomes its first known version (the fingerprint the sync computes of
    what the calendar holds when it holds that write), the move stays a move."""
    from sqlalchemy import column  # noqa: PLC0415
    from sqlalchemy import table as table_of  # noqa: PLC0415
    from sqlalchemy.sql.expression import TableClause  # noqa: PLC0415

    from connectors.base import RemoteEvent  # noqa: PLC0415
    from service.store import state  # noqa: PLC0415
    from service.store.models import UtcDateTime  # noqa: PLC0415
    from service.sync.fingerprint import of_held  # noqa: PLC0415

    times = {"created_at", "start", "end", "updated_at", "seen_at"}

    store = store_at_0001
    start = datetime(2027, 3, 7, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    end = start + timedelta(hours=2)
    payload = (
        '{"key": "r/w-03/long", "title": "Long run 24 km", "description": "Easy\\nsteady", '
        f'"start": "{start.isoformat()}", "end": "{end.isoformat()}"}}'
    )

    def table(name: str, *columns: str) -> TableClause:
        return table_of(name, *(column(c, UtcDateTime() if c in times else None) for c in columns))

    with store.engine.begin() as c:
        c.execute(
            table("athletes", "id", "created_at", "needs_reauth").insert(),
            {"id": "alex", "created_at": start, "needs_reauth": False},
        )
        c.execute(
            table(
                "sessions", "athlete_id", "key", "remote_id", "content_hash", "start", "end",
                "state", "updated_at", "payload",
            ).insert(),
            {
                "athlete_id": "alex", "key": "r/w-03/long", "remote_id": "abc",
                "content_hash": "old", "start": start, "end": end, "state": "written",
                "updated_at": start, "payload": payload,
            },
        )  # fmt: skip
        c.execute(
            table("athlete_edits", "athlete_id", "key", "kind", "start", "end", "seen_at").insert(),
            {"athlete_id": "alex", "key": "r/w-02/long", "kind": "pinned", "start": start,
             "end": end, "seen_at": start},
        )  # fmt: skip
    store.upgrade()
    assert store.revision() == "0012"
    loaded = state.load(store, "alex")
    held = RemoteEvent("abc", "Long run 24 km", start, end, "Easy\nsteady")
    assert set(loaded.versions["r/w-03/long"]) == {of_held(held)}
    assert loaded.managed["r/w-03/long"].created_at is None
    assert loaded.edits["r/w-02/long"].changes == ("time",)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at_0001(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.open("sqlite:///old.db", tmp_path)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"))
    opened.upgrade("0001")
    yield opened
    opened.engine.dispose()
