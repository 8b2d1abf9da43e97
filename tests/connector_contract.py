"""The contract every backend keeps, for each port it implements (connectors.base).

A training calendar's test class subclasses `ConnectorContract` and provides the `calendar`
fixture (a fresh, empty, writable calendar), `outside_edit` (changing an event the way the
athlete's own app would), `vanish` (the calendar deleted, as the athlete would delete it) and
`reopen` (a new connector on the same calendar: a restart). A source's test class subclasses
`SourceContract` and provides the `source` fixture and the hooks it names. What a backend
cannot hold (a series, a malformed event) it says with a class attribute, not by skipping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import icalendar
import pytest

from connectors.base import (
    CalendarConnector,
    ChangeSet,
    Conflict,
    NotFound,
    RemoteEvent,
    SessionEvent,
    Source,
    TrainingCalendar,
    managed_id,
)

T0 = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


def session(key: str = "race/w-03/long", hours: int = 0) -> SessionEvent:
    start = T0 + timedelta(hours=hours)
    return SessionEvent(
        managed_id("alex", key),
        key,
        "Long run 20 km",
        "easy pace",
        start,
        start + timedelta(hours=2),
    )


def vevent_of(event: RemoteEvent, uid: str) -> icalendar.Event:
    """`event` as another calendar app writes it (for `outside_edit`)."""
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("summary", event.title)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("dtstamp", datetime(2027, 1, 1, tzinfo=UTC))
    if event.session_key:
        vevent.add("x-racecal-session", event.session_key)
    if not event.busy:
        vevent.add("transp", "TRANSPARENT")
    return vevent


def applied(state: dict[str, RemoteEvent], changes: ChangeSet) -> dict[str, RemoteEvent]:
    """What a reader holds after taking in `changes` (a full listing replaces everything)."""
    held = {} if changes.full else dict(state)
    for gone in changes.removed:
        held.pop(gone, None)
    held.update((e.id, e) for e in changes.events)
    return held


def listed(calendar: Source) -> dict[str, RemoteEvent]:
    return applied({}, calendar.changes(None))


class ConnectorContract:
    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        raise NotImplementedError

    def vanish(self, calendar: TrainingCalendar) -> None:
        """Delete the whole calendar, as the athlete would."""
        raise NotImplementedError

    def reopen(self, calendar: TrainingCalendar) -> TrainingCalendar:
        """A new connector on the same calendar, as a restarted process opens it."""
        raise NotImplementedError

    def decorate(self, calendar: TrainingCalendar, event: RemoteEvent) -> None:
        """The athlete's app adds to a session: location 'Stadtpark', a reminder 30 minutes
        before, a colour of their own."""
        raise NotImplementedError

    def test_create_then_list_carries_the_session_key(self, calendar: CalendarConnector) -> None:
        created = calendar.create(session())
        assert created.etag
        listed = calendar.events(T0 - timedelta(days=1), T0 + timedelta(days=1))
        assert [(e.id, e.session_key, e.title) for e in listed] == [
            (created.id, "race/w-03/long", "Long run 20 km")
        ]

    def test_repeated_create_cannot_duplicate(self, calendar: CalendarConnector) -> None:
        calendar.create(session())
        with pytest.raises(Conflict):
            calendar.create(session())
        assert len(calendar.events(T0 - timedelta(days=1), T0 + timedelta(days=1))) == 1

    def test_update_with_current_etag_moves_the_event(self, calendar: CalendarConnector) -> None:
        created = calendar.create(session())
        moved = calendar.update(session(hours=24), created.etag)
        assert moved.id == created.id
        assert moved.etag != created.etag
        assert moved.start == T0 + timedelta(hours=24)

    def test_stale_etag_is_a_conflict(self, calendar: CalendarConnector) -> None:
        created = calendar.create(session())
        calendar.update(session(hours=1), created.etag)
        with pytest.raises(Conflict):
            calendar.update(session(hours=2), created.etag)
        with pytest.raises(Conflict):
            calendar.delete(created.id, created.etag)

    def test_missing_event_is_not_found(self, calendar: CalendarConnector) -> None:
        with pytest.raises(NotFound):
            calendar.update(session(), None)
        with pytest.raises(NotFound):
            calendar.delete(managed_id("alex", "nothing"), None)

    def test_changes_report_edits_and_deletions_since_the_cursor(
        self, calendar: CalendarConnector
    ) -> None:
        a = calendar.create(session("k/a"))
        b = calendar.create(session("k/b", hours=3))
        first = calendar.changes(None)
        assert first.full
        assert sorted(e.id for e in first.events) == sorted([a.id, b.id])
        self.outside_edit(calendar, replace(a, title="moved by the athlete"))
        calendar.delete(b.id, b.etag)
        delta = calendar.changes(first.cursor)
        assert not delta.full
        assert [e.title for e in delta.events] == ["moved by the athlete"]
        assert delta.removed == (b.id,)
        quiet = calendar.changes(delta.cursor)
        assert (quiet.events, quiet.removed) == ((), ())

    def test_unknown_cursor_gives_a_full_listing(self, calendar: CalendarConnector) -> None:
        calendar.create(session())
        listing = calendar.changes("not-a-cursor-we-gave")
        assert listing.full
        assert len(listing.events) == 1

    def test_all_day_events_are_listed_in_their_window(self, calendar: CalendarConnector) -> None:
        day = RemoteEvent(
            "feiertag", "Public holiday", date(2027, 3, 2), date(2027, 3, 3), busy=False
        )
        self.outside_edit(calendar, day)
        inside = calendar.events(T0 + timedelta(days=1), T0 + timedelta(days=1, hours=1))
        outside = calendar.events(T0 + timedelta(days=3), T0 + timedelta(days=4))
        assert [e.id for e in inside] == ["feiertag"]
        assert inside[0].all_day
        assert outside == []

    def test_writes_in_a_batch_are_all_there_after_it(self, calendar: CalendarConnector) -> None:
        with calendar.batch():
            a = calendar.create(session("k/a"))
            calendar.create(session("k/b", hours=3))
            calendar.update(session("k/a", hours=1), a.etag)
        listed = calendar.events(T0 - timedelta(days=1), T0 + timedelta(days=1))
        assert sorted((e.session_key, e.start) for e in listed) == [
            ("k/a", T0 + timedelta(hours=1)),
            ("k/b", T0 + timedelta(hours=3)),
        ]

    def test_what_the_athlete_added_to_a_session_shows_and_outlives_racecal_updates(
        self, calendar: CalendarConnector
    ) -> None:
        """Seen: a location, colour or reminder the athlete added was lost when racecal re-timed
        the session (the update replaced the whole event)."""
        created = calendar.create(session("k/a"))
        assert created.extras == ()
        self.decorate(calendar, created)
        [held] = [e for e in listed(calendar).values() if e.id == created.id]
        names = {name for name, _value in held.extras}
        assert held.location == "Stadtpark"
        assert {"colour", "reminders"} <= names
        moved = calendar.update(session("k/a", hours=24), held.etag)
        [after] = [e for e in listed(calendar).values() if e.id == created.id]
        assert after.start == T0 + timedelta(hours=24) == moved.start
        assert (after.location, after.extras) == (held.location, held.extras)

    def test_a_batch_cut_short_by_an_error_sends_nothing_it_still_held(
        self, calendar: CalendarConnector
    ) -> None:
        kept = calendar.create(session("k/kept"))

        def cut_short() -> None:
            with calendar.batch():
                calendar.create(session("k/a", hours=3))
                calendar.update(session("k/kept", hours=5), kept.etag)
                raise RuntimeError("the pass failed")

        with pytest.raises(RuntimeError):
            cut_short()
        held = {e.session_key: e.start for e in calendar.events(T0 - DAY, T0 + DAY)}
        if calendar.capabilities.batches:
            assert held == {"k/kept": T0}  # queued, never sent
        else:
            # Each write was sent when it was made: nothing was left to discard.
            assert held == {"k/kept": T0 + timedelta(hours=5), "k/a": T0 + timedelta(hours=3)}

    def test_a_calendar_deleted_and_made_again_says_so_once(
        self, calendar: CalendarConnector
    ) -> None:
        calendar.create(session("k/a"))
        first = calendar.changes(None)
        self.vanish(calendar)
        again = calendar.changes(first.cursor)
        assert again.reset
        assert again.full
        assert again.events == ()
        made = calendar.create(session("k/b", hours=3))
        after = calendar.changes(again.cursor)
        assert not after.reset
        assert sorted(applied({}, after)) == [made.id]

    def test_a_cursor_outlives_the_connector(self, calendar: CalendarConnector) -> None:
        """A restart: a new connector given the cursor an earlier one handed out answers what
        changed since; an incremental backend tells a calendar nobody touched at once."""
        a = calendar.create(session("k/a"))
        b = calendar.create(session("k/b", hours=3))
        first = calendar.changes(None)
        state = applied({}, first)
        quiet = self.reopen(calendar).changes(first.cursor)
        if calendar.capabilities.incremental:
            assert quiet.quiet
        assert applied(state, quiet).keys() == state.keys()
        self.outside_edit(calendar, replace(a, title="moved by the athlete"))
        calendar.delete(b.id, b.etag)
        restarted = self.reopen(calendar)
        delta = restarted.changes(first.cursor)
        after = applied(state, delta)
        assert {i: e.title for i, e in after.items()} == {a.id: "moved by the athlete"}
        assert restarted.changes(delta.cursor).quiet

    def test_a_connector_gone_on_from_a_cursor_asked_for_everything_lists_everything(
        self, calendar: CalendarConnector
    ) -> None:
        """A restart, nothing or something changed since, then the caller forgets what it
        held (a pass failed) and asks with no cursor, or with one this connector never gave:
        the answer is the whole calendar, not the part this process learnt by going on from
        the earlier cursor."""
        a = calendar.create(session("k/a"))
        b = calendar.create(session("k/b", hours=3))
        first = calendar.changes(None)
        for edited in (False, True):
            if edited:
                self.outside_edit(calendar, replace(a, title="moved by the athlete"))
            for other in (None, "not-a-cursor-we-gave"):
                restarted = self.reopen(calendar)
                restarted.changes(first.cursor)
                whole = restarted.changes(other)
                assert whole.full, other
                assert sorted(e.id for e in whole.events) == sorted([a.id, b.id]), other


DAY = timedelta(days=1)


class SourceContract:
    """A calendar racecal only reads. The hooks write into it as another app would."""

    # A series (RRULE) and its exceptions can be held; a malformed event can be held.
    holds_series: ClassVar[bool] = True
    holds_malformed: ClassVar[bool] = True
    # A new connector given an earlier one's cursor tells an untouched calendar at once
    # (every backend's source does; the flag stays for one that cannot).
    quiet_after_restart: ClassVar[bool] = False

    def add(self, source: Source, event: icalendar.Event) -> None:
        raise NotImplementedError

    def remove(self, source: Source, uid: str) -> None:
        raise NotImplementedError

    def cancel_occurrence(self, source: Source, uid: str, start: datetime) -> None:
        """Delete one occurrence of a series, as the athlete's app does."""
        raise NotImplementedError

    def add_malformed(self, source: Source) -> None:
        """An event whose GEO is not two numbers, titled 'Broken 10K'."""
        raise NotImplementedError

    def reopen(self, source: Source) -> Source:
        raise NotImplementedError

    def test_a_full_listing_holds_every_event_as_it_stands(self, source: Source) -> None:
        self.add(source, event("r1", "Stadtlauf 10K", T0, location="Markt", created=T0 - DAY))
        self.add(source, event("r2", "Dentist", T0 + DAY, transparent=True))
        found = source.changes(None)
        assert found.full
        got = {e.uid: e for e in found.events}
        assert sorted(got) == ["r1", "r2"]
        assert (got["r1"].title, got["r1"].start, got["r1"].location) == (
            "Stadtlauf 10K",
            T0,
            "Markt",
        )
        assert got["r1"].created is not None
        assert got["r1"].busy
        assert not got["r2"].busy
        assert source.name
        assert source.locator

    def test_a_look_at_an_untouched_calendar_is_quiet(self, source: Source) -> None:
        self.add(source, event("r1", "Stadtlauf 10K", T0))
        cursor = source.changes(None).cursor
        for _ in range(2):
            quiet = source.changes(cursor)
            assert quiet.quiet
            cursor = quiet.cursor

    def test_changes_since_a_cursor_bring_a_reader_up_to_date(self, source: Source) -> None:
        self.add(source, event("r1", "Stadtlauf 10K", T0))
        self.add(source, event("r2", "Halbmarathon", T0 + DAY))
        first = source.changes(None)
        self.add(source, event("r1", "Stadtlauf 10K [A]", T0 + 2 * DAY))
        self.remove(source, "r2")
        self.add(source, event("r3", "Parkrun", T0 + 3 * DAY))
        after = applied(applied({}, first), source.changes(first.cursor))
        assert sorted((e.uid, e.title, e.start) for e in after.values()) == [
            ("r1", "Stadtlauf 10K [A]", T0 + 2 * DAY),
            ("r3", "Parkrun", T0 + 3 * DAY),
        ]

    def test_an_unknown_cursor_gives_a_full_listing(self, source: Source) -> None:
        self.add(source, event("r1", "Stadtlauf 10K", T0))
        listing = source.changes("not-a-cursor-we-gave")
        assert listing.full
        assert [e.uid for e in listing.events] == ["r1"]

    def test_a_cursor_outlives_the_connector(self, source: Source) -> None:
        self.add(source, event("r1", "Stadtlauf 10K", T0))
        first = source.changes(None)
        state = applied({}, first)
        quiet = self.reopen(source).changes(first.cursor)
        if self.quiet_after_restart:
            assert quiet.quiet
        assert _uids(applied(state, quiet).values()) == ["r1"]
        self.add(source, event("r2", "Parkrun", T0 + DAY))
        after = applied(state, self.reopen(source).changes(first.cursor))
        assert _uids(after.values()) == ["r1", "r2"]

    def test_what_went_since_an_earlier_cursor_is_gone_for_a_new_connector(
        self, source: Source
    ) -> None:
        """A restart after a race was removed (or an occurrence of a series cancelled): the
        new connector never saw what the removed object held, yet the reader's state must
        lose it."""
        self.add(source, event("r1", "Stadtlauf 10K", T0))
        self.add(source, event("r2", "Parkrun", T0 + DAY))
        first = source.changes(None)
        state = applied({}, first)
        self.remove(source, "r1")
        restarted = self.reopen(source)
        delta = restarted.changes(first.cursor)
        assert _uids(applied(state, delta).values()) == ["r2"]
        assert restarted.changes(delta.cursor).quiet

    def test_a_source_gone_on_from_a_cursor_asked_for_everything_lists_everything(
        self, source: Source
    ) -> None:
        """A restart, nothing or something changed since, then the caller asks with no
        cursor (it forgot what it held) or with one this source never gave: the answer is
        every event, not only what changed since the earlier cursor."""
        self.add(source, event("r1", "Stadtlauf 10K", T0))
        first = source.changes(None)
        for uids in (["r1"], ["r1", "r2"]):
            if len(uids) == 2:
                self.add(source, event("r2", "Parkrun", T0 + DAY))
            for other in (None, "not-a-cursor-we-gave"):
                restarted = self.reopen(source)
                restarted.changes(first.cursor)
                whole = restarted.changes(other)
                assert whole.full, other
                assert _uids(whole.events) == uids, other

    def test_events_after_a_restart_from_a_cursor_are_every_event(self, source: Source) -> None:
        """Busy time after a restart: a connector that went on from a cursor still lists
        every event in a window, not just what changed since."""
        self.add(source, event("r1", "Dentist", T0))
        self.add(source, event("r2", "Meeting", T0 + DAY))
        first = source.changes(None)
        restarted = self.reopen(source)
        quiet = restarted.changes(first.cursor)
        found = restarted.events(T0 - DAY, T0 + 7 * DAY)
        assert _uids(found) == ["r1", "r2"]
        after = applied(applied({}, first), quiet)
        assert _uids(after.values()) == ["r1", "r2"]

    def test_events_in_a_window_expand_a_series_and_flag_what_is_cancelled(
        self, source: Source
    ) -> None:
        off = event("off", "Called off", T0 + timedelta(hours=4))
        off.add("status", "CANCELLED")
        self.add(source, off)
        self.add(source, event("day", "Holiday", T0.date(), end=T0.date() + DAY))
        if self.holds_series:
            self.add(source, event("daily", "Stand-up", T0 + timedelta(hours=1), rule="COUNT=5"))
            self.cancel_occurrence(source, "daily", T0 + timedelta(days=2, hours=1))
        source.changes(None)
        found = source.events(T0 - DAY, T0 + 7 * DAY)
        live = sorted(e.start for e in found if e.uid == "daily" and not e.cancelled)
        if self.holds_series:
            assert live == [T0 + timedelta(days=d, hours=1) for d in (0, 1, 3, 4)]
        # A cancelled event is flagged (iCalendar's STATUS) or not listed at all (Google's).
        assert all(e.cancelled for e in found if e.uid == "off")
        assert [e.all_day for e in found if e.uid == "day"] == [True]
        assert source.events(T0 + 30 * DAY, T0 + 31 * DAY) == []

    def test_a_malformed_event_is_a_problem_naming_it(self, source: Source) -> None:
        if not self.holds_malformed:
            return  # this backend cannot hold one
        self.add(source, event("ok", "Parkrun", T0))
        self.add_malformed(source)
        found = source.changes(None)
        assert [e.uid for e in found.events] == ["ok"]
        [problem] = found.problems
        assert "Broken 10K" in problem.line
        assert "GEO" in problem.line
        assert problem.title == "Broken 10K"  # the domain tells a broken race by it


