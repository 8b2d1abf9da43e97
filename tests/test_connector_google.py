"""The Google connector keeps the connector contract, driving the real google-api-python-client
against a local server that speaks the Calendar v3 wire protocol."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials as UserCredentials
from googleapiclient.discovery import build

from connectors.base import (
    AuthError,
    CalendarConnector,
    RateLimited,
    RemoteEvent,
    Source,
    TrainingCalendar,
    Unavailable,
    managed_id,
)
from connectors.google import GoogleApi, GoogleCalendar, GoogleCollection, GoogleSettings
from connectors.google.collection import GoogleSource
from connectors.retry import RetryPolicy
from scheduler.busy import busy_from
from tests.connector_contract import ConnectorContract, SourceContract
from tests.connector_contract import session as session_event
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import google_body

FAST = RetryPolicy(max_seconds=2, attempts=4, first_wait=0.01)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def account_for(fake: FakeGoogleCalendar) -> GoogleApi:
    return GoogleApi(GoogleSettings(AnonymousCredentials(), root=fake.url + "/", retry=FAST))


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
        return training(account_for(fake))

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        """The athlete's own app: a write the server sees like any other change."""
        assert isinstance(calendar, GoogleCalendar)
        self.fake.put_event(calendar.calendar_id, body_of(event))

    def vanish(self, calendar: TrainingCalendar) -> None:
        assert isinstance(calendar, GoogleCalendar)
        self.fake.delete_calendar(calendar.calendar_id)

    def reopen(self, calendar: TrainingCalendar) -> TrainingCalendar:
        assert isinstance(calendar, GoogleCalendar)
        return training(account_for(self.fake), calendar.calendar_id)

    def decorate(self, calendar: TrainingCalendar, event: RemoteEvent) -> None:
        assert isinstance(calendar, GoogleCalendar)
        [held] = [e for e in self.fake.events(calendar.calendar_id) if e["id"] == event.id]
        reminders = {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]}
        added = {"location": "Stadtpark", "colorId": "5", "reminders": reminders}
        self.fake.put_event(calendar.calendar_id, held | added)

    @pytest.fixture(autouse=True)
    def _fake(self, fake: FakeGoogleCalendar) -> None:
        self.fake = fake


def training(api: GoogleApi, calendar_id: str | None = None) -> GoogleCalendar:
    """A training calendar racecal made, made again when it is deleted."""

    def make() -> str:
        return api.create_calendar("Training", "UTC")

    return GoogleCalendar(api, calendar_id or make(), recreate=make)


class TestGoogleSource(SourceContract):
    """A race calendar on the local Calendar v3 server, written by the athlete's own client."""

    quiet_after_restart = True  # followed on from the cursor's sync token

    holds_malformed = False  # Google holds JSON resources: nothing in them reads as broken

    @pytest.fixture
    def source(self, fake: FakeGoogleCalendar) -> GoogleSource:
        self.fake = fake
        self.api = account_for(fake)
        self.calendar_id = self.api.create_calendar("Races", "UTC")
        return GoogleSource(GoogleCollection(self.api, self.calendar_id), "google")

    def add(self, source: Source, event: icalendar.Event) -> None:
        uid = str(event["UID"])
        body = google_body(event) | {"id": managed_id("contract", uid), "iCalUID": uid}
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            body["status"] = "cancelled"
        self.fake.put_event(self.calendar_id, body)

    def remove(self, source: Source, uid: str) -> None:
        events = athlete_app(self.fake).events()
        events.delete(calendarId=self.calendar_id, eventId=managed_id("contract", uid)).execute()

    def cancel_occurrence(self, source: Source, uid: str, start: datetime) -> None:
        one = f"{managed_id('contract', uid)}_{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        athlete_app(self.fake).events().delete(calendarId=self.calendar_id, eventId=one).execute()

    def reopen(self, source: Source) -> Source:
        return GoogleSource(GoogleCollection(account_for(self.fake), self.calendar_id), "google")


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


