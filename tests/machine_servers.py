"""The sync state machine's worlds on a server (tests/machine_backends.py has the base and the
in-memory one): the local Google Calendar v3 server, driven by the real client, with faults from
the server's own fault script; a real Radicale behind a proxy that fails where the world says.
The athlete's app writes to the server directly, never through the faults."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import icalendar
from caldav.davclient import DAVClient

from connectors.base import managed_id
from service.calendars import AthleteCalendars
from service.sync.engine import PassResult
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fault_proxy import FaultProxy
from tests.machine_backends import ATHLETE, BERLIN, Shown, World, aware, config, copy_db
from tests.radicale_server import Radicale

# -- Google (the local Calendar v3 server, the real client) --------------------------------

GOOGLE_SCOPES = [
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
]


class GoogleWorld(World):
    name = "google"

    def __init__(self, folder: Path, inputs: Path, fake: FakeGoogleCalendar, n: int) -> None:
        self.fake = fake
        self.user = f"machine{n}"
        token = folder / "token.json"
        folder.mkdir(parents=True, exist_ok=True)
        token.write_text(
            json.dumps(
                {
                    "refresh_token": f"user:{self.user}",
                    "token_uri": f"{fake.url}/token",
                    "client_id": "racecal-test.apps.googleusercontent.com",
                    "client_secret": "not-a-secret",
                    "scopes": GOOGLE_SCOPES,
                }
            ),
            encoding="utf-8",
        )
        token.chmod(0o600)
        head = f'[google]\napi_endpoint = "{fake.url}/"\ntoken_uri = "{fake.url}/token"\n'
        training = (
            f'[athletes.google]\ntraining = "Training"\ntoken_file = "{token}"\nretry_seconds = 0'
        )
        super().__init__(folder, config(folder, inputs, training, head))
        self.training_id: str | None = None
        self._own: dict[str, Any] | None = None

    def open_calendars(self) -> AthleteCalendars:
        return AthleteCalendars(self.entry, store=self.store, retry_seconds=0)

    def run(self, now: datetime) -> PassResult | None:
        self.fake.script = self._script
        try:
            result = super().run(now)
        finally:
            self.fake.script = None
        if self.training_id is None:
            self._seed()
        return result

    def _script(self, method: str, path: str, in_batch: bool) -> str | None:
        if self.dead:
            return "503"
        batch = path.rstrip("/").endswith("/batch/calendar/v3")
        if batch and self.fault is not None and self.fault[0] in ("timeout", "lost"):
            kind, self.fault = self.fault[0], None
            self.fired = kind
            return "drop" if kind == "timeout" else "lost"
        if method == "GET" or "/events" not in path or path.endswith("/watch"):
            return None
        kind = self.hit()
        if kind is None or kind == "kill-after":
            return None
        if kind in ("timeout", "lost") and not in_batch:
            return "drop" if kind == "timeout" else "lost"
        return "503"

    def _seed(self) -> None:
        """The athlete's own event, put in the training calendar once racecal made it."""
        calendars = self.fake._calendars(self.user)
        self.training_id = next(i for i, c in calendars.items() if c.summary == "Training")
        start = datetime(2027, 1, 19, 9, 0, tzinfo=BERLIN)
        body = {
            "summary": "Dentist",
            "description": "Bring the card",
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        }
        self._own = self.fake.put_event(self.training_id, body, user=self.user)

    def _items(self) -> list[dict[str, Any]]:
        if self.training_id is None:
            return []
        return self.fake.events(self.training_id, user=self.user)

    def sessions(self) -> list[tuple[str, Shown]]:
        found = []
        for item in self._items():
            key = item.get("extendedProperties", {}).get("private", {}).get("racecal_session")
            if key:
                found.append((key, _google_shown(item)))
        return found

    def own(self) -> object:
        return [json.dumps(i, sort_keys=True) for i in self._items() if i["id"] == self._own_id()]

    def expected_own(self) -> object:
        return [json.dumps(self._own, sort_keys=True)] if self._own else []

    def _own_id(self) -> str:
        return str(self._own["id"]) if self._own else ""

    def put(self, key: str, shown: Shown) -> None:
        assert self.training_id is not None
        item = next(i for i in self._items() if i["id"] == managed_id(ATHLETE, key))
        item.update(
            summary=shown.title,
            description=shown.description,
            start={"dateTime": shown.start.isoformat(), "timeZone": "Europe/Berlin"},
            end={"dateTime": shown.end.isoformat(), "timeZone": "Europe/Berlin"},
        )
        self.fake.put_event(self.training_id, item, user=self.user)

    def remove(self, key: str) -> None:
        assert self.training_id is not None
        item = next(i for i in self._items() if i["id"] == managed_id(ATHLETE, key))
        self.fake.put_event(self.training_id, {**item, "status": "cancelled"}, user=self.user)


def _google_shown(item: dict[str, Any]) -> Shown:
    def when(value: dict[str, str]) -> datetime:
        return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))

    return Shown(
        str(item.get("summary", "")),
        str(item.get("description", "")),
        when(item["start"]),
        when(item["end"]),
    )