def _uids(events: Iterable[RemoteEvent]) -> list[str]:
    return sorted(e.uid for e in events)


def event(
    uid: str,
    title: str,
    start: datetime | date,
    *,
    end: datetime | date | None = None,
    location: str = "",
    created: datetime | None = None,
    transparent: bool = False,
    rule: str | None = None,
) -> icalendar.Event:
    """An event as another calendar app writes it."""
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("summary", title)
    vevent.add("dtstart", start)
    vevent.add("dtend", end or start + timedelta(hours=1))
    vevent.add("dtstamp", datetime(2027, 1, 1, tzinfo=UTC))
    if location:
        vevent.add("location", location)
    vevent.add("created", created or datetime(2026, 12, 1, tzinfo=UTC))
    if transparent:
        vevent.add("transp", "TRANSPARENT")
    if rule:
        vevent.add("rrule", icalendar.vRecur.from_ical(f"FREQ=DAILY;{rule}"))
    return vevent


def decorated(vevent: icalendar.Event) -> None:
    """What `decorate` adds, as an iCalendar app adds it."""
    vevent.add("location", "Stadtpark")
    vevent.add("color", "tomato")
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Reminder")
    alarm.add("trigger", timedelta(minutes=-30))
    vevent.add_component(alarm)


def cancelled_occurrence(uid: str, start: datetime) -> icalendar.Event:
    """The override an app writes when one occurrence of a series is deleted."""
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("recurrence-id", start)
    vevent.add("dtstart", start)
    vevent.add("dtend", start + timedelta(hours=1))
    vevent.add("dtstamp", datetime(2027, 1, 1, tzinfo=UTC))
    vevent.add("status", "CANCELLED")
    return vevent


MALFORMED = (
    "BEGIN:VEVENT\r\nUID:broken\r\nSUMMARY:Broken 10K\r\nDTSTART:20270301T060000Z\r\n"
    "DTEND:20270301T070000Z\r\nDTSTAMP:20270101T000000Z\r\nGEO:not-a-number\r\nEND:VEVENT\r\n"
)
