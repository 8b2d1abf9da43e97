"""The contract every calendar connector keeps. A backend's test module subclasses
`ConnectorContract` and provides the `calendar` fixture (a fresh, empty, writable calendar) and
`outside_edit` (changing an event the way the athlete's own app would)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from connectors.base import (
    CalendarConnector,
    Conflict,
    NotFound,
    RemoteEvent,
    SessionEvent,
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


class ConnectorContract:
    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
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
