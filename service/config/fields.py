"""The kinds of value the config schema is built from, and `Table`, the base of its tables.

Each kind checks one value and turns it into what the code uses (a weekday into its number, a
window into a TimeWindow). A mistake raises `wrong(...)`: one message saying what is wrong and
what is expected; pydantic adds where it sits, and service.config.reader turns both into the
one line the user reads. Values are echoed with repr so a stray space shows; keys that hold
secrets are refused without echoing them (Table.refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from typing import Annotated, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from scheduler.model import TimeWindow
from scheduler.races import parse_result
from service.config.reader import WEEKDAYS


def wrong(message: str, key: str | None = None) -> PydanticCustomError:
    """A config mistake. `key` is given by a check that belongs to a whole table (one key
    against another): the error then names that key below the table."""
    context = {"message": message} if key is None else {"message": message, "key": key}
    return PydanticCustomError("racecal", "{message}", context)


class Table(BaseModel):
    """A TOML table: its fields are its keys. Another key is refused, naming the allowed ones;
    a required key that is missing says what it should hold (its field's description)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Keys refused with a message of their own before anything else is read.
    refused: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, raw: object) -> object:
        if not isinstance(raw, dict):
            raise wrong("expected a table")
        for key, why in cls.refused.items():
            if key in raw:
                raise wrong(why, key)
        allowed = ", ".join(sorted(cls.model_fields))
        for key in sorted(raw):
            if key not in cls.model_fields:
                raise wrong(f"unknown key; expected one of {allowed}", key)
        for name, field in cls.model_fields.items():
            if field.is_required() and name not in raw:
                raise wrong(f"missing; expected {field.description}", name)
        return raw


def listed(message: str) -> BeforeValidator:
    """A TOML list (each item is then checked, its errors naming the item)."""

    def check(value: object) -> object:
        if not isinstance(value, list):
            raise wrong(message)
        return value

    return BeforeValidator(check)


def _string(what: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or not value:
            raise wrong(f"expected {what}, got {value!r}")
        return value

    return check


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise wrong(f"expected true or false, got {value!r}")
    return value


_text = _string("a text value")
Text = Annotated[str, PlainValidator(_text)]
Flag = Annotated[bool, PlainValidator(_flag)]
# Relative to the config's folder (inputs) or the state folder (what racecal writes).
FilePath = Annotated[str, PlainValidator(_string("a file path"))]
Calendar = Annotated[str, PlainValidator(_string("a calendar name, path or URL"))]


def between(lo: float, hi: float) -> PlainValidator:
    """A number from lo to hi (true and false are not numbers, though Python says so)."""

    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise wrong(f"expected a number from {lo:g} to {hi:g}, got {value!r}")
        return float(value)

    return PlainValidator(check)


def whole(lo: int, hi: int) -> PlainValidator:
    def check(value: object) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value != int(value)
            or not lo <= value <= hi
        ):
            raise wrong(f"expected a whole number from {lo} to {hi}, got {value!r}")
        return int(value)

    return PlainValidator(check)


def one_of(*options: str) -> PlainValidator:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            raise wrong(f"{value!r} is not one of {', '.join(options)}")
        return value

    return PlainValidator(check)


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


def _athlete_id(value: object) -> str:
    text = _text(value)
    if not _ID.fullmatch(text):
        raise wrong(f"{text!r}: use lowercase letters, digits, - and _")
    return text


def _timezone(value: object) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise wrong(f"{name!r} is not a known IANA timezone (e.g. Europe/Berlin)") from None
    return name


_PACE = re.compile(r"(\d{1,2}):([0-5]\d)")


def _pace(value: object) -> int:
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


AthleteId = Annotated[str, PlainValidator(_athlete_id)]
Timezone = Annotated[str, PlainValidator(_timezone)]
Pace = Annotated[int, PlainValidator(_pace)]
RaceResult = Annotated[tuple[float, int], PlainValidator(_race_result)]
Windows = Annotated[
    tuple[Annotated[TimeWindow, PlainValidator(_window)], ...],
    listed('expected a list like ["06:00-07:30", "18:00-20:00"]'),
]


def _strings(message: str, empty_ok: bool) -> Callable[[object], tuple[str, ...]]:
    """One string or a list of them."""

    def check(value: object) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(
            isinstance(v, str) and (v or empty_ok) for v in items
        ):
            raise wrong(message)
        return tuple(items)

    return check


# Local files (relative to the config) and http(s) URLs, told apart when the config is built.
Sources = Annotated[
    tuple[str, ...], PlainValidator(_strings("expected a list of file paths or URLs", True))
]
# Calendars by display name, path or URL (CalDAV) or by id (Google).
Calendars = Annotated[
    tuple[str, ...],
    PlainValidator(_strings('expected a list of calendar names like ["Races"]', False)),
]


def _url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise wrong(f"{value!r}: expected an http(s) URL")
    return value


def _dav_url(value: object) -> str:
    text = _text(value)
    # Checked first, so a password in the URL is never echoed.
    if "@" in text.split("://", 1)[-1].split("/", 1)[0]:
        raise wrong("put the username in 'username', not in the URL")
    return _url(text)


# Google delivers to https only; plain http is allowed to this machine, for local servers.
_LOCAL = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")


def _webhook(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", *_LOCAL)):
        raise wrong(f"{value!r}: expected an https:// URL")
    return value


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


Url = Annotated[str, PlainValidator(_url)]
DavUrl = Annotated[str, PlainValidator(_dav_url)]
WebhookUrl = Annotated[str, PlainValidator(_webhook)]
Address = Annotated[tuple[str, int], PlainValidator(_address)]
