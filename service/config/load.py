"""The TOML config, validated into frozen values; every error is one line naming the file, the key
path and what was expected. The [service] table (and its RACECAL_* environment overrides) is
read by service.config.service_table, the backends' tables by service.config.remote."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.model import Athlete, SameDayOrder, TimeWindow
from service.config.reader import WEEKDAYS, ConfigError, Reader
from service.config.remote import (
    CalDavConfig,
    GoogleAthleteConfig,
    GoogleConfig,
    parse_caldav,
    parse_google,
    parse_google_athlete,
)
from service.config.service_table import ServiceConfig, parse_service

DEFAULT_CONFIG = Path("config.example.toml")
_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_PACE = re.compile(r"^(\d{1,2}):(\d{2})$")

ATHLETE_KEYS = {
    "id",
    "timezone",
    "run_days",
    "long_run_day",
    "weekly_km",
    "easy_pace",
    "max_strength_per_week",
    "same_day_order",
    "experienced",
    "offseason",
    "runs_from_calendar",
    "plan_weeks",
    "windows",
    "races",
    "busy",
    "output",
    "caldav",
    "google",
}
WINDOW_KEYS = {"weekdays", "weekend", *WEEKDAYS}


@dataclass(frozen=True)
class AthleteConfig:
    athlete: Athlete
    race_ics: tuple[Path, ...]
    busy_ics: tuple[Path, ...]
    output_ics: Path
    plan_weeks: int
    # http(s) calendars, fetched into `cache_dir` with conditional requests.
    race_urls: tuple[str, ...] = ()
    busy_urls: tuple[str, ...] = ()
    cache_dir: Path = Path("var/cache")
    caldav: CalDavConfig | None = None
    google: GoogleAthleteConfig | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    service: ServiceConfig
    athletes: tuple[AthleteConfig, ...]
    # Where relative state paths (the SQLite store, the output calendar, the URL cache) live:
    # $STATE_DIRECTORY under systemd (StateDirectory=), else the config file's folder.
    state_dir: Path = Path()
    google: GoogleConfig | None = None

    def athlete(self, athlete_id: str | None) -> AthleteConfig:
        if athlete_id is None:
            return self.athletes[0]
        for entry in self.athletes:
            if entry.athlete.id == athlete_id:
                return entry
        known = ", ".join(a.athlete.id for a in self.athletes)
        raise ConfigError(f"{self.path}: no athlete '{athlete_id}' (configured: {known})")


def config_path(given: str | None) -> Path:
    """--config, else $RACECAL_CONFIG, else the example config in the working directory."""
    return Path(given or os.environ.get("RACECAL_CONFIG") or DEFAULT_CONFIG)


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """`env` defaults to the process environment; tests pass their own."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    reader = _AthleteReader(path)
    reader.unknown(raw, {"service", "athletes", "google"}, "")
    google = parse_google(reader, reader.table(raw, "google", "google"))
    service = parse_service(
        reader, reader.table(raw, "service", "service"), os.environ if env is None else env
    )
    entries = raw.get("athletes")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: athletes: expected at least one [[athletes]] table")
    athletes = tuple(reader.athlete(entry, f"athletes[{i}]") for i, entry in enumerate(entries))
    seen: set[str] = set()
    for i, entry in enumerate(athletes):
        if entry.athlete.id in seen:
            raise ConfigError(f"{path}: athletes[{i}].id: '{entry.athlete.id}' is used twice")
        seen.add(entry.athlete.id)
    if any(a.google for a in athletes):
        if google is None:
            raise ConfigError(f"{path}: google: a [google] table is needed for Google athletes")
        athletes = tuple(
            replace(
                a,
                google=replace(
                    a.google, api_endpoint=google.api_endpoint, token_uri=google.token_uri
                ),
            )
            if a.google
            else a
            for a in athletes
        )
    return Config(
        path=path, service=service, athletes=athletes, state_dir=reader.state, google=google
    )