def test_calls_failing_inside_a_batch_are_sent_again_together(fake: FakeGoogleCalendar) -> None:
    account = account_for(fake)
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    fake.fail_next(2, "503", in_batch=True)
    fake.fail_next(1, "429", in_batch=True)
    before = len(fake.log)
    with calendar.batch():
        for n in range(10):
            calendar.create(session_event(f"k/{n}", hours=n))
    assert len(fake.events(calendar.calendar_id)) == 10
    assert len(fake.log) - before == 2  # the three failed calls went in one more batch


def recording(budget: float) -> tuple[RetryPolicy, list[float]]:
    """A retry policy that records its waits instead of sleeping through them."""
    waits: list[float] = []
    return RetryPolicy(max_seconds=budget, attempts=4, first_wait=0.01, sleep=waits.append), waits


def test_a_429_inside_a_batch_is_resent_after_its_retry_after(fake: FakeGoogleCalendar) -> None:
    policy, waits = recording(budget=30)
    account = GoogleApi(GoogleSettings(AnonymousCredentials(), fake.url + "/", policy))
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    fake.retry_after = 7
    fake.fail_next(2, "429", in_batch=True)
    try:
        before = len(fake.batch_log)
        with calendar.batch():
            for n in range(5):
                calendar.create(session_event(f"k/{n}", hours=n))
    finally:
        fake.retry_after = 0
    assert waits == [7]  # as the server asked, not a 64 ms backoff
    calls = [(c.method, c.status) for c in fake.batch_log[before:]]
    # The two refused calls went again, together, in one batch after the wait.
    assert calls == [("POST", 429)] * 2 + [("POST", 200)] * 3 + [("POST", 200)] * 2
    assert len(fake.events(calendar.calendar_id)) == 5


def test_a_retry_after_beyond_the_retry_budget_ends_the_pass_at_once(
    fake: FakeGoogleCalendar,
) -> None:
    policy, waits = recording(budget=60)
    account = GoogleApi(GoogleSettings(AnonymousCredentials(), fake.url + "/", policy))
    calendar = GoogleCalendar(account, account.create_calendar("Training", "UTC"))
    fake.retry_after = 3600
    try:
        fake.fail_next(1, "429", in_batch=True)
        with pytest.raises(RateLimited) as in_batch, calendar.batch():
            calendar.create(session_event("k/a"))
        fake.fail_next(1, "429")
        with pytest.raises(RateLimited) as alone:
            calendar.changes(None)
    finally:
        fake.retry_after = 0
    assert waits == []  # nothing waited out
    assert in_batch.value.retry_after == alone.value.retry_after == 3600
    assert "3600 s" in str(in_batch.value)


def test_recreating_a_session_whose_event_is_cancelled_costs_one_call(
    fake: FakeGoogleCalendar,
) -> None:
    """Google keeps a deleted event's id: an insert of it is 409. A calendar that knows the id
    is cancelled (from its sync stream, or from a full listing after a restart) writes the
    session over it in one call."""
    account = account_for(fake)
    calendar_id = account.create_calendar("Training", "UTC")
    calendar = GoogleCalendar(account, calendar_id)
    kept, dropped = session_event("k/a"), session_event("k/b", hours=3)
    calendar.create(kept)
    calendar.create(dropped)
    cursor = calendar.changes(None).cursor
    athlete_app(fake).events().delete(calendarId=calendar_id, eventId=dropped.id).execute()
    calendar.changes(cursor)  # the deletion, from the sync stream
    before = len(fake.batch_log)
    with calendar.batch():
        calendar.create(dropped)
    assert [(c.method, c.status) for c in fake.batch_log[before:]] == [("PUT", 200)]
    assert {e["id"] for e in fake.events(calendar_id)} == {kept.id, dropped.id}

    athlete_app(fake).events().delete(calendarId=calendar_id, eventId=dropped.id).execute()
    restarted = GoogleCalendar(account, calendar_id)
    restarted.changes(None)  # a new process: the full listing names deleted ids too
    before = len(fake.batch_log)
    with restarted.batch():
        restarted.create(dropped)
    assert [(c.method, c.status) for c in fake.batch_log[before:]] == [("PUT", 200)]
    assert {e["id"] for e in fake.events(calendar_id)} == {kept.id, dropped.id}


