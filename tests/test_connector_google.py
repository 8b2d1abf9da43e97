"""The Google connector keeps the connector contract, driving the real google-api-python-client
against a local server that speaks the Calendar v3 wire protocol."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from connectors.base import CalendarConnector, RemoteEvent
from connectors.google import GoogleAccount, GoogleCalendar, GoogleSettings
from connectors.retry import RetryPolicy
from tests.connector_contract import ConnectorContract
from tests.connector_contract import session as session_event
from tests.fakes.google_calendar import FakeGoogleCalendar

FAST = RetryPolicy(max_seconds=2, attempts=4, first_wait=0.01)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def account_for(fake: FakeGoogleCalendar) -> GoogleAccount:
    return GoogleAccount(GoogleSettings(AnonymousCredentials(), root=fake.url + "/", retry=FAST))


def body_of(event: RemoteEvent) -> dict[str, Any]:
    def when(value: datetime | date) -> dict[str, str]:
        if isinstance(value, datetime):
            return {"dateTime": value.isoformat()}
        return {"date": value.isoformat()}

    body: dict[str, Any] = {
        "id": event.id,
        "summary": event.title,
        "start": when(event.start),
        "end": when(event.end),
        "transparency": "opaque" if event.busy else "transparent",
    }
    if event.session_key:
        body["extendedProperties"] = {"private": {"racecal_session": event.session_key}}
    return body


class TestGoogleCalendar(ConnectorContract):
    @pytest.fixture
    def calendar(self, fake: FakeGoogleCalendar) -> GoogleCalendar:
        account = account_for(fake)
        return GoogleCalendar(account, account.create_calendar("Training", "UTC"))

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        """The athlete's own app: a write the server sees like any other change."""
        assert isinstance(calendar, GoogleCalendar)
        self.fake.put_event(calendar.calendar_id, body_of(event))

    @pytest.fixture(autouse=True)
    def _fake(self, fake: FakeGoogleCalendar) -> None:
        self.fake = fake


def test_a_quiet_calendar_costs_one_request_per_look(fake: FakeGoogleCalendar) -> None:
    account = account_for(fake)
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    calendar.create(session_event("k/a"))
    cursor = calendar.changes(None).cursor
    before = len(fake.log)
    for _ in range(5):
        quiet = calendar.changes(cursor)
        assert (quiet.events, quiet.removed, quiet.full) == ((), (), False)
        cursor = quiet.cursor
    assert len(fake.log) - before == 5


def test_an_expired_sync_token_gives_one_full_listing(fake: FakeGoogleCalendar) -> None:
    account = account_for(fake)
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    created = calendar.create(session_event("k/a"))
    first = calendar.changes(None)
    fake.invalidate_sync_tokens(calendar.calendar_id)
    again = calendar.changes(first.cursor)
    assert again.full
    assert [e.id for e in again.events] == [created.id]


def test_writes_in_a_batch_cost_one_request_per_50(fake: FakeGoogleCalendar) -> None:
    account = account_for(fake)
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    before = len(fake.log)
    with calendar.batch():
        for n in range(120):
            calendar.create(session_event(f"k/{n}", hours=n))
    assert len(fake.log) - before == 3  # ceil(120 / 50)
    assert len(fake.events(calendar.calendar_id)) == 120


def test_a_retried_insert_is_adopted_not_duplicated(fake: FakeGoogleCalendar) -> None:
    account = account_for(fake)
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    event = session_event("k/a")
    calendar.create(event)  # an earlier pass's write whose outcome was never recorded
    with calendar.batch():
        calendar.create(event)
    held = fake.events(calendar.calendar_id)
    assert [e["id"] for e in held] == [event.id]


def test_calls_failing_inside_a_batch_are_sent_again_alone(fake: FakeGoogleCalendar) -> None:
    account = account_for(fake)
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    fake.fail_next(2, "503", in_batch=True)
    fake.fail_next(1, "429", in_batch=True)
    with calendar.batch():
        for n in range(10):
            calendar.create(session_event(f"k/{n}", hours=n))
    assert len(fake.events(calendar.calendar_id)) == 10
