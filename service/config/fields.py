"""The kinds of value the config schema is built from, beside the ones every backend's table
uses too (connectors.settings: `Table`, `wrong`, text, numbers, paths, URLs).

Each kind checks one value and turns it into what the code uses (a weekday into its number, a
window into a TimeWindow). A mistake raises `wrong(...)`: one message saying what is wrong and
what is expected; pydantic adds where it sits, and service.config.reader turns both into the
one line the user reads. Values are echoed with repr so a stray space shows; keys that hold
secrets are refused without echoing them (Table.refused).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, PlainValidator

from connectors.settings import (
    Calendar,
    Calendars,
    DavUrl,
    FilePath,
    Flag,
    InputFile,
    RetrySeconds,
    Table,
    Text,
    Url,
    WebhookUrl,
    between,
    listed,
    one_of,
    strings,
    text,
    whole,
    wrong,
)
from scheduler.model import TimeWindow
from scheduler.races import parse_result
from service.config.reader import WEEKDAYS


def _weekday(value: object) -> int:
    if not isinstance(value, str) or value.lower() not in WEEKDAYS:
        raise wrong(f"{value!r} is not a weekday; expected one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(value.lower())


def _run_days(days: tuple[int, ...]) -> tuple[int, ...]:
    if len(set(days)) != len(days) or not 3 <= len(days) <= 7:
        raise wrong(f"expected 3 to 7 different weekdays (R1), got {len(set(days))}")
    return days


Weekday = Annotated[int, PlainValidator(_weekday)]
RunDays = Annotated[
    tuple[Weekday, ...],
    listed('expected a list of weekdays like ["mon", "thu"]'),
    AfterValidator(_run_days),
]

_ID = re.compile(r"[a-z0-9_-]{1,64}")


def athlete_id(value: object) -> str:
    given = text(value)
    if not _ID.fullmatch(given):
        raise wrong(f"{given!r}: use lowercase letters, digits, - and _")
    return given


def _timezone(value: object) -> str:
    name = text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise wrong(f"{name!r} is not a known IANA timezone (e.g. Europe/Berlin)") from None
    return name


_PACE = re.compile(r"(\d{1,2}):([0-5]\d)")


def pace(value: object) -> int:
    """min:sec per km, from 3:00 to 15:00, as seconds."""
    match = _PACE.fullmatch(value) if isinstance(value, str) else None
    seconds = int(match[1]) * 60 + int(match[2]) if match else 0
    if not 180 <= seconds <= 900:
        raise wrong(f'{value!r}: expected min:sec per km, e.g. "5:45"')
    return seconds


def _race_result(value: object) -> tuple[float, int]:
    """R7: a recent race, distance and finish time, as (km, seconds)."""
    result = parse_result(value) if isinstance(value, str) else None
    if result is None:
        raise wrong(
            f'{value!r}: expected a distance and a finish time, e.g. "10K 48:30" or "half 1:44:10"'
        )
    return result


_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


def _window(value: object) -> TimeWindow:
    match = _WINDOW.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise wrong(f"{value!r} is not a window; expected HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1):
        raise wrong(f"{value!r}: expected HH:MM-HH:MM with the end after the start, within one day")
    return TimeWindow(time(h1, m1), time(h2, m2))


_FINISH = re.compile(r"(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)")


def finish_time(value: object) -> int:
    """A finish time as H:MM:SS or MM:SS, in seconds (from 10 minutes to 48 hours)."""
    match = _FINISH.fullmatch(value.strip()) if isinstance(value, str) else None
    seconds = (int(match[1] or 0) * 3600 + int(match[2]) * 60 + int(match[3])) if match else 0
    if not 600 <= seconds <= 48 * 3600:
        raise wrong(f'{value!r}: expected a finish time like "3:45:00" or "24:30"')
    return seconds


AthleteId = Annotated[str, PlainValidator(athlete_id)]
FinishTime = Annotated[int, PlainValidator(finish_time)]
Timezone = Annotated[str, PlainValidator(_timezone)]
Pace = Annotated[int, PlainValidator(pace)]
RaceResult = Annotated[tuple[float, int], PlainValidator(_race_result)]
Windows = Annotated[
    tuple[Annotated[TimeWindow, PlainValidator(_window)], ...],
    listed('expected a list like ["06:00-07:30", "18:00-20:00"]'),
]


# Local files (relative to the config) and http(s) URLs, told apart when the config is built.
Sources = Annotated[
    tuple[str, ...], PlainValidator(strings("expected a list of file paths or URLs", True))
]
# host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
_ADDRESS = re.compile(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})")


def _address(value: object) -> tuple[str, int]:
    """host:port to listen on; port 0 takes a free port (the log names it)."""
    match = _ADDRESS.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match[2]) > 65535:
        raise wrong(
            f"{value!r} is not an address to listen on; expected host:port with a port "
            'from 0 to 65535, e.g. "127.0.0.1:8765"'
        )
    return match[1].strip("[]"), int(match[2])


Address = Annotated[tuple[str, int], PlainValidator(_address)]

# The one form of SQLite URL a look reads without SQLAlchemy: the driver's default and a plain
# path (relative to the state folder, or absolute after a fourth slash). Anything else (a
# query string, an escaped character, another driver) goes through SQLAlchemy as before.
_PLAIN_SQLITE = re.compile(r"sqlite:///([^?%#]+)")


def sqlite_file(url: str) -> str | None:
    """The database file of a plain SQLite URL ("sqlite:///var/racecal.db" -> "var/racecal.db"),
    exactly as SQLAlchemy's make_url reads it (a test holds the two to each other); None for
    any other URL, in memory included."""
    match = _PLAIN_SQLITE.fullmatch(url)
    if match is None or match[1] == ":memory:":
        return None
    return match[1]


# The stores racecal runs on (SQLAlchemy's backend names) and an example of each.
DATABASES = {"sqlite": "sqlite:///var/racecal.db", "postgresql": "postgresql://racecal@db/racecal"}


def _database_url(value: object) -> str:
    """A SQLAlchemy URL of a store racecal knows; a value with a password is never echoed."""
    url = text(value)
    shown = repr(url) if "@" not in url else "the value given"
    expected = " or ".join(DATABASES.values())
    if sqlite_file(url) is not None:
        return url
    # Here, not at the top: every command reads the config, and SQLAlchemy costs a command
    # that reads a plain SQLite store (plan show) a third of its time.
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise wrong(f"{shown} is not a database URL; expected {expected}") from None
    if backend not in DATABASES:
        raise wrong(f"{backend!r} is not a database racecal runs on; expected {expected}")
    return url


DatabaseUrl = Annotated[str, PlainValidator(_database_url)]


def _public_url(value: object) -> str:
    url = text(value)
    # Checked first, so a password in the URL is never echoed.
    if "@" in url.split("://", 1)[-1].split("/", 1)[0]:
        raise wrong("expected the address alone, without a user or password")
    if not url.startswith(("http://", "https://")):
        raise wrong(f"{url!r}: expected an http(s) URL, e.g. https://racecal.example.com")
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise wrong(f"{url!r}: expected the address alone, without a query or fragment")
    return url.rstrip("/")


PublicUrl = Annotated[str, PlainValidator(_public_url)]

__all__ = [
    "Address",
    "AthleteId",
    "Calendar",
    "Calendars",
    "DavUrl",
    "FilePath",
    "FinishTime",
    "Flag",
    "InputFile",
    "Pace",
    "PublicUrl",
    "RaceResult",
    "RetrySeconds",
    "RunDays",
    "Sources",
    "Table",
    "Text",
    "Timezone",
    "Url",
    "WebhookUrl",
    "Weekday",
    "Windows",
    "between",
    "listed",
    "one_of",
    "whole",
    "wrong",
]