def athlete_app(fake: FakeGoogleCalendar) -> Any:
    """The athlete's own calendar app: the real client."""
    return build(
        "calendar",
        "v3",
        static_discovery=True,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": fake.api_endpoint},
    )


def test_a_deleted_occurrence_of_a_recurring_meeting_no_longer_blocks_its_slot(
    fake: FakeGoogleCalendar,
) -> None:
    account = account_for(fake)
    calendar_id = account.create_calendar("Work", "Europe/Berlin")
    fake.put_event(
        calendar_id,
        {
            "id": "standup01",
            "summary": "Stand-up",
            "start": {"dateTime": "2027-03-01T07:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2027-03-01T08:00:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
        },
    )
    source = GoogleSource(GoogleCollection(account, calendar_id), "work")
    cursor = source.changes(None).cursor
    # The athlete deletes Wednesday's stand-up in their own app.
    wednesday = "standup01_20270303T060000Z"
    athlete_app(fake).events().delete(calendarId=calendar_id, eventId=wednesday).execute()
    tz = ZoneInfo("Europe/Berlin")
    window = (datetime(2027, 3, 1, tzinfo=tz), datetime(2027, 3, 8, tzinfo=tz))

    def days() -> list[int]:
        return [i.start.day for i in busy_from(source.events(*window), tz)]

    source.changes(cursor)  # the deletion, from the sync stream
    assert days() == [1, 2, 4, 5]
    source = GoogleSource(GoogleCollection(account, calendar_id), "work")
    source.changes(None)  # and from a full listing
    assert days() == [1, 2, 4, 5]


def test_an_outage_of_the_token_endpoint_is_unavailable_and_a_refusal_is_auth(
    fake: FakeGoogleCalendar,
) -> None:
    """Three 503s from the sign-in service are retried by our one retry layer (google-auth's
    own sleeps are not stacked on it) and then the token comes; an outage longer than the
    budget is Unavailable; only a refused grant (invalid_grant) asks a person to act."""

    def calendar_with(budget: float) -> tuple[GoogleCalendar, list[float]]:
        policy, waits = recording(budget)
        credentials = UserCredentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token="user:tok",
            token_uri=f"{fake.url}/token",
            client_id="c",
            client_secret="s",
        )
        account = GoogleApi(GoogleSettings(credentials, fake.url + "/", policy))
        return GoogleCalendar(account, "primary"), waits

    def token_statuses() -> list[int]:
        return [e.status for e in fake.log if e.path == "/token"]

    fake.reset_log()
    calendar, waits = calendar_with(budget=30)
    fake.fail_token(3, 503)
    assert calendar.changes(None).full
    assert token_statuses() == [503, 503, 503, 200]
    assert len(waits) == 3

    fake.reset_log()
    calendar, waits = calendar_with(budget=0)
    fake.fail_token(1, 503)
    with pytest.raises(Unavailable) as outage:
        calendar.changes(None)
    assert not isinstance(outage.value, AuthError)
    assert outage.value.status == "503"
    assert token_statuses() == [503]
    with calendar.batch():  # a batch refreshes the token through the same path
        calendar.create(session_event("k/tok"))

    calendar, waits = calendar_with(budget=30)
    fake.revoke()
    try:
        with pytest.raises(AuthError, match="racecal auth google"):
            calendar.changes(None)
    finally:
        fake.revoke(False)
    assert waits == []  # a refusal is not retried
