"""What the Google Calendar API v3 does with calendars, events, freeBusy and push channels, in
memory and per user; `google_calendar.FakeGoogleCalendar` puts it behind HTTP. Stored events are
never changed in place (a write stores a new dict), so replies can be serialised outside the lock.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import itertools
import json
import queue
import re
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from tests.fakes.google_time import instances, now, parse_rfc3339, rfc3339, when

JSON = dict[str, Any]
Query = dict[str, list[str]]
SYNC_EXCLUSIVE = {"iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty"}
SYNC_EXCLUSIVE |= {"timeMin", "timeMax", "updatedMin"}
EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
READ_ONLY = ("kind", "etag", "created", "updated", "htmlLink", "creator", "organizer")
SHOWN_DELETED = ("kind", "etag", "id", "status")
SHOWN_CANCELLED_OCCURRENCE = ("recurringEventId", "originalStartTime")
ETAG_BASE = 3181161784712000


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


class Reply(NamedTuple):
    status: int
    body: JSON | None
    headers: dict[str, str]


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    uid: int
    primary: bool = False
    description: str = ""
    generation: int = 0
    events: dict[str, JSON] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)  # event id -> change number
    changes: list[tuple[int, str]] = field(default_factory=list)  # (change number, event id)


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    token: str
    address: str
    expiration: int  # ms since the epoch
    calendar_uid: int
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))


def _id() -> str:
    return base64.b32hexencode(secrets.token_bytes(15)).decode().lower()


def _pack(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _unpack(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError) as error:
        raise ApiError(400, "invalid", "Invalid token value.") from error


def _merge(old: JSON, patch: JSON) -> JSON:
    """PATCH semantics: objects merge field by field, lists and scalars replace, null removes."""
    merged = dict(old)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(old.get(key), dict):
            merged[key] = _merge(old[key], value)
        else:
            merged[key] = value
    return merged


def _clean(body: JSON) -> JSON:
    """The client's part of an event; extended properties as Google stores them (keys over 44
    characters dropped, values cut to 1024)."""
    event = {k: v for k, v in body.items() if k not in READ_ONLY}
    props = event.get("extendedProperties")
    if isinstance(props, dict):
        event["extendedProperties"] = {
            scope: {k: str(v)[:1024] for k, v in values.items() if len(k) <= 44}
            for scope, values in props.items()
            if isinstance(values, dict)
        }
    return event


class CalendarApi:
    def __init__(self, max_page_size: int = 2500) -> None:
        self.max_page_size = max_page_size
        self.call_counts: Counter[str] = Counter()  # API calls by method, batched ones included
        self.injected: Counter[str] = Counter()  # faults applied, by kind
        self.send_updates: list[tuple[str, str]] = []  # (method, sendUpdates value)
        self.notifications: list[tuple[str, dict[str, str], bool]] = []  # address, headers, ok
        self._lock = threading.RLock()
        self._users: dict[str, dict[str, Calendar]] = {}
        self._seq = 0
        self._uids = itertools.count(1)
        self._generation = 0
        self._pending = {"410": 0, "412": 0}  # targeted faults waiting for their call
        self._channels: dict[str, Channel] = {}
        self._watchers: dict[int, list[Channel]] = {}
        self._outbox: queue.Queue[tuple[str, dict[str, str]] | None] = queue.Queue()

    @property
    def url(self) -> str:
        """Where the API is served (for resource URIs); the HTTP server says."""
        return ""

    # -- direct access, no HTTP ------------------------------------------------------------------

    def invalidate_sync_tokens(self, calendar_id: str | None = None, user: str = "me") -> None:
        with self._lock:
            if calendar_id is None:
                self._generation += 1
            else:
                self._calendar(user, calendar_id).generation += 1

    def add_calendar(self, summary: str, user: str = "me", time_zone: str = "UTC") -> str:
        with self._lock:
            created = self._insert_calendar(user, {"summary": summary, "timeZone": time_zone})
            return str(created["id"])

    def put_event(self, calendar_id: str, body: JSON, user: str = "me") -> JSON:
        """Create or replace an event as the athlete's own app would (a change like any other)."""
        with self._lock:
            calendar = self._calendar(user, calendar_id)
            body = copy.deepcopy(body)
            event_id = body.setdefault("id", _id())
            old = calendar.events.get(event_id)
            if old is None:
                return copy.deepcopy(self._insert_event(calendar, body))
            fixed = {k: old[k] for k in ("kind", "creator", "organizer")}
            return copy.deepcopy(self._write_event(calendar, old, _clean(body) | fixed))

    def events(self, calendar_id: str, user: str = "me", deleted: bool = False) -> list[JSON]:
        with self._lock:
            found = self._calendar(user, calendar_id).events.values()
            return [copy.deepcopy(e) for e in found if deleted or e["status"] != "cancelled"]

    def calendars(self, user: str = "me") -> dict[str, str]:
        """The user's calendars now: id -> summary (the primary one included)."""
        with self._lock:
            return {c.id: c.summary for c in self._calendars(user).values()}

    def channels(self) -> list[Channel]:
        """The push channels open now."""
        with self._lock:
            return list(self._channels.values())

    def delete_calendar(self, calendar_id: str, user: str = "me") -> None:
        """Later calls on it answer 404 (the primary calendar cannot be deleted: 400)."""
        with self._lock:
            calendar = self._calendar(user, calendar_id)
            if calendar.primary:
                raise ApiError(400, "cannotDeletePrimaryCalendar", "Cannot delete primary")
            del self._users[user][calendar.id]
            for channel in self._watchers.pop(calendar.uid, []):
                self._channels.pop(channel.id, None)

    # -- the API ---------------------------------------------------------------------------------

    def _take(self, kind: str, fault: str | None) -> bool:
        """Whether the targeted fault `kind` hits the call now (drawn, or waiting for it)."""
        if fault == kind or self._pending[kind]:
            if fault != kind:
                self._pending[kind] -= 1
            self.injected[kind] += 1
            return True
        return False

    def _route(
        self, method: str, path: str, query: Query, headers: Mapping[str, str], data: JSON,
        user: str, fault: str | None,
    ) -> Reply:  # fmt: skip
        if not path.startswith("/calendar/v3/"):
            raise ApiError(404, "notFound", "Not Found")
        parts = [unquote(p) for p in path.removeprefix("/calendar/v3/").strip("/").split("/")]
        match method, parts:
            case "GET", ["users", "me", "calendarList"]:
                self._calendars(user)
                items = [self._list_entry(c) for c in self._users[user].values()]
                return Reply(200, {"kind": "calendar#calendarList", "items": items}, {})
            case "GET", ["users", "me", "calendarList", calendar_id]:
                return Reply(200, self._list_entry(self._calendar(user, calendar_id)), {})
            case "POST", ["calendars"]:
                return Reply(200, self._insert_calendar(user, data), {})
            case "GET", ["calendars", calendar_id]:
                return Reply(200, self._calendar_resource(self._calendar(user, calendar_id)), {})
            case "DELETE", ["calendars", calendar_id]:
                self.delete_calendar(calendar_id, user)
                return Reply(204, None, {})
            case "GET", ["calendars", calendar_id, "events"]:
                return self._list(self._calendar(user, calendar_id), query, fault)
            case "POST", ["calendars", calendar_id, "events"]:
                event = self._insert_event(self._calendar(user, calendar_id), data)
                return Reply(200, event, {"ETag": event["etag"]})
            case "POST", ["calendars", calendar_id, "events", "watch"]:
                return Reply(200, self._watch(self._calendar(user, calendar_id), data), {})
            case (("GET" | "PUT" | "PATCH" | "DELETE"), ["calendars", calendar_id, "events", eid]):
                return self._event_call(
                    method, self._calendar(user, calendar_id), eid, headers, data, fault
                )
            case "POST", ["freeBusy"]:
                return Reply(200, self._free_busy(user, data), {})
            case "POST", ["channels", "stop"]:
                channel = self._channels.get(data.get("id", ""))
                if channel is None or channel.resource_id != data.get("resourceId"):
                    raise ApiError(404, "notFound", f"Channel '{data.get('id')}' not found")
                del self._channels[channel.id]
                self._watchers[channel.calendar_uid].remove(channel)
                return Reply(204, None, {})
        raise ApiError(404, "notFound", "Not Found")

    # -- calendars -------------------------------------------------------------------------------

    def _calendars(self, user: str) -> dict[str, Calendar]:
        calendars = self._users.get(user)
        if calendars is None:
            primary = Calendar(f"{user}@example.com", user, "UTC", next(self._uids), primary=True)
            calendars = self._users[user] = {primary.id: primary}
        return calendars

    def _calendar(self, user: str, calendar_id: str) -> Calendar:
        calendars = self._calendars(user)
        if calendar_id == "primary":
            return next(iter(calendars.values()))
        found = calendars.get(calendar_id)
        if found is None:
            raise ApiError(404, "notFound", "Not Found")
        return found

    def _insert_calendar(self, user: str, data: JSON) -> JSON:
        if not data.get("summary"):
            raise ApiError(400, "required", "Missing title.")
        calendar_id = f"{_id()}@group.calendar.google.com"
        calendar = Calendar(
            calendar_id, data["summary"], data.get("timeZone", "UTC"), next(self._uids),
            description=data.get("description", ""),
        )  # fmt: skip
        self._calendars(user)[calendar_id] = calendar
        return self._calendar_resource(calendar)

    def _calendar_resource(self, calendar: Calendar) -> JSON:
        resource = {"kind": "calendar#calendar", "etag": f'"{ETAG_BASE + calendar.uid}"'}
        resource |= {"id": calendar.id, "summary": calendar.summary, "timeZone": calendar.time_zone}
        return resource | ({"description": calendar.description} if calendar.description else {})

    def _list_entry(self, calendar: Calendar) -> JSON:
        entry = self._calendar_resource(calendar) | {"kind": "calendar#calendarListEntry"}
        return entry | {"accessRole": "owner"} | ({"primary": True} if calendar.primary else {})

    # -- events ----------------------------------------------------------------------------------

    def _write_event(self, calendar: Calendar, old: JSON | None, event: JSON) -> JSON:
        """Store a new version of an event: new etag, `updated`, change number; notify."""
        start, end = when(event["start"]), when(event["end"])
        if end < start:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        moved = old is not None and any(old.get(k) != event.get(k) for k in ("start", "end"))
        if old is not None:
            sequence = max(int(event.get("sequence", 0)), int(old.get("sequence", 0)))
            event = event | {k: old[k] for k in ("id", "created", "iCalUID")}
            event["sequence"] = sequence + (
                moved or old.get("recurrence") != event.get("recurrence")
            )
        return self._store(calendar, event)

    def _store(self, calendar: Calendar, event: JSON) -> JSON:
        self._seq += 1
        event["etag"] = f'"{ETAG_BASE + self._seq * 1000}"'
        event["updated"] = rfc3339(now())
        event.setdefault("status", "confirmed")
        calendar.events[event["id"]] = event
        calendar.seqs[event["id"]] = self._seq
        calendar.changes.append((self._seq, event["id"]))
        self._notify(calendar, "exists")
        return event

    def _instance(self, calendar: Calendar, event_id: str) -> JSON | None:
        """The occurrence `event_id` (`<series id>_<original start>`) of a live series."""
        series = calendar.events.get(event_id.rpartition("_")[0])
        if series is None or series["status"] == "cancelled" or not series.get("recurrence"):
            return None
        return next((i for i in instances(series, None) if i["id"] == event_id), None)

    def _occurrences(self, calendar: Calendar, series: JSON, limit: datetime | None) -> list[JSON]:
        """A series' occurrences without those that have an exception of their own."""
        return [i for i in instances(series, limit) if i["id"] not in calendar.events]

    def _insert_event(self, calendar: Calendar, data: JSON) -> JSON:
        event_id = data.get("id") or _id()
        if not EVENT_ID.fullmatch(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if event_id in calendar.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        if "start" not in data or "end" not in data:
            raise ApiError(400, "required", "Missing end time." if "start" in data else "Missing start time.")  # fmt: skip  # noqa: E501
        event = _clean(data) | {"kind": "calendar#event", "id": event_id, "created": rfc3339(now())}
        event.setdefault("iCalUID", f"{event_id}@google.com")
        event.setdefault("sequence", 0)
        event["creator"] = event["organizer"] = {"email": calendar.id, "self": True}
        return self._write_event(calendar, None, event)

    def _event_call(
        self, method: str, calendar: Calendar, event_id: str, headers: Mapping[str, str],
        data: JSON, fault: str | None,
    ) -> Reply:  # fmt: skip
        old = calendar.events.get(event_id)
        if old is None:
            occurrence = self._instance(calendar, event_id)
            if occurrence is None or method not in ("GET", "DELETE"):
                raise ApiError(404, "notFound", "Not Found")
            if method == "GET":
                return Reply(200, occurrence, {"ETag": occurrence["etag"]})
            # Deleting one occurrence stores a cancelled exception of the series, which keeps
            # only what Google guarantees for one: id, series and original start.
            exception = {"kind": "calendar#event", "id": event_id, "status": "cancelled"}
            exception |= {k: occurrence[k] for k in ("recurringEventId", "originalStartTime")}
            self._store(calendar, exception)
            return Reply(204, None, {})
        cancelled = old["status"] == "cancelled"
        if method == "GET" or (method == "DELETE" and cancelled):
            if cancelled:
                raise ApiError(410, "deleted", "Resource has been deleted")
            return Reply(200, old, {"ETag": old["etag"]})
        wanted = headers.get("if-match")
        if wanted is not None and (
            self._take("412", fault)
            or wanted.strip() not in ("*", old["etag"], old["etag"].strip('"'))
        ):
            raise ApiError(412, "conditionNotMet", "Precondition Failed")
        if method == "DELETE":
            self._write_event(calendar, old, old | {"status": "cancelled"})
            return Reply(204, None, {})
        if method == "PUT":
            event = _clean(data) | {"status": data.get("status", "confirmed")}
        else:
            event = _merge(old, _clean(data))
        event = event | {"kind": "calendar#event", "creator": old["creator"]}
        event = self._write_event(calendar, old, event | {"organizer": old["organizer"]})
        return Reply(200, event, {"ETag": event["etag"]})

    def _list(self, calendar: Calendar, query: Query, fault: str | None) -> Reply:
        def one(name: str, default: str = "") -> str:
            return query.get(name, [default])[-1]

        sync_token, page_token = one("syncToken"), one("pageToken")
        if sync_token and any(name in query for name in SYNC_EXCLUSIVE):
            raise ApiError(400, "invalid", "Sync token cannot be combined with these filters.")
        single, order = one("singleEvents") == "true", one("orderBy")
        if order not in ("", "startTime", "updated") or (order == "startTime" and not single):
            raise ApiError(400, "invalid", "The requested ordering is not available.")
        size = int(one("maxResults", "250"))
        if size < 1:
            raise ApiError(400, "invalid", "Invalid value for maxResults")
        size = min(size, self.max_page_size)
        cursor: list[Any] | None = None
        if page_token:
            uid, cursor, snapshot, base = _unpack(page_token)
            if uid != calendar.uid:
                raise ApiError(400, "invalid", "Invalid page token value.")
        else:
            snapshot, base = self._seq, None
            if sync_token:
                uid, base, generation, calendar_generation = _unpack(sync_token)
                if (
                    self._take("410", fault)
                    or uid != calendar.uid
                    or (generation, calendar_generation) != (self._generation, calendar.generation)
                ):
                    raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")  # fmt: skip  # noqa: E501
        if base is not None:
            start = bisect.bisect_right(calendar.changes, base, key=lambda change: change[0])
            ids = dict.fromkeys(event_id for _, event_id in calendar.changes[start:])
            found: Iterable[JSON] = (calendar.events[event_id] for event_id in ids)
        else:
            found = calendar.events.values()
        low = parse_rfc3339(one("timeMin")) if "timeMin" in query else None
        high = parse_rfc3339(one("timeMax")) if "timeMax" in query else None
        updated_min = parse_rfc3339(one("updatedMin")) if "updatedMin" in query else None
        wanted = [tuple(p.split("=", 1)) for p in query.get("privateExtendedProperty", [])]
        text = one("q").lower()
        show_deleted = base is not None or one("showDeleted") == "true"
        rows: list[tuple[list[Any], JSON]] = []
        for event in found:
            seq = calendar.seqs[event["id"]]
            cancelled = event["status"] == "cancelled"
            # Cancelled occurrences of a series are listed unless single events are asked for.
            exception = cancelled and "recurringEventId" in event and not single
            private = event.get("extendedProperties", {}).get("private", {})
            words = f"{event.get('summary')} {event.get('description')}".lower()
            if (
                seq > snapshot
                or (cancelled and not show_deleted and not exception)
                or any(len(p) != 2 or private.get(p[0]) != p[1] for p in wanted)
                or ("iCalUID" in query and event.get("iCalUID") != one("iCalUID"))
                or (updated_min is not None and parse_rfc3339(event["updated"]) < updated_min)
                or (text and text not in words)
            ):
                continue
            recurring = single and event.get("recurrence") and not cancelled
            for item in self._occurrences(calendar, event, high) if recurring else [event]:
                if "start" in item:
                    begin, end = when(item["start"]), when(item["end"])
                else:  # a cancelled occurrence
                    begin = end = when(item["originalStartTime"])
                if (low is None or end > low) and (high is None or begin < high):
                    key = {"startTime": rfc3339(begin), "updated": item["updated"]}.get(order, seq)
                    if cancelled and base is not None:  # in a sync only the id is sure
                        shown = SHOWN_DELETED + (SHOWN_CANCELLED_OCCURRENCE if exception else ())
                        rows.append(([key, item["id"]], {k: item[k] for k in shown}))
                    else:
                        rows.append(([key, item["id"]], item))
        rows.sort(key=lambda row: row[0])
        if cursor is not None:
            rows = [row for row in rows if row[0] > cursor]
        body: JSON = {"kind": "calendar#events", "etag": f'"{ETAG_BASE + snapshot * 1000}"'}
        body |= {"summary": calendar.summary, "timeZone": calendar.time_zone}
        body |= {"accessRole": "owner", "defaultReminders": [], "updated": rfc3339(now())}
        body["items"] = [item for _, item in rows[:size]]
        if len(rows) > size:
            body["nextPageToken"] = _pack([calendar.uid, rows[size - 1][0], snapshot, base])
        else:
            body["nextSyncToken"] = _pack(
                [calendar.uid, snapshot, self._generation, calendar.generation]
            )
        return Reply(200, body, {})

    def _free_busy(self, user: str, data: JSON) -> JSON:
        low, high = parse_rfc3339(data["timeMin"]), parse_rfc3339(data["timeMax"])
        answer: JSON = {}
        for item in data.get("items", []):
            try:
                calendar = self._calendar(user, item["id"])
            except ApiError:
                missing = [{"domain": "global", "reason": "notFound"}]
                answer[item["id"]] = {"errors": missing, "busy": []}
                continue
            spans: list[tuple[datetime, datetime]] = []
            for event in calendar.events.values():
                if (
                    event["status"] == "cancelled"
                    or event.get("transparency") == "transparent"
                    or "date" in event["start"]
                ):
                    continue
                series = event.get("recurrence")
                for one in self._occurrences(calendar, event, high) if series else [event]:
                    begin, end = max(when(one["start"]), low), min(when(one["end"]), high)
                    if begin < end:
                        spans.append((begin, end))
            merged: list[list[datetime]] = []
            for begin, end in sorted(spans):
                if merged and begin <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([begin, end])
            busy = [{"start": rfc3339(b, False), "end": rfc3339(e, False)} for b, e in merged]
            answer[item["id"]] = {"busy": busy}
        times = {"timeMin": rfc3339(low, False), "timeMax": rfc3339(high, False)}
        return {"kind": "calendar#freeBusy", **times, "calendars": answer}

    # -- push channels ---------------------------------------------------------------------------

    def _watch(self, calendar: Calendar, data: JSON) -> JSON:
        if not data.get("id") or not data.get("address"):
            raise ApiError(400, "required", "Channel id and address are required.")
        if data["id"] in self._channels:
            raise ApiError(400, "channelIdNotUnique", "Channel id not unique")
        default = int((now() + timedelta(days=7)).timestamp() * 1000)
        channel = Channel(
            data["id"], _id(), f"{self.url}/calendar/v3/calendars/{calendar.id}/events?alt=json",
            data.get("token", ""), data["address"], int(data.get("expiration") or default),
            calendar.uid,
        )  # fmt: skip
        self._channels[channel.id] = channel
        self._watchers.setdefault(calendar.uid, []).append(channel)
        self._send(channel, "sync")
        resource = {"kind": "api#channel", "id": channel.id, "resourceId": channel.resource_id}
        resource |= {"resourceUri": channel.resource_uri, "expiration": str(channel.expiration)}
        return resource | ({"token": channel.token} if channel.token else {})

    def _notify(self, calendar: Calendar, state: str) -> None:
        moment = now().timestamp() * 1000
        for channel in self._watchers.get(calendar.uid, []):
            if channel.expiration > moment:
                self._send(channel, state)

    def _send(self, channel: Channel, state: str) -> None:
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Message-Number": str(next(channel.numbers)),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": channel.resource_uri,
        } | ({"X-Goog-Channel-Token": channel.token} if channel.token else {})
        self._outbox.put((channel.address, headers))

    def _deliver(self) -> None:
        while (item := self._outbox.get()) is not None:
            address, headers = item
            target = urlsplit(address)
            connection_type = HTTPSConnection if target.scheme == "https" else HTTPConnection
            try:  # http.client keeps the header names as Google writes them
                connection = connection_type(target.netloc, timeout=2)
                connection.request("POST", target.path or "/", b"", headers)
                ok = connection.getresponse().status < 300
                connection.close()
            except (OSError, ValueError, HTTPException):
                ok = False
            self.notifications.append((address, headers, ok))