def _calendar(events: list[icalendar.Event]) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//racecal tests//machine//EN")
    cal.add("version", "2.0")
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def _event(uid: str, title: str, start: date | datetime, end: date | datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstamp", datetime(2027, 1, 1, tzinfo=UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    return event


# -- CalDAV (a real Radicale behind a proxy that fails where the world says) ---------------

OWN_ICS = _calendar(
    [
        _event(
            "dentist-0001@athlete",
            "Dentist",
            datetime(2027, 1, 19, 8, 0, tzinfo=UTC),
            datetime(2027, 1, 19, 9, 0, tzinfo=UTC),
        )
    ]
).decode()


class CalDavWorld(World):
    name = "caldav"

    def __init__(
        self,
        folder: Path,
        inputs: Path,
        radicale: Radicale,
        proxy: FaultProxy,
        name: str,
        start: CalDavWorld | None = None,
    ) -> None:
        """A new athlete on the server, with a Training calendar holding an event of their
        own; or (`start`) one whose server files and store are copies of `start`'s now, as a
        backup of both restored would leave them (its first passes need not be made again)."""
        self.radicale, self.proxy = radicale, proxy
        self._parsed: dict[Path, tuple[object, list[icalendar.Event]]] = {}
        self.user = f"machine-{name}"
        self.app = DAVClient(url=radicale.url, username=self.user, password="x")
        root = radicale.storage / "collection-root"
        if start is None:
            training = self.app.principal().make_calendar(name="Training")
            self.url = str(training.url)
            own = _path(str(training.save_event(OWN_ICS).url))
        else:
            shutil.copytree(root / start.user, root / self.user)
            self.url = start.url.replace(f"/{start.user}/", f"/{self.user}/")
            own = _path(self.url) + "/" + start.own_file.name
        self.collection = root / _path(self.url)
        self.own_file = self.collection / unquote(Path(own).name)
        self._own = self.own_file.read_bytes()
        table = (
            f'[athletes.caldav]\nurl = "{proxy.url}"\nusername = "{self.user}"\n'
            'training = "Training"\nretry_seconds = 0'
        )
        super().__init__(folder, config(folder, inputs, table))
        self.fresh = start is None
        if start is not None:
            self.store.engine.dispose()
            copy_db(start.db, self.db)

    def open_calendars(self) -> AthleteCalendars:
        return AthleteCalendars(self.entry, store=self.store, retry_seconds=0)

    def run(self, now: datetime) -> PassResult | None:
        self.proxy.script = self._script
        try:
            return super().run(now)
        finally:
            self.proxy.script = None

    def _script(self, method: str, path: str) -> str | None:
        if self.dead:
            return "drop"
        if method not in ("PUT", "DELETE"):
            return None
        kind = self.hit()
        if kind is None or kind == "kill-after":
            return None
        return {"fail": "503", "lost": "lost"}.get(kind, "drop")

    def _objects(self) -> list[tuple[Path, icalendar.Event]]:
        """Every event of the training collection, read from the server's own files (each
        parsed again only when it changed)."""
        found = []
        for path in sorted(self.collection.glob("*")):
            if path.name.startswith(".") or not path.is_file():
                continue
            info = path.stat()
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            if self._parsed.get(path, (None,))[0] != stamp:
                events = list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))
                self._parsed[path] = (stamp, events)
            found.extend((path, event) for event in self._parsed[path][1])
        return found

    def sessions(self) -> list[tuple[str, Shown]]:
        return [
            (str(e["X-RACECAL-SESSION"]), _dav_shown(e))
            for _, e in self._objects()
            if "X-RACECAL-SESSION" in e
        ]

    def own(self) -> object:
        return self.own_file.read_bytes() if self.own_file.exists() else None

    def expected_own(self) -> object:
        return self._own

    def _object(self, key: str) -> tuple[Path, icalendar.Event]:
        return next((p, e) for p, e in self._objects() if e.get("X-RACECAL-SESSION") == key)

    def put(self, key: str, shown: Shown) -> None:
        path, _ = self._object(key)
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        for event in cal.walk("VEVENT"):
            for name in ("SUMMARY", "DESCRIPTION", "DTSTART", "DTEND"):
                event.pop(name, None)
            event.add("summary", shown.title)
            event.add("description", shown.description)
            event.add("dtstart", shown.start.astimezone(BERLIN))
            event.add("dtend", shown.end.astimezone(BERLIN))
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        reply = self.app.request(self.url + path.name, "PUT", cal.to_ical().decode(), headers)
        assert reply.status in (201, 204), reply.status

    def remove(self, key: str) -> None:
        path, _ = self._object(key)
        reply = self.app.request(self.url + path.name, "DELETE")
        assert reply.status in (200, 204), reply.status


def _path(url: str) -> str:
    return url.split("//", 1)[1].split("/", 1)[1].strip("/")


def _dav_shown(event: icalendar.Event) -> Shown:
    return Shown(
        str(event.get("SUMMARY", "")),
        str(event.get("DESCRIPTION", "")),
        aware(event.start),
        aware(event.end),
    )
