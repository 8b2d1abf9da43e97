"""Times as the Calendar API writes them, and the expansion of simple RRULEs (FREQ=DAILY or
WEEKLY with COUNT, UNTIL, INTERVAL, BYDAY) into instances the way `singleEvents=true` shows
them. Other rules yield the first occurrence only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

JSON = dict[str, Any]
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
HORIZON = timedelta(days=730)  # open-ended rules stop two years after their start
MAX_INSTANCES = 1000


def now() -> datetime:
    return datetime.now(UTC)


def rfc3339(value: datetime, millis: bool = True) -> str:
    text = value.astimezone(UTC).isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    """A query bound: an offset (or Z) is required, as Google requires it."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value


def when(part: JSON) -> datetime:
    """`start` or `end` of an event as an aware datetime (all-day: midnight UTC)."""
    if "date" in part:
        return datetime.combine(date.fromisoformat(part["date"]), time(), UTC)
    value = datetime.fromisoformat(part["dateTime"])
    zone = part.get("timeZone")
    if zone:
        zoned = ZoneInfo(zone)
        value = value.replace(tzinfo=zoned) if value.tzinfo is None else value.astimezone(zoned)
    elif value.tzinfo is None:
        raise ValueError("dateTime without offset needs timeZone")
    return value


def _rule(event: JSON) -> dict[str, str] | None:
    for line in event.get("recurrence") or ():
        if line.upper().startswith("RRULE:"):
            pairs = (item.split("=", 1) for item in line[6:].split(";") if "=" in item)
            return {key.upper(): value.upper() for key, value in pairs}
    return None


def _until(text: str) -> datetime:
    if "T" in text:
        return datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return datetime.combine(date(int(text[:4]), int(text[4:6]), int(text[6:8])), time.max, UTC)


def starts(event: JSON, limit: datetime | None) -> list[datetime]:
    """Start of every occurrence up to `limit` (inclusive), in the event's wall-clock zone:
    adding days to a datetime in a ZoneInfo keeps the local time across DST."""
    first = when(event["start"])
    rule = _rule(event)
    if rule is None or rule.get("FREQ") not in ("DAILY", "WEEKLY"):
        return [first]
    interval = int(rule.get("INTERVAL", "1"))
    count = int(rule["COUNT"]) if "COUNT" in rule else None
    until = _until(rule["UNTIL"]) if "UNTIL" in rule else None
    end = first + HORIZON if limit is None else min(limit, first + HORIZON)
    byday = {DAYS.index(day[-2:]) for day in rule.get("BYDAY", "").split(",") if day}
    weekly = rule["FREQ"] == "WEEKLY"
    if weekly and not byday:
        byday = {first.weekday()}
    week0 = first.date() - timedelta(days=first.weekday())
    found: list[datetime] = []
    for offset in range((end - first).days + 1):
        candidate = first + timedelta(days=offset)
        if until is not None and candidate > until:
            break
        period = (candidate.date() - week0).days // 7 if weekly else offset
        if period % interval or (byday and candidate.weekday() not in byday):
            continue
        found.append(candidate)
        if len(found) == count or len(found) >= MAX_INSTANCES:
            break
    return found


def instances(event: JSON, limit: datetime | None) -> list[JSON]:
    """The occurrences of a recurring master as `singleEvents=true` lists them."""
    first = when(event["start"])
    length = when(event["end"]) - first
    all_day = "date" in event["start"]
    zone = event["start"].get("timeZone")
    result = []
    for start in starts(event, limit):
        instance = {k: v for k, v in event.items() if k != "recurrence"}
        if all_day:
            stamp = start.strftime("%Y%m%d")
            instance["start"] = {"date": start.date().isoformat()}
            instance["end"] = {"date": (start + length).date().isoformat()}
        else:
            stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            instance["start"] = {"dateTime": start.isoformat()}
            instance["end"] = {"dateTime": (start + length).isoformat()}
            if zone:
                instance["start"]["timeZone"] = instance["end"]["timeZone"] = zone
        instance["id"] = f"{event['id']}_{stamp}"
        instance["recurringEventId"] = event["id"]
        instance["originalStartTime"] = dict(instance["start"])
        result.append(instance)
    return result