class _AthleteReader(Reader):
    """The athlete tables, on top of the shared checks."""

    def athlete(self, raw: object, where: str) -> AthleteConfig:
        if not isinstance(raw, dict):
            raise self.fail(where, "expected a table")
        self.unknown(raw, ATHLETE_KEYS, where)
        athlete_id = self.string(raw, "id", where)
        if not _ID.match(athlete_id):
            raise self.fail(
                f"{where}.id", f"{athlete_id!r}: use lowercase letters, digits, - and _"
            )
        tz_name = self.string(raw, "timezone", where)
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                f"{where}.timezone",
                f"'{tz_name}' is not a known IANA timezone (e.g. Europe/Berlin)",
            ) from None
        days_raw = raw.get("run_days")
        if not isinstance(days_raw, list):
            raise self.fail(f"{where}.run_days", 'expected a list of weekdays like ["mon", "thu"]')
        run_days = [self.weekday(d, f"{where}.run_days") for d in days_raw]
        if len(set(run_days)) != len(run_days) or not 3 <= len(run_days) <= 7:
            raise self.fail(
                f"{where}.run_days",
                f"expected 3 to 7 different weekdays (R1), got {len(set(run_days))}",
            )
        long_day = self.weekday(raw.get("long_run_day", "sun"), f"{where}.long_run_day")
        if long_day not in run_days:
            raise self.fail(
                f"{where}.long_run_day", f"'{WEEKDAYS[long_day]}' is not one of the run_days"
            )
        pace = raw.get("easy_pace", "6:00")
        match = _PACE.match(pace) if isinstance(pace, str) else None
        if not match or not 180 <= int(match[1]) * 60 + int(match[2]) <= 900:
            raise self.fail(f"{where}.easy_pace", f'{pace!r}: expected min:sec per km, e.g. "5:45"')
        sections = {k: self.table(raw, k, f"{where}.{k}") for k in ("races", "busy", "output")}
        for name, table in sections.items():
            self.unknown(table, {"ics"}, f"{where}.{name}")
        output = sections["output"].get("ics", f"var/{athlete_id}-training.ics")
        if not isinstance(output, str):
            raise self.fail(f"{where}.output.ics", "expected a file path")
        athlete = Athlete(
            id=athlete_id,
            timezone=tz_name,
            run_days=frozenset(run_days),
            long_run_day=long_day,
            windows=self.windows(
                self.table(raw, "windows", f"{where}.windows"), f"{where}.windows"
            ),
            weekly_km=self.number(raw, "weekly_km", where, 40, 5, 250),
            easy_pace_s_per_km=int(match[1]) * 60 + int(match[2]),
            max_strength_per_week=int(self.number(raw, "max_strength_per_week", where, 3, 1, 3)),
            same_day_order=SameDayOrder(
                self.choice(
                    raw, "same_day_order", where, tuple(o.value for o in SameDayOrder), "auto"
                )
            ),
            experienced=self.flag(raw, "experienced", where),
            offseason_maintenance=self.choice(
                raw, "offseason", where, ("structured", "maintenance"), "structured"
            )
            == "maintenance",
            runs_from_calendar=self.flag(raw, "runs_from_calendar", where),
        )
        caldav = parse_caldav(self, raw.get("caldav"), f"{where}.caldav")
        google = parse_google_athlete(self, raw.get("google"), f"{where}.google", athlete_id)
        race_files, race_urls = self.sources(sections["races"], "races", where)
        busy_files, busy_urls = self.sources(sections["busy"], "busy", where)
        return AthleteConfig(
            athlete=athlete,
            race_ics=race_files,
            busy_ics=busy_files,
            output_ics=self.state / output,
            plan_weeks=int(self.number(raw, "plan_weeks", where, 16, 1, 104)),
            race_urls=race_urls,
            busy_urls=busy_urls,
            cache_dir=self.state / "var" / "cache" / athlete_id,
            caldav=caldav,
            google=google,
        )

    def windows(self, raw: dict[str, Any], where: str) -> tuple[tuple[TimeWindow, ...], ...]:
        self.unknown(raw, WINDOW_KEYS, where)
        defaults = {
            "weekdays": ["06:00-08:00", "17:00-21:00"],
            "weekend": ["07:00-12:00", "16:00-19:00"],
        }
        groups = {k: self.window_list(raw.get(k, defaults[k]), f"{where}.{k}") for k in defaults}
        days = []
        for i, name in enumerate(WEEKDAYS):
            if name in raw:
                days.append(self.window_list(raw[name], f"{where}.{name}"))
            else:
                days.append(groups["weekdays" if i < 5 else "weekend"])
        return tuple(days)

    def window_list(self, value: object, where: str) -> tuple[TimeWindow, ...]:
        if not isinstance(value, list):
            raise self.fail(where, 'expected a list like ["06:00-07:30", "18:00-20:00"]')
        out = []
        for item in value:
            match = _WINDOW.match(item) if isinstance(item, str) else None
            if not match:
                raise self.fail(where, f"{item!r} is not a window; expected HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1):
                raise self.fail(
                    where,
                    f"{item!r}: expected HH:MM-HH:MM with the end after the start, within one day",
                )
            out.append(TimeWindow(time(h1, m1), time(h2, m2)))
        return tuple(out)
