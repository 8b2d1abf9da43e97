"""The week board placement works on: windows, busy time and booked sessions per local day.

Times are whole minutes since the epoch (UTC), so overlap and gap arithmetic stays exact across
DST changes; local dates and wall-clock windows are converted once per day.
"""

from __future__ import annotations

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
    ) -> None:
        self.athlete = athlete
        self.tz = tz
        self.now = now
        self.booked: dict[date, list[Booked]] = {}
        self.race_days: dict[date, list[Race]] = {}
        for race in races:
            self.race_days.setdefault(race.date, []).append(race)
        self._windows: dict[date, list[tuple[int, int]]] = {}
        self._busy: dict[date, list[tuple[int, int]]] = {}
        for interval in busy:
            start, end = to_minutes(interval.start), to_minutes(interval.end)
            if end <= start:
                continue
            day = self.local_date(start)
            last = self.local_date(end - 1)
            while day <= last:
                self._busy.setdefault(day, []).append((start, end))
                day += DAY
        for spans in self._busy.values():
            spans.sort()

    # -- time ---------------------------------------------------------------------------
    def local_date(self, minutes: int) -> date:
        return from_minutes(minutes, self.tz).date()

    def at(self, day: date, clock: time) -> int:
        return to_minutes(datetime.combine(day, clock, tzinfo=self.tz))

    def windows(self, day: date) -> list[tuple[int, int]]:
        spans = self._windows.get(day)
        if spans is None:
            spans = [
                (self.at(day, w.start), self.at(day, w.end))
                for w in self.athlete.windows[day.weekday()]
            ]
            self._windows[day] = spans
        return spans

    def busy(self, day: date) -> list[tuple[int, int]]:
        return self._busy.get(day, [])

    # -- what the day holds ---------------------------------------------------------------
    def on(self, day: date) -> list[Booked]:
        return self.booked.get(day, [])

    def book(self, day: date, item: Booked) -> None:
        self.booked.setdefault(day, []).append(item)

    def unbook(self, day: date, key: str) -> None:
        self.booked[day] = [b for b in self.on(day) if b.key != key]

    def races_on(self, day: date) -> list[Race]:
        return self.race_days.get(day, [])

    def key_day(self, day: date) -> bool:
        """R2: a key run or a race."""
        return bool(self.race_days.get(day)) or any(b.key_run for b in self.on(day))

    def hard(self, day: date) -> bool:
        """L4: a key run, a race or heavy strength."""
        return self.key_day(day) or any(b.heavy for b in self.on(day))

    def has(self, day: date, kind: str) -> bool:
        return any(b.kind == kind for b in self.on(day))

    def after_long(self, day: date) -> bool:
        before = day - DAY
        return bool(self.race_days.get(before)) or any(b.long for b in self.on(before))

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
        obstacles = sorted(self.busy(day) + [(b.start, b.end) for b in self.on(day)])
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


def _snap(minutes: int) -> int:
    return -(-minutes // GRID) * GRID
