"""Races from calendar events: distance, priority (P5), goal time and result (R7) parsed from
titles and descriptions.

A title is a race only when it names a distance ("10K", "half marathon", "13.1 mi", "parkrun")
and carries none of the words that mark talk *about* a race (meeting, expo, watch ...): a
calendar holds far more "marathon planning call" events than races. Any calendar's events will
do (`CalendarEvent` is the shape every source's events have); which calendar they came from
does not matter here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from scheduler.finish import parse_finish
from scheduler.model import Priority, Race

MILE_KM = 1.609344
MIN_KM, MAX_KM = 0.8, 400.0
ULTRA_DEFAULT_KM = 50.0

_NUM = r"(\d{1,3}(?:[.,]\d{1,3})?)"
# Order matters: half before full, explicit numbers before bare words.
_PATTERNS: tuple[tuple[re.Pattern[str], float | None], ...] = (
    (re.compile(rf"(?<![\w$€£.,]){_NUM}\s*(?:km|k)(?![\w])", re.I), 1.0),
    (re.compile(rf"(?<![\w$€£.,]){_NUM}\s*(?:mi|miles?|mile|m)(?![\w])", re.I), MILE_KM),
    (
        re.compile(
            r"half[\s-]*marathon|halbmarathon|semi[\s-]*marathon|medio[\s-]*marat[oó]n"
            r"|mezza[\s-]*maratona|(?<![\w])HM(?![\w])|(?<![\w])13[.,]1(?![\w.,])",
            re.I,
        ),
        21.0975,
    ),
    (re.compile(r"ultra", re.I), ULTRA_DEFAULT_KM),
    (re.compile(r"marathon|marat[oó]n|maratona|(?<![\w])26[.,]2(?![\w.,])", re.I), 42.195),
    (re.compile(r"park\s*run", re.I), 5.0),
)
_NOT_A_RACE = re.compile(
    r"\b(meeting|meet-up|call|watch(?:ing)?|volunteer(?:ing)?|planning|plan review|review"
    r"|webinar|sync|lunch|dinner|pick-?up|expo|registration|sign[\s-]?up|deadline|training plan"
    r"|steps|pacing group meeting|tv|stream|cheer(?:ing)?|spectat\w*|podcast|fundraiser)\b",
    re.I,
)
_PRIORITY = (
    re.compile(r"[\[(]\s*([ABC])\s*[\])]", re.I),  # [A]  (b)
    re.compile(r"[\[(]\s*([ABC])[\s-]*race\s*[\])]", re.I),  # (B race)
    re.compile(r"(?<![\w#])#([ABC])(?![\w])", re.I),  # #C
    re.compile(r"(?<![\w])([ABC])[\s-]race(?![\w])"),  # A-race, A race (capital only)
    re.compile(r"\bprio(?:rity)?\s*[:=]?\s*([ABC])(?![\w])", re.I),  # priority: A, prio B
)


# R7: a goal time: "goal 3:29", "Goal: sub 3:45", "target 1:45:00", "Ziel 3h29", "sub-40 min".
_CLOCK = (
    r"\d{1,3}:\d{2}(?::\d{2})?|\d{1,2}\s*h\s*\d{1,2}(?:\s*m(?:in)?)?"
    r"|\d{1,2}(?:[.,]\d{1,2})?\s*h(?:ours?|rs?)?|\d{1,3}\s*min(?:utes?|s)?"
)
_GOAL = re.compile(
    r"(?:\b(?:goal|target|aim|ziel|objectif|objetivo)(?:\s*time)?\s*[:=]?\s*"
    r"(?:(?:sub|under|<)\s*-?\s*)?|\bsub\s*-?\s*)"
    # A bare number ("sub 3") only when no word follows it ("goal: 2 gels an hour").
    rf"({_CLOCK}|\d{{1,3}}(?!\s+[a-z]))(?![\w:]|[.,]\d)",
    re.I,
)
_ANY_TIME = re.compile(rf"(?<![\w:.,])({_CLOCK})(?![\w:]|[.,]\d)", re.I)
# A finish time is believable between world-record pace and a walk: 2:30-16:40 per km.
PACE_BOUNDS = (150.0, 1000.0)


def parse_time(token: str, km: float) -> int | None:
    """Seconds of a time token for a race of `km`. "3:29" is h:mm for a marathon and m:ss for a
    5K: the reading whose pace is believable for the distance wins (the two differ 60-fold)."""
    token = token.strip().lower().replace(",", ".")
    candidates: list[float] = []
    if ":" in token:
        parts = [int(p) for p in token.split(":")]
        if len(parts) == 3:
            candidates.append(parts[0] * 3600.0 + parts[1] * 60 + parts[2])
        elif parts[1] < 60:
            candidates += [parts[0] * 3600.0 + parts[1] * 60, parts[0] * 60.0 + parts[1]]
    elif "h" in token:
        hours, _, rest = token.partition("h")
        minutes = re.match(r"\s*(\d+)", rest) if rest.strip() else None
        if minutes and not rest.strip().startswith(("our", "r")):
            candidates.append(float(hours) * 3600 + int(minutes.group(1)) * 60)
        else:
            candidates.append(float(hours.strip()) * 3600)
    elif "min" in token:
        candidates.append(int(re.sub(r"\D", "", token)) * 60.0)
    elif token.isdigit():
        # A bare "sub 3" or "goal 40": hours or minutes, whichever the distance believes.
        candidates += [int(token) * 3600.0, int(token) * 60.0]
    for seconds in candidates:
        if PACE_BOUNDS[0] <= seconds / km <= PACE_BOUNDS[1]:
            return round(seconds)
    return None


def parse_goal(text: str, km: float) -> int | None:
    """The goal finish time (seconds) named in `text` for a race of `km`, or None."""
    for match in _GOAL.finditer(text):
        seconds = parse_time(match.group(1), km)
        if seconds is not None:
            return seconds
    return None


def parse_result(text: str) -> tuple[float, int] | None:
    """A race result "10K 48:30", "half 1:44:10", "marathon 3:29:00", "5 km in 22 min": the
    distance in km and the time in seconds, or None when either is missing or unbelievable."""
    text = re.sub(r"\bhalf\b(?![\s-]*marathon)", "half marathon", text.strip(), flags=re.I)
    km = parse_distance(text)
    if km is None:
        return None
    for match in _ANY_TIME.finditer(text):
        seconds = parse_time(match.group(1), km)
        if seconds is not None:
            return km, seconds
    return None


def parse_distance(text: str) -> float | None:
    """The race distance in km named in `text`, or None. "10k steps" and "$5k prize" are not
    distances (the currency sign and the cue words say so)."""
    for pattern, factor in _PATTERNS:
        for match in pattern.finditer(text):
            if factor is None or not match.groups():
                km = factor
            else:
                km = float(match.group(1).replace(",", ".")) * factor
            if km is not None and MIN_KM < km <= MAX_KM:
                return round(km, 3)
    return None


def parse_priority(text: str) -> Priority | None:
    """The priority marker in `text` ("[A]", "(B race)", "#C", "A-race", "priority: A")."""
    for pattern in _PRIORITY:
        match = pattern.search(text)
        if match:
            return Priority(match.group(1).upper())
    return None


def race_from_event(
    uid: str,
    title: str,
    description: str,
    day: date,
    location: str = "",
    planned_since: date | None = None,
) -> Race | None:
    """A Race when the event is one, else None. The distance comes from the title, or from the
    description when the title itself reads like a race ("Race", "Run", a race name + marker)."""
    title = title.strip()
    if not title or _NOT_A_RACE.search(title):
        return None
    distance = parse_distance(title)
    if distance is None and _race_word(title):
        distance = parse_distance(description or "")
    if distance is None:
        return None
    priority = parse_priority(title) or parse_priority(description or "")
    goal = parse_goal(title, distance) or parse_goal(description or "", distance)
    # R7: how it went, once it was run (scheduler.results judges it).
    finish = parse_finish(title, distance) or parse_finish(description or "", distance)
    return Race(
        uid=uid,
        title=title,
        date=day,
        distance_km=distance,
        priority=priority or Priority.B,
        location=location.strip(),
        priority_explicit=priority is not None,
        planned_since=planned_since,
        goal_s=goal,
        finish=finish,
    )


def _race_word(title: str) -> bool:
    return bool(
        # German race names are compounds ending in "lauf" (Stadtlauf, Silvesterlauf).
        re.search(r"\b(race|run|course|carrera|corsa|trail)\b|lauf\b", title, re.I)
        or parse_priority(title)
    )


def resolve_priorities(races: Iterable[Race], today: date) -> tuple[Race, ...]:
    """P5 defaults for races without a marker: when no marked A race lies ahead, the farthest
    race of the longest distance still ahead is A; every other unmarked race is B.

    "Ahead" is counted from `today` for races still to come and from its own day for a race
    already run, so a race keeps the priority it had while it lay ahead: the recovery after an
    unmarked A race stays (P9) instead of turning into offseason the day after. Both are pure
    functions of the races, so a re-plan on any later day agrees about the past."""
    ordered = sorted(races, key=lambda r: (r.date, r.uid))
    ahead = _default_a(ordered, today)
    out = []
    for r in ordered:
        if r.priority_explicit:
            out.append(r)
            continue
        chosen = ahead if r.date >= today else _default_a(ordered, r.date)
        out.append(replace(r, priority=Priority.A if r.uid == chosen else Priority.B))
    return tuple(out)


def _default_a(ordered: list[Race], as_of: date) -> str | None:
    """The uid P5 makes A on `as_of`: none while a marked A race lies ahead."""
    if any(r.priority_explicit and r.priority is Priority.A and r.date >= as_of for r in ordered):
        return None
    unmarked = [r for r in ordered if not r.priority_explicit and r.date >= as_of]
    if not unmarked:
        return None
    return max(unmarked, key=lambda r: (r.distance_km, r.date, r.uid)).uid


class CalendarEvent(Protocol):
    """An event as a calendar holds it, whatever the calendar."""

    @property
    def uid(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def start(self) -> datetime | date: ...
    @property
    def created(self) -> datetime | date | None: ...
    @property
    def cancelled(self) -> bool: ...


class Unread(Protocol):
    """An event (or object) a calendar could not read whole, as one line; `title` is None when
    it was not an event."""

    @property
    def line(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class RaceRead:
    races: tuple[Race, ...]
    problems: tuple[str, ...]
    # Problems with events that read as races: planning without them would drop their blocks,
    # so a sync pass keeps the last plan until they are fixed.
    broken_races: tuple[str, ...] = ()


def races_in(events: Iterable[CalendarEvent], unread: Iterable[Unread], tz: ZoneInfo) -> RaceRead:
    """Every event that reads as a race, on its day in the athlete's zone `tz`; cancelled
    events are none. What could not be read is reported; an unreadable event whose title
    and description read as a race is a broken race."""
    races: list[Race] = []
    for event in events:
        if event.cancelled:
            continue
        race = race_from_event(
            event.uid,
            event.title,
            event.description,
            local_day(event.start, tz),
            event.location,
            planned_since=local_day(event.created, tz) if event.created is not None else None,
        )
        if race is not None:
            races.append(race)
    problems: list[str] = []
    broken: list[str] = []
    for item in unread:
        problems.append(item.line)
        if item.title is not None and race_from_event("?", item.title, item.description, date.min):
            broken.append(item.line)
    return RaceRead(tuple(races), tuple(problems), tuple(broken))


def local_day(value: date | datetime, tz: ZoneInfo) -> date:
    """The day `value` falls on in `tz`; a floating time is the athlete's own wall clock."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(tz).date()
    return value
