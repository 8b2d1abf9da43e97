"""The week board placement works on: windows, busy time and booked sessions per local day.

Times are whole minutes since the epoch (UTC), so overlap and gap arithmetic stays exact across
DST changes; local dates and wall-clock windows are converted once per day.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.model import Athlete, Interval, Race

GRID = 15  # start times snap to quarter hours
DAY = timedelta(days=1)


def to_minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def from_minutes(minutes: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(minutes * 60, UTC).astimezone(tz)


@dataclass
class Booked:
    start: int
    end: int
    kind: str  # "run" | "strength"
    key_run: bool
    heavy: bool
    # A long run or race: the next day takes upper-body strength only (L3).
    long: bool
    key: str


class Board:
    def __init__(
        self,
        athlete: Athlete,
        tz: ZoneInfo,
        busy: tuple[Interval, ...],
        races: tuple[Race, ...],
        now: int,
        span: tuple[date, date],
    ) -> None:
        self.athlete = athlete
        self.tz = tz
        self.now = now
        # Local midnights of every day in `span`, so a minute's local date is one bisect
        # instead of a timezone conversion (busy calendars hold thousands of events).
        first, last = span
        self._day0 = first
        self._midnights = self._local_midnights(first, (last - first).days + 1)
        self.booked: dict[date, list[Booked]] = {}
        self.race_days: dict[date, list[Race]] = {}
        for race in races:
            self.race_days.setdefault(race.date, []).append(race)
        # Derived day flags, kept in step by book()/unbook(): the rules ask these thousands
        # of times a plan.
        self._kinds: set[tuple[date, str]] = set()
        self._key: set[date] = set(self.race_days)
        self._hard: set[date] = set(self.race_days)
        self._long: set[date] = set(self.race_days)
        self._windows: dict[date, list[tuple[int, int]]] = {}
        self._busy: dict[date, list[tuple[int, int]]] = {}
        lo, hi = self._midnights[0], self._midnights[-1]
        midnights = self._midnights
        day_of = [first + timedelta(days=i) for i in range(len(midnights))]
        last_index = len(midnights) - 1
        busy_by_day = self._busy
        for interval in busy:
            start = int(interval.start.timestamp()) // 60
            end = int(interval.end.timestamp()) // 60
            if end <= start or end <= lo or start >= hi:
                continue
            index = max(bisect_right(midnights, start) - 1, 0)
            while index < last_index and midnights[index] < end:
                busy_by_day.setdefault(day_of[index], []).append((start, end))
                index += 1
        for spans in self._busy.values():
            spans.sort()

    # -- time ---------------------------------------------------------------------------
    def _local_midnights(self, first: date, days: int) -> list[int]:
        """Converting every day is the planner's single largest cost; a week whose two ends
        are exactly 7 x 24 h apart has no DST change inside, so its days are filled in."""
        out: list[int] = []
        week = 7 * 1440
        for offset in range(0, days, 7):
            day = first + timedelta(days=offset)
            start = self.at(day, time(0, 0))
            span = min(7, days - offset)
            end = self.at(day + timedelta(days=span), time(0, 0))
            if span == 7 and end - start == week:
                out.extend(start + i * 1440 for i in range(7))
            else:
                out.extend(self.at(day + timedelta(days=i), time(0, 0)) for i in range(span))
        return out

    def local_date(self, minutes: int) -> date:
        index = bisect_right(self._midnights, minutes) - 1
        if 0 <= index < len(self._midnights) - 1:
            return self._day0 + timedelta(days=index)
        return from_minutes(minutes, self.tz).date()

    def at(self, day: date, clock: time) -> int:
        return to_minutes(datetime.combine(day, clock, tzinfo=self.tz))

    def windows(self, day: date) -> list[tuple[int, int]]:
        spans = self._windows.get(day)
        if spans is None:
            windows = self.athlete.windows[day.weekday()]
            index = (day - self._day0).days
            if 0 <= index < len(self._midnights) - 1 and (
                self._midnights[index + 1] - self._midnights[index] == 1440
            ):
                # No DST change inside the day: wall-clock minutes add to local midnight.
                midnight = self._midnights[index]
                spans = [(midnight + _clock(w.start), midnight + _clock(w.end)) for w in windows]
            else:
                spans = [(self.at(day, w.start), self.at(day, w.end)) for w in windows]
            self._windows[day] = spans
        return spans

    def busy(self, day: date) -> list[tuple[int, int]]:
        return self._busy.get(day, [])

    # -- what the day holds ---------------------------------------------------------------
    def on(self, day: date) -> list[Booked]:
        return self.booked.get(day, [])

    def book(self, day: date, item: Booked) -> None:
        self.booked.setdefault(day, []).append(item)
        self._flag(day, item)

    def unbook(self, day: date, key: str) -> None:
        self.booked[day] = [b for b in self.on(day) if b.key != key]
        self._kinds = {k for k in self._kinds if k[0] != day}
        for flags in (self._key, self._hard, self._long):
            if day not in self.race_days:
                flags.discard(day)
        for item in self.booked[day]:
            self._flag(day, item)

    def _flag(self, day: date, item: Booked) -> None:
        self._kinds.add((day, item.kind))
        if item.key_run:
            self._key.add(day)
        if item.key_run or item.heavy:
            self._hard.add(day)
        if item.long:
            self._long.add(day)

    def races_on(self, day: date) -> list[Race]:
        return self.race_days.get(day, [])

    def key_day(self, day: date) -> bool:
        """R2: a key run or a race."""
        return day in self._key

    def hard(self, day: date) -> bool:
        """L4: a key run, a race or heavy strength."""
        return day in self._hard

    def has(self, day: date, kind: str) -> bool:
        return (day, kind) in self._kinds

    def after_long(self, day: date) -> bool:
        return day - DAY in self._long

    def empty(self, day: date) -> bool:
        """L6: a full rest day holds no session and no race."""
        return not self.on(day) and not self.race_days.get(day)

    # -- finding time ---------------------------------------------------------------------
    def fit(
        self,
        day: date,
        minutes: int,
        *,
        lo: int | None = None,
        hi: int | None = None,
        prefer: int | None = None,
    ) -> tuple[int, int] | None:
        """The first free start in the day's windows (preferred window first, L8) where the
        session overlaps no busy time and no booked session (L5); `prefer` is tried first."""
        busy = self._busy.get(day, [])
        booked = self.booked.get(day)
        obstacles = sorted(busy + [(b.start, b.end) for b in booked]) if booked else busy
        floor = max(self.now, lo) if lo is not None else self.now
        if prefer is not None and prefer >= floor:
            end = prefer + minutes
            if (hi is None or end <= hi) and self._inside(day, prefer, end, obstacles):
                return prefer, end
        for start, stop in self.windows(day):
            top = min(stop, hi) if hi is not None else stop
            t = _snap(max(start, floor))
            while t + minutes <= top:
                clash = next((o for o in obstacles if o[0] < t + minutes and o[1] > t), None)
                if clash is None:
                    return t, t + minutes
                t = _snap(clash[1])
        return None

    def _inside(self, day: date, start: int, end: int, obstacles: list[tuple[int, int]]) -> bool:
        in_window = any(ws <= start and end <= we for ws, we in self.windows(day))
        return in_window and not any(o[0] < end and o[1] > start for o in obstacles)


def _clock(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _snap(minutes: int) -> int:
    return -(-minutes // GRID) * GRID
