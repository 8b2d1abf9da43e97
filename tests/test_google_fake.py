"""The local Google Calendar fake answers the real google-api-python-client the way Google does:
calendars, events with etags and If-Match, paging and sync tokens, recurrence expansion,
freeBusy, push channels, batches, faults, token refresh and per-user data."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import google.auth.exceptions
import httplib2
import pytest
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2.credentials import Credentials as UserCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from tests.fakes.google_calendar import FakeGoogleCalendar

Service = Any  # googleapiclient builds its resources at run time


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def client(fake: FakeGoogleCalendar, credentials: Credentials | None = None) -> Service:
    return build(
        "calendar", "v3", static_discovery=True,
        credentials=credentials or AnonymousCredentials(),
        client_options={"api_endpoint": fake.api_endpoint},
    )  # fmt: skip


@pytest.fixture
def service(fake: FakeGoogleCalendar) -> Service:
    return client(fake)


@pytest.fixture
def training(service: Service) -> str:
    return str(service.calendars().insert(body={"summary": "Training"}).execute()["id"])


def session(day: int, hour: int = 7, **extra: Any) -> dict[str, Any]:
    start, end = f"2027-03-{day:02d}T{hour:02d}:00:00+01:00", f"2027-03-{day:02d}T{hour + 1:02d}:00:00+01:00"  # fmt: skip  # noqa: E501
    return {"summary": f"Run {day}", "start": {"dateTime": start}, "end": {"dateTime": end}} | extra


def status_of(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(HttpError) as raised:
        call()
    return raised.value.status_code, raised.value.error_details[0]["reason"]


def test_calendars_are_created_listed_read_and_deleted(service: Service) -> None:
    created = service.calendars().insert(body={"summary": "Training"}).execute()
    assert created["id"].endswith("@group.calendar.google.com")
    assert service.calendars().get(calendarId=created["id"]).execute()["summary"] == "Training"
    entries = service.calendarList().list().execute()["items"]
    assert [e.get("primary", False) for e in entries] == [True, False]
    assert entries[1] | {"accessRole": "owner", "id": created["id"]} == entries[1]
    primary = service.calendars().get(calendarId="primary").execute()
    assert primary["id"] == entries[0]["id"]
    service.calendars().delete(calendarId=created["id"]).execute()
    assert status_of(service.calendars().get(calendarId=created["id"]).execute)[0] == 404
    assert status_of(service.events().list(calendarId=created["id"]).execute)[0] == 404


def test_client_ids_are_checked_and_a_duplicate_is_409_even_after_delete(
    service: Service, training: str
) -> None:
    events = service.events()
    created = events.insert(calendarId=training, body=session(1, id="race00001")).execute()
    assert created["id"] == "race00001"
    assert created["etag"].startswith('"')
    assert created["status"] == "confirmed"
    duplicate = events.insert(calendarId=training, body=session(1, id="race00001"))
    assert status_of(duplicate.execute) == (409, "duplicate")
    assert status_of(events.insert(calendarId=training, body=session(1, id="UPPER1")).execute)[0] == 400  # fmt: skip  # noqa: E501
    events.delete(calendarId=training, eventId="race00001").execute()
    assert status_of(duplicate.execute) == (409, "duplicate")


def test_if_match_guards_update_patch_and_delete(service: Service, training: str) -> None:
    events = service.events()
    first = events.insert(calendarId=training, body=session(2, id="sess00001")).execute()
    stale = first["etag"]
    update = events.update(calendarId=training, eventId="sess00001", body=session(3))
    update.headers["If-Match"] = stale
    second = update.execute()
    assert second["etag"] != stale
    assert second["sequence"] == 1
    assert second["id"] == "sess00001"
    assert second["created"] == first["created"]
    again = events.update(calendarId=training, eventId="sess00001", body=session(4))
    again.headers["If-Match"] = stale
    assert status_of(again.execute) == (412, "conditionNotMet")
    patch = events.patch(calendarId=training, eventId="sess00001", body={"colorId": "5"})
    patch.headers["If-Match"] = second["etag"]
    patched = patch.execute()
    assert (patched["colorId"], patched["summary"], patched["sequence"]) == ("5", "Run 3", 1)
    delete = events.delete(calendarId=training, eventId="sess00001")
    delete.headers["If-Match"] = second["etag"]
    assert status_of(delete.execute) == (412, "conditionNotMet")
    delete.headers["If-Match"] = patched["etag"]
    assert delete.execute() == ""


def test_deleted_events_answer_410_and_an_update_revives_them(
    service: Service, training: str
) -> None:
    events = service.events()
    events.insert(calendarId=training, body=session(5, id="gone00001")).execute()
    events.delete(calendarId=training, eventId="gone00001").execute()
    assert status_of(events.delete(calendarId=training, eventId="gone00001").execute) == (410, "deleted")  # fmt: skip  # noqa: E501
    assert status_of(events.get(calendarId=training, eventId="gone00001").execute)[0] == 410
    assert status_of(events.delete(calendarId=training, eventId="never0001").execute)[0] == 404
    revived = events.update(calendarId=training, eventId="gone00001", body=session(6)).execute()
    assert revived["status"] == "confirmed"
    assert events.get(calendarId=training, eventId="gone00001").execute()["summary"] == "Run 6"


def test_pages_carry_next_page_token_and_only_the_last_a_sync_token(
    service: Service, training: str
) -> None:
    for day in range(1, 6):
        service.events().insert(calendarId=training, body=session(day)).execute()
    pages, token = [], None
    while True:
        page = service.events().list(calendarId=training, maxResults=2, pageToken=token).execute()
        pages.append(page)
        token = page.get("nextPageToken")
        if token is None:
            break
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert ["nextSyncToken" in p for p in pages] == [False, False, True]
    assert ["nextPageToken" in p for p in pages] == [True, True, False]
    assert len({i["id"] for p in pages for i in p["items"]}) == 5
    request = service.events().list(calendarId=training, maxResults=2)
    walked = 0
    while request is not None:  # the client's own paging works too
        walked += len(request.execute()["items"])
        request = service.events().list_next(request, request.execute())
    assert walked == 5


def test_incremental_sync_returns_changes_and_deletions_then_410_when_invalidated(
    fake: FakeGoogleCalendar, service: Service, training: str
) -> None:
    events = service.events()
    for day in (1, 2, 3):
        events.insert(calendarId=training, body=session(day, id=f"diff0000{day}")).execute()
    full = events.list(calendarId=training).execute()
    assert len(full["items"]) == 3
    token = full["nextSyncToken"]
    assert events.list(calendarId=training, syncToken=token).execute()["items"] == []
    events.patch(calendarId=training, eventId="diff00001", body={"summary": "Moved"}).execute()
    events.delete(calendarId=training, eventId="diff00002").execute()
    fake.put_event(training, session(9, id="athlete01", summary="Dentist"))
    delta = events.list(calendarId=training, syncToken=token).execute()
    changed = {e["id"]: e for e in delta["items"]}
    assert set(changed) == {"diff00001", "diff00002", "athlete01"}
    assert changed["diff00001"]["summary"] == "Moved"
    assert changed["diff00002"]["status"] == "cancelled"
    assert changed["athlete01"]["summary"] == "Dentist"
    newer = delta["nextSyncToken"]
    assert events.list(calendarId=training, syncToken=newer).execute()["items"] == []
    # showDeleted decides only for full listings
    listed = events.list(calendarId=training, showDeleted=True).execute()["items"]
    assert {e["id"]: e["status"] for e in listed}["diff00002"] == "cancelled"
    assert len(events.list(calendarId=training).execute()["items"]) == 3
    mixed = events.list(calendarId=training, syncToken=newer, timeMin="2027-03-01T00:00:00Z")
    assert status_of(mixed.execute)[0] == 400
    fake.fail_next(1, "410")
    assert status_of(events.list(calendarId=training, syncToken=newer).execute) == (410, "fullSyncRequired")  # fmt: skip  # noqa: E501
    assert events.list(calendarId=training, syncToken=newer).execute()["items"] == []
    fake.invalidate_sync_tokens()
    assert status_of(events.list(calendarId=training, syncToken=newer).execute)[0] == 410
    assert events.list(calendarId=training).execute()["nextSyncToken"] != newer


def test_private_extended_properties_filter_and_repeat(service: Service, training: str) -> None:
    mine = {"private": {"racecal": "1", "kind": "run"}}
    service.events().insert(calendarId=training, body=session(1, extendedProperties=mine)).execute()  # fmt: skip  # noqa: E501
    other = {"private": {"racecal": "1", "kind": "gym"}}
    service.events().insert(calendarId=training, body=session(2, extendedProperties=other)).execute()  # fmt: skip  # noqa: E501
    service.events().insert(calendarId=training, body=session(3)).execute()
    found = service.events().list(calendarId=training, privateExtendedProperty="racecal=1").execute()  # fmt: skip  # noqa: E501
    assert len(found["items"]) == 2
    both = (
        service.events()
        .list(calendarId=training, privateExtendedProperty=["racecal=1", "kind=gym"])
        .execute()
    )
    assert [e["summary"] for e in both["items"]] == ["Run 2"]


def test_single_events_expand_a_weekly_rule(service: Service, training: str) -> None:
    body = {
        "id": "series001", "summary": "Intervals",
        "start": {"dateTime": "2027-03-22T18:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2027-03-22T19:00:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"],
    }  # fmt: skip
    service.events().insert(calendarId=training, body=body).execute()
    masters = service.events().list(calendarId=training).execute()["items"]
    assert [m["recurrence"] for m in masters] == [body["recurrence"]]
    expanded = (
        service.events()
        .list(calendarId=training, singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )
    assert [i["id"] for i in expanded] == [
        "series001_20270322T170000Z", "series001_20270325T170000Z",
        "series001_20270329T160000Z", "series001_20270401T160000Z",  # after the DST change
    ]  # fmt: skip
    assert {i["recurringEventId"] for i in expanded} == {"series001"}
    assert expanded[2]["start"]["dateTime"] == "2027-03-29T18:00:00+02:00"
    assert all("recurrence" not in i for i in expanded)
    window = service.events().list(
        calendarId=training, singleEvents=True,
        timeMin="2027-03-24T00:00:00Z", timeMax="2027-03-30T00:00:00Z",
    ).execute()["items"]  # fmt: skip
    assert sorted(i["start"]["dateTime"][:10] for i in window) == ["2027-03-25", "2027-03-29"]
    unordered = service.events().list(calendarId=training, orderBy="startTime")
    assert status_of(unordered.execute)[0] == 400


def test_a_deleted_occurrence_is_a_cancelled_exception_of_its_series(
    fake: FakeGoogleCalendar, service: Service, training: str
) -> None:
    """As Google documents it: the exception keeps id, series and original start; it is listed
    with the series (singleEvents=false, no showDeleted) and in a sync, and frees its slot in
    the expanded listing and in freeBusy."""
    body = {
        "id": "series002", "summary": "Stand-up",
        "start": {"dateTime": "2027-03-22T07:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2027-03-22T08:00:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
    }  # fmt: skip
    service.events().insert(calendarId=training, body=body).execute()
    token = service.events().list(calendarId=training).execute()["nextSyncToken"]
    one = "series002_20270323T060000Z"
    assert service.events().get(calendarId=training, eventId=one).execute()["id"] == one
    service.events().delete(calendarId=training, eventId=one).execute()
    listed = service.events().list(calendarId=training).execute()["items"]
    exception = next(i for i in listed if i["id"] == one)
    assert exception["status"] == "cancelled"
    assert exception["recurringEventId"] == "series002"
    assert exception["originalStartTime"]["dateTime"].startswith("2027-03-23T07:00:00")
    assert "start" not in exception
    synced = service.events().list(calendarId=training, syncToken=token).execute()["items"]
    assert [(i["id"], i["recurringEventId"]) for i in synced] == [(one, "series002")]
    expanded = service.events().list(calendarId=training, singleEvents=True).execute()["items"]
    assert [i["id"] for i in expanded] == [
        "series002_20270322T060000Z", "series002_20270324T060000Z"
    ]  # fmt: skip
    window = {"timeMin": "2027-03-22T00:00:00Z", "timeMax": "2027-03-25T00:00:00Z"}
    busy = service.freebusy().query(body={**window, "items": [{"id": training}]}).execute()
    assert [b["start"][:10] for b in busy["calendars"][training]["busy"]] == [
        "2027-03-22", "2027-03-24"
    ]  # fmt: skip


def test_the_token_endpoint_fails_on_request(fake: FakeGoogleCalendar) -> None:
    fake.fail_token(1, 503)
    credentials = UserCredentials(
        token=None, refresh_token="user:alice", token_uri=f"{fake.url}/token",
        client_id="client", client_secret="secret",
    )  # fmt: skip
    assert client(fake, credentials).calendarList().list().execute()["items"]
    # google-auth retries a 503 at the token endpoint itself (after a second of its own).
    assert [e.status for e in fake.log if e.path == "/token"] == [503, 200]


def test_free_busy_counts_opaque_timed_events_and_recurrences(
    fake: FakeGoogleCalendar, service: Service
) -> None:
    fake.put_event("primary", session(1, hour=7))
    fake.put_event("primary", session(1, hour=8))  # touches the first: one busy block
    fake.put_event("primary", session(2, hour=7, transparency="transparent"))
    fake.put_event("primary", {"summary": "Trip", "start": {"date": "2027-03-02"}, "end": {"date": "2027-03-03"}})  # fmt: skip  # noqa: E501
    fake.put_event("primary", session(3, recurrence=["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=2"]))
    gone = fake.put_event("primary", session(4, hour=12))
    fake.put_event("primary", gone | {"status": "cancelled"})
    body = {"timeMin": "2027-03-01T00:00:00Z", "timeMax": "2027-03-06T00:00:00Z"}
    body["items"] = [{"id": "primary"}, {"id": "nobody@example.com"}]
    answer = service.freebusy().query(body=body).execute()
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2027-03-01T06:00:00Z", "end": "2027-03-01T08:00:00Z"},
        {"start": "2027-03-03T06:00:00Z", "end": "2027-03-03T07:00:00Z"},
        {"start": "2027-03-05T06:00:00Z", "end": "2027-03-05T07:00:00Z"},
    ]
    assert answer["calendars"]["nobody@example.com"]["errors"][0]["reason"] == "notFound"


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[dict[str, str]]]]:
    received: queue.Queue[dict[str, str]] = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.put(dict(self.headers.items()))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_watch_notifies_the_channel_address_until_stopped(
    fake: FakeGoogleCalendar,
    service: Service,
    training: str,
    receiver: tuple[str, queue.Queue[dict[str, str]]],
) -> None:
    address, received = receiver
    body = {"id": "chan-1", "type": "web_hook", "address": address, "token": "athlete=7"}
    channel = service.events().watch(calendarId=training, body=body).execute()
    assert channel["kind"] == "api#channel"
    assert channel["token"] == "athlete=7"
    assert int(channel["expiration"]) > 0
    assert channel["resourceId"]
    first = received.get(timeout=5)
    assert (first["X-Goog-Resource-State"], first["X-Goog-Message-Number"]) == ("sync", "1")
    fake.put_event(training, session(1))
    change = received.get(timeout=5)
    assert change["X-Goog-Resource-State"] == "exists"
    assert change["X-Goog-Channel-ID"] == "chan-1"
    assert change["X-Goog-Channel-Token"] == "athlete=7"
    assert change["X-Goog-Resource-ID"] == channel["resourceId"]
    assert change["X-Goog-Message-Number"] == "2"
    stop = {"id": "chan-1", "resourceId": channel["resourceId"]}
    service.channels().stop(body=stop).execute()
    assert status_of(service.channels().stop(body=stop).execute)[0] == 404
    fake.put_event(training, session(2))
    service.events().list(calendarId=training).execute()
    with pytest.raises(queue.Empty):
        received.get(timeout=0.3)


def test_a_batch_answers_each_call_to_its_callback(
    fake: FakeGoogleCalendar, service: Service, training: str
) -> None:
    existing = service.events().insert(calendarId=training, body=session(9, id="keep00001")).execute()  # fmt: skip  # noqa: E501
    answers: dict[str, tuple[Any, HttpError | None]] = {}
    batch = BatchHttpRequest(
        batch_uri=fake.batch_uri, callback=lambda rid, resp, exc: answers.update({rid: (resp, exc)})
    )
    for day in (1, 2, 3):
        batch.add(service.events().insert(calendarId=training, body=session(day, id=f"batch000{day}")), request_id=f"new-{day}")  # fmt: skip  # noqa: E501
    update = service.events().update(calendarId=training, eventId="keep00001", body=session(10))
    update.headers["If-Match"] = existing["etag"]
    batch.add(update, request_id="move")
    fake.reset_log()
    batch.execute()
    assert {rid: resp["id"] for rid, (resp, _) in answers.items()} == {
        "new-1": "batch0001", "new-2": "batch0002", "new-3": "batch0003", "move": "keep00001",
    }  # fmt: skip
    assert all(exc is None for _, exc in answers.values())
    assert answers["move"][0]["summary"] == "Run 10"
    assert [(e.method, e.status) for e in fake.log] == [("POST", 200)]
    assert [e.method for e in fake.batch_log] == ["POST", "POST", "POST", "PUT"]
    assert fake.call_counts == {"POST": 3, "PUT": 1}
    # the same update again: its etag is stale now, and only that part fails
    again = BatchHttpRequest(batch_uri=fake.batch_uri)
    results: list[HttpError | None] = []
    again.add(update, callback=lambda rid, resp, exc: results.append(exc))
    again.add(service.events().get(calendarId=training, eventId="batch0001"), callback=lambda rid, resp, exc: results.append(exc))  # fmt: skip  # noqa: E501
    again.execute()
    assert results[0] is not None
    assert results[0].status_code == 412
    assert results[1] is None


def test_a_batch_of_51_calls_is_refused(fake: FakeGoogleCalendar, service: Service) -> None:
    batch = BatchHttpRequest(batch_uri=fake.batch_uri)
    for _ in range(51):
        batch.add(service.calendarList().list())
    with pytest.raises(HttpError) as raised:
        batch.execute()
    assert raised.value.status_code == 400
    assert fake.batch_log == []


def test_faults_inside_a_batch_hit_single_calls(fake: FakeGoogleCalendar, service: Service) -> None:
    fake.fail_next(1, "429", in_batch=True)
    outcomes: list[int] = []
    batch = BatchHttpRequest(batch_uri=fake.batch_uri)
    for day in (1, 2):
        batch.add(
            service.events().insert(calendarId="primary", body=session(day)),
            callback=lambda rid, resp, exc: outcomes.append(exc.status_code if exc else 200),
        )
    batch.execute()
    assert outcomes == [429, 200]
    assert len(fake.events("primary")) == 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("429", (429, "rateLimitExceeded")), ("503", (503, "backendError")),
     ("500", (500, "backendError")), ("403rate", (403, "rateLimitExceeded")),
     ("403userrate", (403, "userRateLimitExceeded"))],
)  # fmt: skip
def test_injected_faults_reach_the_client_as_http_errors(
    fake: FakeGoogleCalendar, service: Service, kind: str, expected: tuple[int, str]
) -> None:
    fake.retry_after = 3
    fake.fail_next(1, kind)
    with pytest.raises(HttpError) as raised:
        service.calendarList().list().execute()
    assert (raised.value.status_code, raised.value.error_details[0]["reason"]) == expected
    if kind in ("429", "503"):
        assert raised.value.resp["retry-after"] == "3"
    assert service.calendarList().list().execute()["items"]
    assert fake.injected[kind] == 1


def test_seeded_faults_repeat_exactly(fake: FakeGoogleCalendar, service: Service) -> None:
    def run() -> list[int]:
        fake.faults(rate=0.5, kinds=("429", "503", "500", "403rate"), seed=7)
        fake.reset_log()
        for _ in range(20):
            with contextlib.suppress(HttpError):
                service.calendarList().list().execute()
        return [entry.status for entry in fake.log]

    first = run()
    assert first == run()
    assert 200 in first
    assert set(first) - {200}
    fake.faults(rate=0)
    assert service.calendarList().list().execute()["items"]


def test_a_dropped_connection_is_resent_once_by_httplib2_then_raised(
    fake: FakeGoogleCalendar, service: Service
) -> None:
    fake.fail_next(1, "drop")
    assert service.calendarList().list().execute()["items"]  # httplib2 sent it again
    assert [e.status for e in fake.log] == [0, 200]
    fake.fail_next(2, "drop")
    with pytest.raises((ConnectionError, httplib2.HttpLib2Error)):
        service.calendarList().list().execute()


def test_a_lost_reply_is_resent_too_so_only_client_ids_keep_inserts_single(
    fake: FakeGoogleCalendar, service: Service
) -> None:
    fake.fail_next(1, "lost")
    service.events().insert(calendarId="primary", body=session(1)).execute()
    assert len(fake.events("primary")) == 2  # written twice, the client saw one success
    fake.fail_next(1, "lost")
    repeat = service.events().insert(calendarId="primary", body=session(2, id="once00001"))
    assert status_of(repeat.execute) == (409, "duplicate")  # the first send did write it
    assert len(fake.events("primary")) == 3


def test_tokens_refresh_against_the_token_endpoint_and_fail_after_revoke() -> None:
    with FakeGoogleCalendar(require_token="good-token") as fake:
        credentials = UserCredentials(
            token="expired", refresh_token="refresh-1", token_uri=f"{fake.url}/token",
            client_id="client", client_secret="secret",
        )  # fmt: skip
        service = client(fake, credentials)
        assert service.calendarList().list().execute()["items"]  # 401, refresh, retried
        assert credentials.token == "good-token"
        assert fake.tokens_issued == 1
        assert [e.status for e in fake.log] == [401, 200, 200]
        with pytest.raises(google.auth.exceptions.InvalidOperation):  # it tries to refresh
            client(fake).calendarList().list().execute()
        bare = build("calendar", "v3", static_discovery=True, http=httplib2.Http(),
                     client_options={"api_endpoint": fake.api_endpoint})  # fmt: skip
        assert status_of(bare.calendarList().list().execute) == (401, "authError")
        fake.revoke()
        with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
            service.calendarList().list().execute()
        fresh = UserCredentials(
            token=None, refresh_token="refresh-1", token_uri=f"{fake.url}/token",
            client_id="client", client_secret="secret",
        )  # fmt: skip
        with pytest.raises(google.auth.exceptions.RefreshError):
            client(fake, fresh).calendarList().list().execute()
        fake.revoke(False)
        assert client(fake, fresh).calendarList().list().execute()["items"]


def test_each_bearer_user_has_their_own_calendars(fake: FakeGoogleCalendar) -> None:
    alice = client(fake, UserCredentials(token="user:alice"))
    bob = client(fake, UserCredentials(token="user:bob"))
    made = alice.calendars().insert(body={"summary": "Alice training"}).execute()
    assert status_of(bob.calendars().get(calendarId=made["id"]).execute)[0] == 404
    alice.events().insert(calendarId="primary", body=session(1)).execute()
    assert bob.events().list(calendarId="primary").execute()["items"] == []
    assert len(fake.events("primary", user="alice")) == 1
    assert alice.calendars().get(calendarId="primary").execute()["id"] == "alice@example.com"


def test_concurrent_clients_each_with_their_own_http(fake: FakeGoogleCalendar) -> None:
    errors: list[BaseException] = []

    def athlete(n: int) -> None:
        try:
            own = client(fake, UserCredentials(token=f"user:a{n}"))
            for day in range(1, 6):
                own.events().insert(calendarId="primary", body=session(day)).execute()
            assert len(own.events().list(calendarId="primary").execute()["items"]) == 5
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=athlete, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fake.counts["POST"] == 40
    assert fake.counts["GET"] == 8


def test_helpers_log_latency_and_stored_properties(
    fake: FakeGoogleCalendar, service: Service, training: str
) -> None:
    long_key = "k" * 45
    props = {"private": {"racecal": "x" * 2000, long_key: "dropped"}}
    made = fake.put_event(training, session(1, id="prop00001", extendedProperties=props))
    assert made["extendedProperties"]["private"] == {"racecal": "x" * 1024}
    fake.reset_log()
    service.events().list(calendarId=training, maxResults=7).execute()
    service.events().insert(calendarId=training, body=session(2), sendUpdates="none").execute()
    listing, insert = fake.log
    assert (listing.method, listing.path, listing.status) == ("GET", f"/calendar/v3/calendars/{training}/events", 200)  # fmt: skip  # noqa: E501
    assert listing.query["maxResults"] == ["7"]
    assert insert.query["sendUpdates"] == ["none"]
    assert fake.send_updates == [("POST", "none")]
    assert fake.counts == {"GET": 1, "POST": 1}
    fake.latency_ms = 60
    began = time.monotonic()
    service.calendarList().list().execute()
    assert time.monotonic() - began >= 0.06
    fake.delete_calendar(training)
    assert status_of(service.calendars().get(calendarId=training).execute)[0] == 404
