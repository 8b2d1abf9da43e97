"""Athletes' settings in the store (migration 0007, service.store.athletes) on SQLite and
PostgreSQL: an upgrade keeps every row that refers to an athlete, versions move with every
change and only then, and an update made from a stale read is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from service.store import athletes
from service.store.database import Store
from service.store.models import Athlete, SessionWritten

NOW = datetime(2027, 1, 11, 5, tzinfo=UTC)
SAM = {"id": "sam", "timezone": "Europe/Berlin", "run_days": ["mon", "wed", "sat"]}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.open("sqlite:///var/racecal.db", tmp_path)
    else:
        opened = Store.open(request.getfixturevalue("pg_url"))
    yield opened
    opened.engine.dispose()


def test_the_upgrade_keeps_what_refers_to_an_athlete(empty: Store) -> None:
    empty.upgrade("0006")
    # Written as a racecal before 0007 wrote it: the models are ahead of this schema.
    with empty.engine.begin() as c:
        c.execute(
            text("INSERT INTO athletes (id, created_at, needs_reauth) VALUES ('alex', :t, false)"),
            {"t": NOW.replace(tzinfo=None)},
        )
        c.execute(
            text(
                'INSERT INTO sessions (athlete_id, key, remote_id, content_hash, start, "end", '
                "state, updated_at, payload) VALUES ('alex', 'k', 'r', 'h', :t, :t, 'written', "
                ":t, '{}')"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
    empty.upgrade()
    with empty.session() as s:
        assert s.scalar(select(func.count()).select_from(SessionWritten)) == 1
        row = s.get(Athlete, "alex")
        assert row is not None
        assert (row.settings, row.version) == (None, 0)
    # A row no settings were stored for yet is no athlete racecal syncs.
    assert athletes.versions(empty) == {}
    assert athletes.put(empty, "alex", {"id": "alex"}, "config", "/cfg", NOW) == 1
    assert athletes.versions(empty) == {"alex": 1}


def test_versions_move_with_changes_only_and_stale_updates_are_refused(empty: Store) -> None:
    empty.upgrade()
    assert athletes.put(empty, "sam", SAM, "cli", "/here", NOW) == 1
    assert athletes.put(empty, "sam", SAM, "cli", "/here", NOW) == 1
    changed = {**SAM, "weekly_km": 50}
    assert athletes.put(empty, "sam", changed, "cli", "/here", NOW, expect=1) == 2
    with pytest.raises(athletes.Changed, match="sam"):
        athletes.put(empty, "sam", {**SAM, "weekly_km": 60}, "cli", "/here", NOW, expect=1)
    found = athletes.one(empty, "sam")
    assert found is not None
    assert found.settings == changed
    assert found.version == 2
    assert athletes.remove(empty, "sam", NOW)
    assert not athletes.remove(empty, "sam", NOW)
    assert athletes.versions(empty) == {}
    assert athletes.one(empty, "sam") is None
    with pytest.raises(athletes.Changed):
        athletes.put(empty, "gone", SAM, "cli", "/here", NOW, expect=1)
    # Back again: the same row, a newer version.
    assert athletes.put(empty, "sam", SAM, "cli", "/here", NOW) == 4


def test_processes_laying_in_the_same_athletes_at_once_do_not_fail(empty: Store) -> None:
    """Two services starting together on one database both lay the config's athletes in: the
    one whose insert comes second updates instead of failing."""
    empty.upgrade()
    ids = [f"a{i}" for i in range(20)]
    start = threading.Barrier(6)
    failed: list[BaseException] = []

    def lay_in() -> None:
        start.wait()
        for athlete_id in ids:
            try:
                athletes.put(empty, athlete_id, {**SAM, "id": athlete_id}, "config", "/c", NOW)
            except BaseException as exc:
                failed.append(exc)

    threads = [threading.Thread(target=lay_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert athletes.versions(empty) == dict.fromkeys(ids, 1)
