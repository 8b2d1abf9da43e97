"""The week board placement works on: windows, busy time and booked sessions per local day.

Times are whole minutes since the epoch (UTC), so overlap and gap arithmetic stays exact across
DST changes; local dates and wall-clock windows are converted once per day. Days are ints
counted from the board's first day, a Monday, so `day % 7` is the weekday: the rules ask about
a day's neighbours thousands of times a plan, and int arithmetic is far cheaper than date
arithmetic. `index` and `to_date` convert at the edges.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler.model import Athlete, Interval, Race

GRID = 15  # start times snap to quarter hours
MIDNIGHT = time(0, 0)


def to_minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def from_minutes(minutes: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(minutes * 60, tz)


def local_minutes(day: date, clock: time, tz: ZoneInfo) -> int:
    return to_minutes(datetime.combine(day, clock, tzinfo=tz))


@dataclass(slots=True)
class Booked:
    start: int
    end: int
    kind: str  # "run" | "strength" | "other" (the other app's cross-training, R6)
    key_run: bool
    heavy: bool
    # A long run or race: the next day takes upper-body strength only (L3).
    long: bool
    key: str


class Board:
    """The day sets (`run_days` .. `long_days`) are derived from the bookings and kept in step
    by book()/unbook(); the rules read them directly, as they ask them thousands of times a
    plan and a method call would cost more than the lookup."""

    def __init__(
        self,
        athlete: Athlete,
        tz: ZoneInfo,
        busy: tuple[Interval, ...],
        races: tuple[Race, ...],
        now: int,
        span: tuple[date, date],
    ) -> None:
        first, last = span
        if first.weekday() != 0:
            raise ValueError(f"a board starts on a Monday, not on {first:%A}")
        self.athlete = athlete
        self.tz = tz
        self.now = now
        self.day0 = first
        # Local midnights of every day in `span`, so a minute's local day is one bisect
        # instead of a timezone conversion (busy calendars hold thousands of events).
        self._midnights = _local_midnights(tz, first, (last - first).days + 1)
        self.booked: dict[int, list[Booked]] = {}
        self.race_days: dict[int, list[Race]] = {}
        for race in races:
            self.race_days.setdefault(self.index(race.date), []).append(race)
        self.run_days: set[int] = set()
        self.lift_days: set[int] = set()
        self.key_run_days: set[int] = set()  # R2: a key run is booked
        self.key_days: set[int] = set(self.race_days)  # R2: a key run or a race
        self.hard_days: set[int] = set(self.race_days)  # L4: key run, race or heavy strength
        self.long_days: set[int] = set(self.race_days)  # L3: long run or race
        self._windows: dict[int, list[tuple[int, int]]] = {}
        # Each weekday's windows as minutes after local midnight.
        self._offsets = [[(_clock(w.start), _clock(w.end)) for w in day] for day in athlete.windows]
        self._busy = self._bucket(busy)

    def _bucket(self, busy: tuple[Interval, ...]) -> list[list[tuple[int, int]]]:
        """Busy intervals by the local days they touch, each day's sorted by start."""
        midnights = self._midnights
        lo, hi = midnights[0], midnights[-1]
        last_index = len(midnights) - 1
        by_day: list[list[tuple[int, int]]] = [[] for _ in range(last_index)]
        for interval in busy:
            start = int(interval.start.timestamp()) // 60
            end = int(interval.end.timestamp()) // 60
            if end <= start or end <= lo or start >= hi:
                continue
            index = bisect_right(midnights, start) - 1 if start >= lo else 0
            while index < last_index and midnights[index] < end:
                by_day[index].append((start, end))
                index += 1
        for spans in by_day:
            if len(spans) > 1:
                spans.sort()
        return by_day

    # -- time ---------------------------------------------------------------------------
    def index(self, day: date) -> int:
        return (day - self.day0).days

    def to_date(self, day: int) -> date:
        return self.day0 + timedelta(days=day)

    def local_day(self, minutes: int) -> int:
        index = bisect_right(self._midnights, minutes) - 1
        if 0 <= index < len(self._midnights) - 1:
            return index
        return self.index(from_minutes(minutes, self.tz).date())

    def at(self, day: int, clock: time) -> int:
        return local_minutes(self.to_date(day), clock, self.tz)

    def windows(self, day: int) -> list[tuple[int, int]]:
        spans = self._windows.get(day)
        if spans is None:
            midnights = self._midnights
            if 0 <= day < len(midnights) - 1 and midnights[day + 1] - midnights[day] == 1440:
                # No DST change inside the day: wall-clock minutes add to local midnight.
                midnight = midnights[day]
                spans = [
                    (midnight + start, midnight + end) for start, end in self._offsets[day % 7]
                ]
            else:
                windows = self.athlete.windows[day % 7]
                spans = [(self.at(day, w.start), self.at(day, w.end)) for w in windows]
            self._windows[day] = spans
        return spans

    def busy(self, day: int) -> Sequence[tuple[int, int]]:
        return self._busy[day] if 0 <= day < len(self._busy) else ()

    # -- what the day holds ---------------------------------------------------------------
    def on(self, day: int) -> list[Booked]:
        return self.booked.get(day, [])

    def book(self, day: int, item: Booked) -> None:
        items = self.booked.get(day)
        if items is None:
            self.booked[day] = [item]
        else:
            items.append(item)
        self._flag(day, item)

    def unbook(self, day: int, key: str) -> None:
        self.booked[day] = [b for b in self.on(day) if b.key != key]
        for flags in (self.run_days, self.lift_days, self.key_run_days):
            flags.discard(day)
        if day not in self.race_days:
            for flags in (self.key_days, self.hard_days, self.long_days):
                flags.discard(day)
        for item in self.booked[day]:
            self._flag(day, item)

    def _flag(self, day: int, item: Booked) -> None:
        if item.kind == "run":
            self.run_days.add(day)
            if item.key_run:
                self.key_run_days.add(day)
        elif item.kind == "strength":
            self.lift_days.add(day)
        if item.key_run:
            self.key_days.add(day)
        if item.key_run or item.heavy:
            self.hard_days.add(day)
        if item.long:
            self.long_days.add(day)

    def races_on(self, day: int) -> list[Race]:
        return self.race_days.get(day, [])

    def empty(self, day: int) -> bool:
        """L6: a full rest day holds no session and no race."""
        return not self.booked.get(day) and day not in self.race_days

    # -- finding time ---------------------------------------------------------------------
    def fit(
        self,
        day: int,
        minutes: int,
        *,
        lo: int | None = None,
        hi: int | None = None,
        prefer: int | None = None,
    ) -> tuple[int, int] | None:
        """The first free start in the day's windows (preferred window first, L8) where the
        session overlaps no busy time and no booked session (L5); `prefer` is tried first."""
        floor = self.now if lo is None or lo < self.now else lo
        obstacles: Sequence[tuple[int, int]] | None = None
        if prefer is not None and prefer >= floor:
            end = prefer + minutes
            if hi is None or end <= hi:
                obstacles = self._obstacles(day)
                if self._inside(day, prefer, end, obstacles):
                    return prefer, end
        for start, stop in self._windows.get(day) or self.windows(day):
            top = stop if hi is None or stop < hi else hi
            # Snap up to the quarter-hour grid.
            t = -(-(start if start > floor else floor) // GRID) * GRID
            end = t + minutes
            if end > top:
                continue  # no room in this window, whatever is booked (the common case)
            if obstacles is None:
                obstacles = self._obstacles(day)
            while end <= top:
                for o_start, o_end in obstacles:
                    if o_start >= end:
                        return t, end  # sorted by start: nothing later reaches into [t, end)
                    if o_end > t:
                        t = -(-o_end // GRID) * GRID
                        end = t + minutes
                        break
                else:
                    return t, end
        return None

    def _obstacles(self, day: int) -> Sequence[tuple[int, int]]:
        """Busy time and booked sessions of the day, sorted by start."""
        busy = self.busy(day)
        booked = self.booked.get(day)
        return sorted([*busy, *[(b.start, b.end) for b in booked]]) if booked else busy

    def _inside(self, day: int, start: int, end: int, obstacles: Sequence[tuple[int, int]]) -> bool:
        in_window = any(ws <= start and end <= we for ws, we in self.windows(day))
        return in_window and not any(o[0] < end and o[1] > start for o in obstacles)


@lru_cache(maxsize=256)
def _local_midnights(tz: ZoneInfo, first: date, days: int) -> tuple[int, ...]:
    """Converting every day is costly and athletes share zones and plan dates, so the answer
    is cached. A week whose two ends are exactly 7 x 24 h apart has no DST change inside, so
    its days are filled in."""
    out: list[int] = []
    week = 7 * 1440
    for offset in range(0, days, 7):
        day = first + timedelta(days=offset)
        start = local_minutes(day, MIDNIGHT, tz)
        span = min(7, days - offset)
        end = local_minutes(day + timedelta(days=span), MIDNIGHT, tz)
        if span == 7 and end - start == week:
            out.extend(start + i * 1440 for i in range(7))
        else:
            out.extend(local_minutes(day + timedelta(days=i), MIDNIGHT, tz) for i in range(span))
    return tuple(out)


def _clock(moment: time) -> int:
    return moment.hour * 60 + moment.minute
