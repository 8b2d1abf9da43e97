"""The read-only look at a SQLite store (service.store.glance, Python's own sqlite3) gives what
the store's own queries give (SQLAlchemy, service.store.state and .athletes): over generated
rows of every table a look reads, with times in any zone, missing values and any text."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from service.config.fields import sqlite_file
from service.store.database import Store
from service.store.glance import Glance, newest_revision
from service.store.models import (
    Athlete,
    AthleteEdit,
    LastPlan,
    RaceSeen,
    SessionVersion,
    SessionWritten,
    SourceRead,
)

moments = st.datetimes(
    min_value=datetime(1970, 1, 2),  # noqa: DTZ001 (hypothesis bounds are naive)
    max_value=datetime(9998, 12, 30),  # noqa: DTZ001
    timezones=st.timezones(),
)
maybe_moments = st.none() | moments
words = st.text(max_size=40)
keys = st.text(min_size=1, max_size=20)


@st.composite
def athlete_rows(draw: st.DrawFn, athlete_id: str) -> list[object]:
    """An athlete with a random set of rows in every table a look reads."""
    settings_ = draw(st.none() | st.dictionaries(keys, st.integers() | words, max_size=3))
    rows: list[object] = [
        Athlete(
            id=athlete_id,
            created_at=draw(moments),
            settings=None if settings_ is None else json.dumps(settings_),
            origin=draw(st.none() | st.sampled_from(["config", "cli"])),
            base_dir=draw(st.none() | words),
            version=draw(st.integers(0, 2**31)),
            updated_at=draw(maybe_moments),
            removed_at=draw(st.none() | moments),
        )
    ]
    for key in draw(st.lists(keys, unique=True, max_size=4)):
        rows.append(
            SessionWritten(
                athlete_id=athlete_id,
                key=key,
                remote_id=draw(words),
                etag=draw(st.none() | words),
                content_hash=draw(st.text(max_size=64)),
                start=draw(moments),
                end=draw(moments),
                state=draw(st.sampled_from(["pending_create", "pending_update", "written"])),
                updated_at=draw(moments),
                payload=draw(words),
                created_at=draw(maybe_moments),
            )
        )
        for fingerprint in draw(st.lists(st.text(max_size=64), unique=True, max_size=3)):
            rows.append(
                SessionVersion(
                    athlete_id=athlete_id,
                    key=key,
                    fingerprint=fingerprint,
                    written_at=draw(moments),
                )
            )
    for key in draw(st.lists(keys, unique=True, max_size=3)):
        changes = draw(st.lists(st.sampled_from(["time", "title", "colour"]), max_size=3))
        rows.append(
            AthleteEdit(
                athlete_id=athlete_id,
                key=key,
                kind=draw(st.sampled_from(["pinned", "deleted", "released"])),
                start=draw(maybe_moments),
                end=draw(maybe_moments),
                seen_at=draw(moments),
                title=draw(st.none() | words),
                changes=",".join(changes),
                fingerprint=draw(st.none() | st.text(max_size=64)),
            )
        )
    for uid in draw(st.lists(keys, unique=True, max_size=3)):
        rows.append(
            RaceSeen(
                athlete_id=athlete_id,
                uid=uid,
                title=draw(words),
                race_date=draw(st.dates()),
                first_seen=draw(moments),
                last_seen=draw(moments),
                removed_at=draw(maybe_moments),
            )
        )
    if draw(st.booleans()):
        rows.append(
            LastPlan(
                athlete_id=athlete_id,
                made_at=draw(moments),
                digest=draw(st.text(max_size=64)),
                body=draw(words),
            )
        )
    for key in draw(st.lists(keys, unique=True, max_size=3)):
        rows.append(
            SourceRead(
                athlete_id=athlete_id,
                key=key,
                events=draw(st.integers(0, 10**6)),
                races=draw(st.integers(0, 10**6)),
                empty_since=draw(maybe_moments),
                accepted=draw(st.booleans()),
            )
        )
    return rows


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Glance]:
    path = tmp_path_factory.mktemp("glance") / "racecal.db"
    store = Store.open(f"sqlite:///{path}")
    store.upgrade()
    return store, Glance(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_glance_reads_what_the_store_reads(
    stores: tuple[Store, Glance], data: st.DataObject
) -> None:
    store, glance = stores
    athlete_id = f"a-{uuid.uuid4().hex[:12]}"
    rows = data.draw(athlete_rows(athlete_id))
    with store.session() as s, s.begin():
        s.add(rows[0])
        s.flush()
        s.add_all(rows[1:])
    assert glance.sync_state(athlete_id) == store.sync_state(athlete_id)
    assert glance.last_plan(athlete_id) == store.last_plan(athlete_id)
    assert glance.athletes() == store.athletes()


def test_a_glance_at_a_store_knows_its_revision(stores: tuple[Store, Glance]) -> None:
    store, glance = stores
    assert glance.revision() == store.revision() == newest_revision() == store.head()


def test_a_glance_at_a_store_not_upgraded_yet_has_no_revision(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    assert Store.open(f"sqlite:///{path}").revision() is None  # the file is made, no tables
    assert Glance(path).revision() is None


def test_a_glance_opens_nothing_for_writing(stores: tuple[Store, Glance]) -> None:
    _, glance = stores
    with glance._open() as db, pytest.raises(Exception, match="readonly"):
        db.execute("DELETE FROM athletes")


def test_a_glance_reads_a_store_in_the_middle_of_a_pass(tmp_path: Path) -> None:
    """A writer holding SQLite's write lock (a pass recording its writes) does not stop a look:
    WAL keeps the last commit readable."""
    path = tmp_path / "busy.db"
    store = Store.open(f"sqlite:///{path}")
    store.upgrade()
    now = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
    with store.session() as s, s.begin():
        s.add(Athlete(id="alex", created_at=now, settings="{}", origin="cli", base_dir="/"))
    with store.session() as s, s.begin():
        s.add(Athlete(id="blake", created_at=now, settings="{}", origin="cli", base_dir="/"))
        s.flush()
        assert [a.id for a in Glance(path).athletes()] == ["alex"]
    assert [a.id for a in Glance(path).athletes()] == ["alex", "blake"]


@given(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
    ).map(lambda p: "sqlite:///" + p)
    | st.sampled_from(
        [
            "sqlite://",
            "sqlite:///:memory:",
            "sqlite:////var/lib/racecal/racecal.db",
            "sqlite:///var/racecal.db?timeout=20",
            "sqlite+pysqlite:///var/racecal.db",
            "sqlite:///var/a%20b.db",
            "postgresql://racecal@db/racecal",
        ]
    )
)
def test_a_plain_sqlite_url_names_the_file_sqlalchemy_names(url: str) -> None:
    """The one form a look reads without SQLAlchemy is read as SQLAlchemy reads it; every
    other URL is left to SQLAlchemy."""
    file = sqlite_file(url)
    if file is None:
        return
    parsed = make_url(url)
    assert parsed.get_backend_name() == "sqlite"
    assert parsed.database == file
    assert not parsed.query
