"""Builders for planning inputs and independent checkers of the hard placement rules.

The checkers re-derive each rule from the plan's output alone, so a test using them can fail
whatever the planner believes about itself.
"""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduler.model import (
    Athlete,
    Interval,
    PlacedSession,
    Plan,
    PlanRequest,
    Priority,
    Race,
    SameDayOrder,
    TimeWindow,
)
from service.config.load import AthleteConfig, load_config
from service.store.database import Store

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAY_WINDOWS = (TimeWindow(time(6, 0), time(7, 30)), TimeWindow(time(17, 30), time(21, 0)))
WEEKEND_WINDOWS = (TimeWindow(time(7, 0), time(12, 0)), TimeWindow(time(16, 0), time(19, 0)))


def athlete(
    run_days: tuple[int, ...] = (MON, TUE, THU, SAT, SUN),
    long_run_day: int = SUN,
    windows: tuple[tuple[TimeWindow, ...], ...] | None = None,
    tz: str = "Europe/Berlin",
    **kw: object,
) -> Athlete:
    return Athlete(
        id="t",
        timezone=tz,
        run_days=frozenset(run_days),
        long_run_day=long_run_day,
        windows=windows or (WEEKDAY_WINDOWS,) * 5 + (WEEKEND_WINDOWS,) * 2,
        **kw,  # type: ignore[arg-type]
    )


def race(
    uid: str, day: date, km: float = 42.195, priority: Priority = Priority.A, **kw: object
) -> Race:
    fields: dict[str, object] = {"priority_explicit": True, **kw}
    return Race(uid, f"{uid} race", day, km, priority, "", **fields)  # type: ignore[arg-type]


def request(
    a: Athlete, races: tuple[Race, ...], today: date, weeks: int = 8, **kw: object
) -> PlanRequest:
    return PlanRequest(a, races, today, weeks, **kw)  # type: ignore[arg-type]


def local(s: PlacedSession, tz: str) -> datetime:
    return s.start.astimezone(ZoneInfo(tz))


def by_day(plan: Plan) -> dict[date, list[PlacedSession]]:
    tz = ZoneInfo(plan.timezone)
    out: dict[date, list[PlacedSession]] = defaultdict(list)
    for s in plan.sessions:
        out[s.start.astimezone(tz).date()].append(s)
    return out


def busy_at(day: date, start: time, end: time, tz: str = "Europe/Berlin") -> Interval:
    zone = ZoneInfo(tz)
    return Interval(
        datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone)
    )


# -- hard-rule checkers: each returns a list of violations (empty = rule kept) -------------


def _race_days(plan: Plan) -> set[date]:
    return {r.date for r in plan.races}


def _key_starts(plan: Plan, req: PlanRequest) -> list[datetime]:
    """Start of every key run and race (a race counts from its local midnight)."""
    zone = ZoneInfo(plan.timezone)
    starts = [s.start for s in plan.sessions if s.key_run]
    starts += [datetime.combine(r.date, time(0, 0), tzinfo=zone) for r in req.races]
    starts += [e.start for e in req.external_runs if e.key_run]
    return starts


def check_L1(plan: Plan, req: PlanRequest) -> list[str]:
    out = []
    keys = _key_starts(plan, req)
    for s in plan.sessions:
        if s.kind != "strength" or not s.heavy_lower or s.origin != "planned":
            continue
        for k in keys:
            if s.end <= k < s.end + timedelta(hours=24):
                out.append(f"L1: heavy {s.key} ends {s.end} within 24 h of a key start {k}")
        for r in req.races:
            gap = (r.date - s.start.astimezone(ZoneInfo(plan.timezone)).date()).days
            need = {Priority.A: 7, Priority.B: 5, Priority.C: 3}[r.priority]
            if 0 < gap < need:
                out.append(f"L1/P5: heavy {s.key} {gap} days before {r.priority} race {r.uid}")
    return out


def check_L2(plan: Plan, req: PlanRequest) -> list[str]:
    days = sorted({d for d, ss in by_day(plan).items() if any(s.kind == "strength" for s in ss)})
    return [
        f"L2: strength on {a} and {b}" for a, b in itertools.pairwise(days) if (b - a).days == 1
    ]


def check_L3(plan: Plan, req: PlanRequest) -> list[str]:
    out = []
    races = _race_days(plan)
    for day, sessions in by_day(plan).items():
        lifts = [s for s in sessions if s.kind == "strength" and s.origin == "planned"]
        if not lifts:
            continue
        if day in races:
            out.append(f"L3: strength on race day {day}")
        for run in (s for s in sessions if s.kind == "run" and s.key_run):
            for lift in lifts:
                if req.athlete.same_day_order is SameDayOrder.LIFT_FIRST:
                    out.append(f"L3: lift_first athlete has strength on key-run day {day}")
                if lift.start < run.end + timedelta(hours=6):
                    out.append(f"L3: {lift.key} not 6 h after key run {run.key}")
        before = day - timedelta(days=1)
        long_before = before in races or any(s.type == "long" for s in by_day(plan).get(before, []))
        if long_before and any(s.heavy_lower for s in lifts):
            out.append(f"L3: heavy lower-body strength the day after a long run/race {day}")
    return out


