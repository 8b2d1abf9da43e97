"""The CalDAV connector keeps the connector contract against a real Radicale server; the
athlete's own app is a second CalDAV client (the caldav library's high-level API)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import icalendar
import pytest
from caldav.davclient import DAVClient

from connectors.base import CalendarConnector, RemoteEvent, Source, TrainingCalendar
from connectors.caldav import CalDavAccount, CalDavCalendar, CalDavSettings, CalDavSource
from connectors.retry import RetryPolicy
from tests.connector_contract import (
    MALFORMED,
    ConnectorContract,
    SourceContract,
    cancelled_occurrence,
    decorated,
    vevent_of,
)
from tests.connector_contract import session as session_event
from tests.radicale_server import Radicale

FAST = RetryPolicy(max_seconds=2, attempts=3, first_wait=0.05)


def account_for(server: Radicale, user: str | None = None) -> CalDavAccount:
    return CalDavAccount(
        CalDavSettings(server.url, user or f"u{uuid.uuid4().hex[:10]}", "x", retry=FAST)
    )


def athlete_app_put(calendar: CalDavCalendar, event: RemoteEvent) -> None:
    """Write an event the way another CalDAV client would: its own object, its own UID."""
    client = DAVClient(url=calendar.url, username=calendar.account.settings.username, password="x")
    uid = f"{event.id}@racecal" if event.session_key else event.id
    vevent = vevent_of(event, uid)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//another app//EN")
    cal.add("version", "2.0")
    cal.add_component(vevent)
    target = client.calendar(url=calendar.url)
    existing = [o for o in target.objects(load_objects=True) if uid in o.data]
    if existing:
        existing[0].data = cal.to_ical().decode()
        existing[0].save(increase_seqno=False)
    else:
        target.save_event(cal.to_ical().decode())


class TestCalDavCalendar(ConnectorContract):
    @pytest.fixture
    def calendar(self, radicale: Radicale) -> Iterator[CalDavCalendar]:
        account = account_for(radicale)
        yield account.training("Training")
        account.close()

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        assert isinstance(calendar, CalDavCalendar)
        athlete_app_put(calendar, event)

    def vanish(self, calendar: TrainingCalendar) -> None:
        assert isinstance(calendar, CalDavCalendar)
        app(calendar.account).calendar(url=calendar.url).delete()

    def decorate(self, calendar: TrainingCalendar, event: RemoteEvent) -> None:
        assert isinstance(calendar, CalDavCalendar)
        target = app(calendar.account).calendar(url=calendar.url)
        [held] = [o for o in target.objects(load_objects=True) if event.id in (o.data or "")]
        cal = icalendar.Calendar.from_ical(held.data)
        for component in cal.walk("VEVENT"):
            decorated(component)
        held.data = cal.to_ical().decode()
        held.save(increase_seqno=False)

    def reopen(self, calendar: TrainingCalendar) -> TrainingCalendar:
        assert isinstance(calendar, CalDavCalendar)
        account = CalDavAccount(calendar.account.settings)
        opened = account.training(calendar.title)
        opened.collection.mode = calendar.collection.mode
        return opened


class TestCalDavCalendarWithoutSyncTokens(TestCalDavCalendar):
    """The same contract on the CTag path a server without RFC 6578 takes."""

    @pytest.fixture
    def calendar(self, radicale: Radicale) -> Iterator[CalDavCalendar]:
        account = account_for(radicale)
        training = account.training("Training")
        training.collection.mode = "ctag"
        yield training
        account.close()


def app(account: CalDavAccount) -> DAVClient:
    """The athlete's own CalDAV client, signed in as the account's user."""
    settings = account.settings
    return DAVClient(url=settings.url, username=settings.username, password="x")


class TestCalDavSource(SourceContract):
    """A race calendar on Radicale, written by the athlete's own client."""

    quiet_after_restart = True  # followed on from the cursor's sync token

    @pytest.fixture
    def source(self, radicale: Radicale) -> Iterator[CalDavSource]:
        account = account_for(radicale)
        app(account).principal().make_calendar(name="Races")
        yield CalDavSource(account, "Races", "races", "caldav")
        account.close()

    def _calendar(self, source: Source) -> Any:
        assert isinstance(source, CalDavSource)
        assert isinstance(source.account, CalDavAccount)
        client = app(source.account)
        return next(c for c in client.principal().calendars() if c.get_display_name() == "Races")

    def _object(self, source: Source, uid: str) -> Any:
        objects = self._calendar(source).objects(load_objects=True)
        found = [o for o in objects if f"UID:{uid}\n" in (o.data or "").replace("\r\n", "\n")]
        return found[0] if found else None

    def add(self, source: Source, event: icalendar.Event) -> None:
        held = self._object(source, str(event["UID"]))
        cal = icalendar.Calendar.from_ical(held.data) if held is not None else _calendar()
        cal.subcomponents[:] = [
            c
            for c in cal.subcomponents
            if str(c.get("RECURRENCE-ID", "")) != str(event.get("RECURRENCE-ID", ""))
        ]
        cal.add_component(event)
        if held is not None:
            held.data = cal.to_ical().decode()
            held.save(increase_seqno=False)
        else:
            self._calendar(source).save_event(cal.to_ical().decode())

    def remove(self, source: Source, uid: str) -> None:
        self._object(source, uid).delete()

    def cancel_occurrence(self, source: Source, uid: str, start: datetime) -> None:
        self.add(source, cancelled_occurrence(uid, start))

    def add_malformed(self, source: Source) -> None:
        text = _calendar().to_ical().decode().replace("END:VCALENDAR", MALFORMED + "END:VCALENDAR")
        self._calendar(source).save_event(text)

    def reopen(self, source: Source) -> Source:
        assert isinstance(source, CalDavSource)
        assert isinstance(source.account, CalDavAccount)
        return CalDavSource(CalDavAccount(source.account.settings), "Races", "races", "caldav")


def _calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//another app//EN")
    cal.add("version", "2.0")
    return cal


def test_an_expired_sync_token_gives_one_full_listing(radicale: Radicale) -> None:
    account = account_for(radicale)
    training = account.training("Training")
    created = training.create(session_event("k/a"))
    first = training.changes(None)
    training.collection.token = "http://radicale.org/ns/sync/" + "0" * 64  # forgotten by it
    again = training.changes(first.cursor)
    assert again.full
    assert [e.id for e in again.events] == [created.id]
    assert training.collection.token not in (None, "http://radicale.org/ns/sync/" + "0" * 64)
    account.close()


def test_a_quiet_calendar_costs_one_request_per_look(radicale: Radicale) -> None:
    account = account_for(radicale)
    training = account.training("Training")
    training.create(session_event("k/a"))
    cursor = training.changes(None).cursor
    before = radicale.requests
    for _ in range(5):
        quiet = training.changes(cursor)
        assert (quiet.events, quiet.removed, quiet.full) == ((), (), False)
        cursor = quiet.cursor
    assert radicale.requests - before == 5
    account.close()


def test_the_ctag_path_costs_one_request_when_nothing_changed(radicale: Radicale) -> None:
    account = account_for(radicale)
    training = account.training("Training")
    training.collection.mode = "ctag"
    training.create(session_event("k/a"))
    cursor = training.changes(None).cursor
    before = radicale.requests
    quiet = training.changes(cursor)
    assert (quiet.events, quiet.full) == ((), False)
    assert radicale.requests - before == 1
    account.close()
