"""Golden plans: reviewed JSON snapshots of four athletes' plans at fixed dates.

The example config's plan at three dates, and three athletes built here: a 3-day-a-week 5K
runner, a 6-day 100 km ultra runner and a 4-day beginner half-marathoner with a busy job. Each
plan must also pass `check_plan` with no hard rule broken.

Regenerate after a deliberate planning change with RACECAL_UPDATE_GOLDEN=1, then review the diff
like code: every changed line is a changed training instruction.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler.check import broken, check_plan
from scheduler.explain import plan_to_json
from scheduler.model import (
    Athlete,
    Interval,
    Plan,
    PlanRequest,
    Priority,
    Race,
    TimeWindow,
)
from scheduler.plan import build_plan
from scheduler.races import resolve_priorities
from service.config.load import load_config
from service.planning import plan_for, read_sources

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
DATES = {
    "20-weeks-out": date(2026, 12, 6),  # 20 weeks before Hamburg (2027-04-25)
    "race-specific": date(2027, 3, 10),  # week -7 .. -4 of the block
    "race-week": date(2027, 4, 21),  # Wednesday of race week
}
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
TZ = "Europe/Berlin"


def _window(a: int, b: int, c: int = 0, d: int = 0) -> TimeWindow:
    return TimeWindow(time(a, b), time(c, d))


def five_k_runner() -> PlanRequest:
    """3 run days, 30 km a week, a 22:30 5K; an A 5K on a Saturday, 7 weeks out."""
    weekday = (_window(6, 0, 7, 30), _window(17, 30, 20, 30))
    weekend = (_window(8, 0, 12, 0),)
    runner = Athlete(
        id="fivek",
        timezone=TZ,
        run_days=frozenset({TUE, THU, SUN}),
        long_run_day=SUN,
        windows=(weekday,) * 5 + (weekend,) * 2,
        weekly_km=30.0,
        easy_pace_s_per_km=345,
        recent_race_km=5.0,
        recent_race_s=22 * 60 + 30,
    )
    race = Race(
        "stadtlauf", "Stadtlauf 5K", date(2027, 4, 17), 5.0, Priority.A, "", True, date(2026, 12, 1)
    )
    return PlanRequest(runner, (race,), date(2027, 3, 1), 8)


def ultra_runner() -> PlanRequest:
    """6 run days, 70 km a week, experienced, a 3:20 marathon; an A 100 km, 7 weeks out."""
    weekday = (_window(5, 30, 7, 30), _window(17, 0, 21, 0))
    weekend = (_window(6, 0, 14, 0), _window(16, 0, 19, 0))
    runner = Athlete(
        id="ultra",
        timezone=TZ,
        run_days=frozenset({MON, TUE, WED, THU, SAT, SUN}),
        long_run_day=SAT,
        windows=(weekday,) * 5 + (weekend,) * 2,
        weekly_km=70.0,
        easy_pace_s_per_km=330,
        experienced=True,
        recent_race_km=42.195,
        recent_race_s=3 * 3600 + 20 * 60,
    )
    race = Race(
        "trail100", "Trail 100", date(2027, 6, 12), 100.0, Priority.A, "", True, date(2026, 12, 1)
    )
    return PlanRequest(runner, (race,), date(2027, 4, 26), 8)


def busy_job(start: date, weeks: int) -> tuple[Interval, ...]:
    """Office 07:30-19:00 on weekdays, a Wednesday team dinner until 21:30 and a Thursday
    evening call every other week."""
    zone = ZoneInfo(TZ)

    def at(day: date, a: time, b: time) -> Interval:
        return Interval(
            datetime.combine(day, a, tzinfo=zone), datetime.combine(day, b, tzinfo=zone)
        )

    out = []
    for n in range(weeks * 7):
        day = start + timedelta(days=n)
        if day.weekday() < 5:
            out.append(at(day, time(7, 30), time(19, 0)))
        if day.weekday() == WED:
            out.append(at(day, time(19, 0), time(21, 30)))
        if day.weekday() == THU and (n // 7) % 2 == 0:
            out.append(at(day, time(19, 0), time(20, 30)))
    return tuple(out)


def beginner_half() -> PlanRequest:
    """4 run days, 20 km a week, no race result; an A half marathon 7 weeks out, and a job."""
    weekday = (_window(6, 0, 7, 30), _window(19, 0, 21, 30))
    weekend = (_window(8, 0, 12, 0),)
    runner = Athlete(
        id="beginner",
        timezone=TZ,
        run_days=frozenset({TUE, THU, SAT, SUN}),
        long_run_day=SUN,
        windows=(weekday,) * 5 + (weekend,) * 2,
        weekly_km=20.0,
        easy_pace_s_per_km=420,
        max_strength_per_week=2,
    )
    race = Race(
        "halbmarathon",
        "City Half",
        date(2027, 5, 9),
        21.1,
        Priority.A,
        "",
        True,
        date(2026, 12, 1),
    )
    today = date(2027, 3, 22)
    return PlanRequest(runner, (race,), today, 8, busy=busy_job(today - timedelta(days=7), 10))


ATHLETES = {
    "5k-3-days": five_k_runner,
    "ultra-6-days": ultra_runner,
    "half-beginner": beginner_half,
}


def _matches(plan: Plan, name: str) -> None:
    got = json.dumps(plan_to_json(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path = GOLDEN / f"plan-{name}.json"
    if os.environ.get("RACECAL_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with RACECAL_UPDATE_GOLDEN=1 and review it"
    assert got == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(DATES))
def test_example_plan_matches_snapshot(name: str) -> None:
    entry = load_config(ROOT / "config.example.toml").athletes[0]
    plan = plan_for(entry, DATES[name], weeks=8).plan
    _matches(plan, name)
    sources = read_sources(entry, DATES[name], 8)
    request = PlanRequest(
        entry.athlete, resolve_priorities(sources.races, DATES[name]), DATES[name], 8, sources.busy
    )
    assert [r.line() for r in broken(check_plan(plan, request))] == []


@pytest.mark.parametrize("name", sorted(ATHLETES))
def test_athlete_plan_matches_snapshot_and_keeps_the_hard_rules(name: str) -> None:
    request = ATHLETES[name]()
    plan = build_plan(request)
    _matches(plan, name)
    assert [r.line() for r in broken(check_plan(plan, request))] == []
