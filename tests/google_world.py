"""An athlete whose calendars live in "Google" (the local Calendar v3 server): the example races
and recurring meetings put into the primary calendar as Google holds them, a stored OAuth token
that refreshes against the server's token endpoint, and the athlete's own app (the real client)
to move and delete sessions."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from service.config.load import AthleteConfig, load_config
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.support import StoreOfItsOwn

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
[service]
database_url = "sqlite:///var/racecal.db"
{service}

[google]
api_endpoint = "{url}/"
token_uri = "{url}/token"
{google}

[[athletes]]
id = "{athlete}"
timezone = "Europe/Berlin"
run_days = ["mon", "tue", "thu", "sat", "sun"]
long_run_day = "sun"
weekly_km = 45
easy_pace = "5:45"
plan_weeks = 16

[athletes.google]
races = {races}
busy = ["primary"]
training = "Training"
token_file = "tokens/{athlete}.json"
retry_seconds = {retry}
{account}
"""


def google_body(event: icalendar.Event) -> dict[str, Any]:
    """An exported VEVENT as the event resource Google holds for it."""

    def when(value: datetime | date) -> dict[str, str]:
        if isinstance(value, datetime):
            zone = getattr(value.tzinfo, "key", "UTC")
            return {"dateTime": value.isoformat(), "timeZone": zone}
        return {"date": value.isoformat()}

    body: dict[str, Any] = {
        "summary": str(event.get("SUMMARY", "")),
        "description": str(event.get("DESCRIPTION", "")),
        "location": str(event.get("LOCATION", "")),
        "start": when(event.start),
        "end": when(event.end),
    }
    if "RRULE" in event:
        # Google keeps a series' rules as iCalendar lines, exceptions included.
        lines = [line for line in event.content_lines() if line.startswith(("RRULE", "EXDATE"))]
        body["recurrence"] = [str(line) for line in lines]
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        body["transparency"] = "transparent"
    return body


class GoogleWorld(StoreOfItsOwn):
    def __init__(self, fake: FakeGoogleCalendar, base: Path, athlete: str = "alex") -> None:
        self.fake = fake
        self.base = base
        self.athlete = athlete
        self.user = athlete  # the server's user; its bearer token is "user:<name>"
        self.bearer = f"user:{athlete}"
        self.race_ids: dict[str, str] = {}
        for name in ("races.ics", "busy.ics"):
            source = icalendar.Calendar.from_ical((ROOT / "examples" / name).read_bytes())
            for event in source.walk("VEVENT"):
                created = fake.put_event("primary", google_body(event), user=self.user)
                self.race_ids[str(event["SUMMARY"])] = created["id"]

    def config(
        self,
        retry: float = 1,
        service: str = "",
        google: str = "",
        account: str = "",
        races: str = '["primary"]',
    ) -> AthleteConfig:
        self.base.mkdir(parents=True, exist_ok=True)
        path = self.base / "config.toml"
        text = CONFIG.format(
            url=self.fake.url,
            athlete=self.athlete,
            retry=retry,
            service=service,
            google=google,
            account=account,
            races=races,
        )
        path.write_text(text, encoding="utf-8")
        token = self.base / "tokens" / f"{self.athlete}.json"
        token.parent.mkdir(parents=True, exist_ok=True)
        token.write_text(
            json.dumps(
                {
                    "refresh_token": self.bearer,  # the server issues tokens for this user
                    "token_uri": f"{self.fake.url}/token",
                    "client_id": "racecal-test.apps.googleusercontent.com",
                    "client_secret": "not-a-secret",
                    "scopes": [
                        "https://www.googleapis.com/auth/calendar.events.readonly",
                        "https://www.googleapis.com/auth/calendar.app.created",
                    ],
                }
            ),
            encoding="utf-8",
        )
        os.chmod(token, 0o600)
        self.loaded = load_config(path)
        return self.loaded.athletes[0]

    # -- the athlete's own app: the real client, signed in as the athlete --------------------
    def app(self) -> Any:
        return build(
            "calendar",
            "v3",
            credentials=Credentials(token=self.bearer),
            static_discovery=True,
            client_options={"api_endpoint": f"{self.fake.url}/calendar/v3/"},
        )

    def training_id(self) -> str:
        listing = self.app().calendarList().list().execute()
        return next(c["id"] for c in listing["items"] if c.get("summary") == "Training")

    def sessions(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for item in self.fake.events(self.training_id(), user=self.user):
            key = item["extendedProperties"]["private"]["racecal_session"]
            assert key not in found, f"{key} is in the training calendar twice"
            found[key] = item
        return found

    def move_race(self, title: str, days: int) -> None:
        app = self.app()
        item = app.events().get(calendarId="primary", eventId=self.race_ids[title]).execute()
        for name in ("start", "end"):
            moved = datetime.fromisoformat(item[name]["dateTime"]) + timedelta(days=days)
            item[name] = {"dateTime": moved.isoformat(), "timeZone": item[name].get("timeZone")}
        app.events().update(calendarId="primary", eventId=item["id"], body=item).execute()

    def remove_race(self, title: str) -> None:
        self.app().events().delete(calendarId="primary", eventId=self.race_ids[title]).execute()

    def move_session(self, key: str, hours: int) -> tuple[str, str]:
        app = self.app()
        item = self.sessions()[key]
        for name in ("start", "end"):
            moved = datetime.fromisoformat(item[name]["dateTime"]) + timedelta(hours=hours)
            item[name] = {"dateTime": moved.isoformat(), "timeZone": item[name].get("timeZone")}
        app.events().update(calendarId=self.training_id(), eventId=item["id"], body=item).execute()
        return item["start"]["dateTime"], item["end"]["dateTime"]

    def edit_session(self, key: str, **fields: Any) -> dict[str, Any]:
        """The athlete changes fields of a session in Google Calendar (the real client)."""
        item = {**self.sessions()[key], **fields}
        return dict(
            self.app()
            .events()
            .update(calendarId=self.training_id(), eventId=item["id"], body=item)
            .execute()
        )

    def delete_session(self, key: str) -> None:
        item = self.sessions()[key]
        self.app().events().delete(calendarId=self.training_id(), eventId=item["id"]).execute()
