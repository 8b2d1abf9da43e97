"""An athlete whose calendars live on a real Radicale server: races and busy time put there the
way a calendar app would (one object per event), racecal configured against it, and the athlete's
own app (a second CalDAV client) to move, delete and edit things."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import icalendar
from caldav.collection import Calendar
from caldav.davclient import DAVClient

from service.config.load import AthleteConfig, load_config
from tests.radicale_server import Radicale
from tests.support import StoreOfItsOwn

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
[service]
database_url = "sqlite:///var/racecal.db"

[[athletes]]
id = "alex"
timezone = "Europe/Berlin"
run_days = ["mon", "tue", "thu", "sat", "sun"]
long_run_day = "sun"
weekly_km = 45
easy_pace = "5:45"
plan_weeks = 16

[athletes.windows]
weekdays = ["06:00-07:30", "17:30-21:00"]
weekend = ["07:00-12:00", "16:00-19:00"]

[athletes.caldav]
url = "{url}"
username = "{user}"
{secret}
races = ["Races"]
busy = ["Personal"]
training = "Training"
retry_seconds = {retry}
"""


def split(path: Path) -> list[str]:
    """One VCALENDAR object per event, each with the file's timezones, as CalDAV stores them."""
    source = icalendar.Calendar.from_ical(path.read_bytes())
    timezones = list(source.walk("VTIMEZONE"))
    objects = []
    for event in source.walk("VEVENT"):
        cal = icalendar.Calendar()
        cal.add("prodid", "-//Google Inc//Google Calendar 70.9054//EN")
        cal.add("version", "2.0")
        for tz in timezones:
            cal.add_component(tz)
        cal.add_component(event)
        objects.append(cal.to_ical().decode())
    return objects


class World(StoreOfItsOwn):
    def __init__(
        self, server: Radicale, base: Path, password: str = "x", user: str | None = None
    ) -> None:
        self.server = server
        self.base = base
        self.user = user or f"u{uuid.uuid4().hex[:10]}"
        self.password = password
        self.app = DAVClient(url=server.url, username=self.user, password=password)
        principal = self.app.principal()
        self.races = principal.make_calendar(name="Races")
        self.personal = principal.make_calendar(name="Personal")
        for text in split(ROOT / "examples" / "races.ics"):
            self.races.save_event(text)
        for text in split(ROOT / "examples" / "busy.ics"):
            self.personal.save_event(text)

    def config(self, secret: str = "", retry: float = 1) -> AthleteConfig:
        base = self.base
        base.mkdir(parents=True, exist_ok=True)
        path = base / "config.toml"
        text = CONFIG.format(url=self.server.url, user=self.user, secret=secret, retry=retry)
        path.write_text(text)
        self.loaded = load_config(path)
        return self.loaded.athletes[0]

    # -- the athlete's own calendar app ----------------------------------------------------
    def training(self) -> Calendar:
        for calendar in self.app.principal().calendars():
            if calendar.get_display_name() == "Training":
                return calendar
        raise AssertionError("no Training calendar")

    def sessions(self) -> dict[str, icalendar.Event]:
        """Session key -> VEVENT of everything in the training calendar; fails on a UID twice."""
        found: dict[str, icalendar.Event] = {}
        uids: list[str] = []
        for obj in self.training().events():
            for event in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
                uids.append(str(event["UID"]))
                found[str(event["X-RACECAL-SESSION"])] = event
        assert len(uids) == len(set(uids)), "a UID is in the training calendar twice"
        return found

    def edit_race(self, title: str, days: int = 0, remove: bool = False) -> None:
        for obj in self.races.events():
            cal = icalendar.Calendar.from_ical(obj.data)
            events = list(cal.walk("VEVENT"))
            if str(events[0]["SUMMARY"]) != title:
                continue
            if remove:
                obj.delete()
                return
            for event in events:
                start, end = event.start, event.end
                del event["DTSTART"], event["DTEND"]
                event.add("dtstart", start + timedelta(days=days))
                event.add("dtend", end + timedelta(days=days))
            obj.data = cal.to_ical().decode()
            obj.save(increase_seqno=False)
            return
        raise AssertionError(f"no race '{title}'")

    def add_race(self, text: str) -> None:
        self.races.save_event(text)

    def move_session(self, key: str, hours: int) -> tuple[object, object]:
        for obj in self.training().events():
            cal = icalendar.Calendar.from_ical(obj.data)
            event = next(iter(cal.walk("VEVENT")))
            if str(event["X-RACECAL-SESSION"]) != key:
                continue
            start, end = event.start + timedelta(hours=hours), event.end + timedelta(hours=hours)
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start)
            event.add("dtend", end)
            obj.data = cal.to_ical().decode()
            obj.save(increase_seqno=False)
            return start, end
        raise AssertionError(f"no session {key}")

    def edit_session(self, key: str, change: Callable[[icalendar.Event], None]) -> None:
        """The athlete edits a session in their app (title, description, an alarm...)."""
        for obj in self.training().events():
            cal = icalendar.Calendar.from_ical(obj.data)
            event = next(iter(cal.walk("VEVENT")))
            if str(event["X-RACECAL-SESSION"]) != key:
                continue
            change(event)
            obj.data = cal.to_ical().decode()
            obj.save(increase_seqno=False)
            return
        raise AssertionError(f"no session {key}")

    def delete_session(self, key: str) -> None:
        for obj in self.training().events():
            if f"X-RACECAL-SESSION:{key}" in obj.data.replace("\r\n ", ""):
                obj.delete()
                return
        raise AssertionError(f"no session {key}")
