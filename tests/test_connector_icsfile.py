"""The .ics-file calendar keeps the connector contract, on real files, and never loses an event
it did not create."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from connectors.base import (
    BadData,
    CalendarConnector,
    Conflict,
    RemoteEvent,
    SessionEvent,
    Source,
    TrainingCalendar,
    managed_id,
)
from connectors.ics import IcsFileCalendar, IcsFileSource
from connectors.ics.swap import Changed, digest, replace_if_unchanged
from tests import ics_support
from tests.connector_contract import (
    MALFORMED,
    T0,
    ConnectorContract,
    SourceContract,
    cancelled_occurrence,
    decorated,
    session,
    vevent_of,
)

ROOT = Path(__file__).resolve().parent.parent


class TestIcsFileCalendar(ConnectorContract):
    @pytest.fixture
    def calendar(self, tmp_path: Path) -> IcsFileCalendar:
        return IcsFileCalendar(tmp_path / "training.ics")

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        """Edit the file the way another calendar app would: parse, change, write back."""
        assert isinstance(calendar, IcsFileCalendar)
        path = calendar.path
        cal = (
            icalendar.Calendar.from_ical(path.read_bytes()) if path.exists() else calendar._empty()
        )
        for component in list(cal.subcomponents):
            uid = str(component.get("UID", ""))
            if uid.removesuffix("@racecal") == event.id:
                cal.subcomponents.remove(component)
        cal.add_component(vevent_of(event, event.id))
        path.write_bytes(cal.to_ical())

    def vanish(self, calendar: TrainingCalendar) -> None:
        assert isinstance(calendar, IcsFileCalendar)
        calendar.path.unlink()

    def reopen(self, calendar: TrainingCalendar) -> TrainingCalendar:
        assert isinstance(calendar, IcsFileCalendar)
        return IcsFileCalendar(calendar.path)

    def decorate(self, calendar: TrainingCalendar, event: RemoteEvent) -> None:
        assert isinstance(calendar, IcsFileCalendar)

        def change(cal: icalendar.Calendar) -> None:
            for component in cal.walk("VEVENT"):
                if str(component["UID"]) == f"{event.id}@racecal":
                    decorated(component)

        ics_support.save_as_another_app(calendar.path, change)


class TestIcsFileSource(SourceContract):
    quiet_after_restart = True

    @pytest.fixture
    def source(self, tmp_path: Path) -> IcsFileSource:
        path = tmp_path / "races.ics"
        path.write_bytes(ics_support.EMPTY)
        return IcsFileSource(path)

    def _path(self, source: Source) -> Path:
        assert isinstance(source, IcsFileSource)
        return source.path

    def add(self, source: Source, event: icalendar.Event) -> None:
        ics_support.put(self._path(source), event)

    def remove(self, source: Source, uid: str) -> None:
        ics_support.drop(self._path(source), uid)

    def cancel_occurrence(self, source: Source, uid: str, start: datetime) -> None:
        ics_support.put(self._path(source), cancelled_occurrence(uid, start))

    def add_malformed(self, source: Source) -> None:
        ics_support.put_raw(self._path(source), MALFORMED)

    def reopen(self, source: Source) -> Source:
        return IcsFileSource(self._path(source))


def test_an_emptied_file_is_a_calendar_that_vanished_and_is_written_anew(tmp_path: Path) -> None:
    calendar = IcsFileCalendar(tmp_path / "training.ics")
    calendar.create(session("k/a"))
    cursor = calendar.changes(None).cursor
    calendar.path.write_bytes(b"")  # truncated by a sync tool, or a tmpfs cleared
    emptied = calendar.changes(cursor)
    assert (emptied.reset, emptied.full, emptied.events) == (True, True, ())
    made = calendar.create(session("k/b"))
    assert [e.id for e in calendar.events(T0 - timedelta(days=1), T0 + timedelta(days=1))] == [
        made.id
    ]


def test_foreign_events_survive_every_write(tmp_path: Path) -> None:
    path = tmp_path / "shared.ics"
    path.write_bytes((ROOT / "examples" / "races.ics").read_bytes())
    before = icalendar.Calendar.from_ical(path.read_bytes())
    foreign = sorted(str(e["UID"]) for e in before.walk("VEVENT"))
    calendar = IcsFileCalendar(path)
    start = T0
    event = SessionEvent(
        managed_id("alex", "k"), "k", "Easy run 8 km", "easy", start, start + timedelta(minutes=50)
    )
    created = calendar.create(event)
    calendar.update(
        SessionEvent(event.id, "k", "Easy run 9 km", "easy", start, start + timedelta(minutes=55)),
        created.etag,
    )
    after = icalendar.Calendar.from_ical(path.read_bytes())
    uids = sorted(str(e["UID"]) for e in after.walk("VEVENT"))
    assert uids == sorted([*foreign, f"{event.id}@racecal"])
    assert after.walk("VTIMEZONE")  # the race file's own timezone definition is kept
    latest = calendar.events(start - timedelta(hours=1), start + timedelta(hours=2))
    assert [e.title for e in latest] == ["Easy run 9 km"]
    assert not list(tmp_path.glob("*.tmp"))


def test_a_rewrite_changes_only_the_stamp_and_the_sequence(tmp_path: Path) -> None:
    """DTSTAMP says when racecal wrote the event (never the session's future day) and SEQUENCE
    counts racecal's writes; the rest of the text is a function of the session alone."""
    calendar = IcsFileCalendar(tmp_path / "t.ics")
    event = SessionEvent(managed_id("a", "k"), "k", "Strength A", "x", T0, T0 + timedelta(hours=1))
    before = datetime.now(UTC).replace(microsecond=0)
    created = calendar.create(event)
    first = calendar.path.read_bytes()
    again = calendar.update(event, created.etag)
    calendar.update(event, again.etag)
    after = datetime.now(UTC)
    last = calendar.path.read_bytes()
    [vevent] = icalendar.Calendar.from_ical(last).walk("VEVENT")
    assert before <= vevent.decoded("DTSTAMP") <= after < T0
    assert int(vevent["SEQUENCE"]) == 2

    def unstamped(data: bytes) -> bytes:
        return b"".join(line for line in data.splitlines(True) if not line.startswith(b"DTSTAMP"))

    assert unstamped(first).replace(b"SEQUENCE:0", b"SEQUENCE:2") == unstamped(last)


def test_broken_file_is_bad_data_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.ics"
    path.write_text("garbage", encoding="utf-8")
    with pytest.raises(BadData) as err:
        IcsFileCalendar(path).events(T0, T0 + timedelta(days=1))
    assert err.value.where == str(path)
    assert path.read_text(encoding="utf-8") == "garbage"  # nothing written over it


def test_a_killed_writers_temp_file_is_swept_at_start(tmp_path: Path) -> None:
    stale = tmp_path / ".training.ics.abc123.tmp"
    stale.write_bytes(b"half a calendar")
    IcsFileCalendar(tmp_path / "training.ics")
    assert not stale.exists()


def own_event(uid: str, hour: int = 12) -> icalendar.Event:
    start = T0.replace(hour=hour)
    return vevent_of(RemoteEvent(uid, f"Dentist {uid}", start, start + timedelta(hours=1)), uid)


def uids(path: Path) -> set[str]:
    return {str(e["UID"]) for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def test_an_event_the_athlete_saves_while_racecal_writes_the_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "training.ics"
    calendar = IcsFileCalendar(path)
    a = calendar.create(session("k/a"))
    with calendar.batch():
        b = calendar.create(session("k/b", hours=3))
        # Between racecal's read and its rename, the athlete's app saves an event of its own.
        ics_support.save_as_another_app(path, lambda cal: cal.add_component(own_event("dentist")))
    assert uids(path) == {f"{a.id}@racecal", f"{b.id}@racecal", "dentist"}
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_move_the_athlete_saves_while_racecal_writes_the_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "training.ics"
    calendar = IcsFileCalendar(path)
    created = calendar.create(session("k/a"))

    def move(cal: icalendar.Calendar) -> None:
        for event in cal.walk("VEVENT"):
            start, end = event.start + timedelta(hours=2), event.end + timedelta(hours=2)
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start)
            event.add("dtend", end)

    def a_pass() -> None:
        with calendar.batch():
            calendar.update(session("k/a", hours=24), created.etag)
            calendar.create(session("k/b", hours=3))
            ics_support.save_as_another_app(path, move)

    with pytest.raises(Conflict):
        a_pass()
    # Nothing of the batch was written over the athlete's move: the engine reads again.
    [held] = calendar.events(T0 - timedelta(days=1), T0 + timedelta(days=2))
    assert held.start == T0 + timedelta(hours=2)


def test_a_concurrent_writer_never_loses_an_event_to_racecal(tmp_path: Path) -> None:
    """The athlete's app and racecal save the same file at the same time, over and over: every
    event the app saved is there at the end. (What racecal wrote may be lost to the app, which
    does not check: the engine then sees its sessions gone and decides.)"""
    path = tmp_path / "training.ics"
    calendar = IcsFileCalendar(path)
    calendar.create(session("k/first"))
    rounds = 40
    failures: list[BaseException] = []

    def app() -> None:
        try:
            for n in range(rounds):
                ics_support.save_as_another_app(
                    path, lambda cal, n=n: cal.add_component(own_event(f"own{n}"))
                )
                time.sleep(random.random() / 500)
        except BaseException as exc:
            failures.append(exc)

    def racecal() -> None:
        try:
            for n in range(rounds):
                # Conflict: the app saved over our session meanwhile; the next pass decides.
                with contextlib.suppress(Conflict):
                    calendar.create(session(f"k/{n}", hours=n % 24))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=app), threading.Thread(target=racecal)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert {f"own{n}" for n in range(rounds)} <= uids(path)


def test_the_swap_replaces_only_the_file_that_was_read(tmp_path: Path) -> None:
    path, new = tmp_path / "a.ics", tmp_path / "new"
    new.write_bytes(b"ours")
    replace_if_unchanged(new, path, None)  # no file was read, none is there: created
    assert path.read_bytes() == b"ours"
    new.write_bytes(b"ours again")
    with pytest.raises(Changed):
        replace_if_unchanged(new, path, None)  # a file appeared
    with pytest.raises(Changed):
        replace_if_unchanged(new, path, digest(b"something else"))
    assert path.read_bytes() == b"ours"
    replace_if_unchanged(new, path, digest(b"ours"))
    assert path.read_bytes() == b"ours again"
    assert not new.exists()
    new.write_bytes(b"late")
    path.unlink()
    with pytest.raises(Changed):
        replace_if_unchanged(new, path, digest(b"ours again"))  # deleted since read
    assert not path.exists()