def hard_days(plan: Plan, req: PlanRequest) -> set[date]:
    days = set(_race_days(plan))
    tz = ZoneInfo(plan.timezone)
    for s in plan.sessions:
        if s.key_run or s.heavy_lower:
            days.add(s.start.astimezone(tz).date())
    days.update(e.start.astimezone(tz).date() for e in req.external_runs if e.key_run)
    return days


def check_L4(plan: Plan, req: PlanRequest) -> list[str]:
    planned = by_day(plan)
    hard = hard_days(plan, req)
    out = []
    for day in sorted(hard):
        nxt = day + timedelta(days=1)
        # Only a pair that racecal itself placed can break the rule: races and kept sessions are
        # the athlete's.
        ours = [
            s
            for d in (day, nxt)
            for s in planned.get(d, [])
            if s.origin == "planned" and (s.key_run or s.heavy_lower)
        ]
        if nxt in hard and ours:
            out.append(f"L4: hard days {day} and {nxt}")
    return out


def check_L5(plan: Plan, req: PlanRequest) -> list[str]:
    tz = ZoneInfo(plan.timezone)
    out = []
    for s in plan.sessions:
        if s.origin != "planned":
            continue
        start, end = s.start.astimezone(tz), s.end.astimezone(tz)
        windows = req.athlete.windows[start.weekday()]
        inside = any(
            datetime.combine(start.date(), w.start, tzinfo=tz) <= start
            and end <= datetime.combine(start.date(), w.end, tzinfo=tz)
            for w in windows
        )
        if not inside:
            out.append(f"L5: {s.key} {start}-{end} outside windows")
        for b in req.busy:
            if b.start < s.end and s.start < b.end:
                out.append(f"L5: {s.key} overlaps busy {b.start}-{b.end}")
    return out


def check_L6(plan: Plan, req: PlanRequest) -> list[str]:
    days = by_day(plan)
    races = _race_days(plan)
    out = []
    for week in plan.weeks:
        if week.start < req.today:
            continue
        week_days = [week.start + timedelta(days=i) for i in range(7)]
        if all(days.get(d) or d in races for d in week_days):
            out.append(f"L6: no rest day in week of {week.start}")
    return out


def check_overlaps(plan: Plan, req: PlanRequest) -> list[str]:
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    return [f"overlap {a.key} / {b.key}" for a, b in itertools.pairwise(ordered) if b.start < a.end]


def check_P9(plan: Plan, req: PlanRequest) -> list[str]:
    """No strength in the 3 days after a marathon or the 5 after an ultra, whatever the race's
    priority (the legs are repairing)."""
    tz = ZoneInfo(plan.timezone)
    out = []
    for r in req.races:
        rest = 5 if r.distance_km > 43 else 3 if r.distance_km >= 42 else 0
        for s in plan.sessions:
            if s.kind != "strength" or s.origin != "planned":
                continue
            gap = (s.start.astimezone(tz).date() - r.date).days
            if 0 < gap <= rest:
                out.append(f"P9: strength {s.key} {gap} days after {r.distance_km} km race {r.uid}")
    return out


def check_L11(plan: Plan, req: PlanRequest) -> list[str]:
    """Soft, but on by default and never worth a session: no heavy legs on a long-run day."""
    if not req.athlete.no_heavy_legs_on_long_run_day:
        return []
    long_days = {d for d, ss in by_day(plan).items() if any(s.type == "long" for s in ss)}
    return [
        f"L11: heavy {s.key} on the long-run day"
        for d, ss in by_day(plan).items()
        if d in long_days
        for s in ss
        if s.kind == "strength" and s.heavy_lower and s.origin == "planned"
    ]


HARD_RULES = (
    check_L1,
    check_L2,
    check_L3,
    check_L4,
    check_L5,
    check_L6,
    check_P9,
    check_L11,
    check_overlaps,
)


def violations(plan: Plan, req: PlanRequest) -> list[str]:
    return [v for check in HARD_RULES for v in check(plan, req)]


# -- the example athlete in a scratch directory -------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def example_workspace(base: Path) -> Path:
    """A copy of the example config and calendars in `base`; returns the config path."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config.example.toml", base / "config.toml")
    shutil.copytree(ROOT / "examples", base / "examples")
    return base / "config.toml"


def example_store(base: Path, url: str | None = None) -> tuple[Store, AthleteConfig]:
    """The example workspace with its store (the config's SQLite, or `url`) at the newest
    schema."""
    config = load_config(example_workspace(base))
    store = Store.open(url or config.service.database_url, base)
    store.upgrade()
    return store, config.athletes[0]


class StoreOfItsOwn:
    """A scratch world's store: SQLite under `base` unless a suite sets `store_url`."""

    base: Path
    # The sync suites set this to run on PostgreSQL too.
    store_url = "sqlite:///var/racecal.db"

    def store(self) -> Store:
        store = Store.open(self.store_url, self.base)
        store.upgrade()
        return store
