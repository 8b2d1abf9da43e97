"""Placement audit: how often plans break the strength and placement rules a coach checks first.

Two runs, each printing counts:

1. Random plans (athletes, race sets and busy calendars drawn from a seed): plans that leave a
   week outside taper and recovery with fewer than S1's two strength sessions; plans with heavy
   lower-body lifting on the long-run day (L11); heavy legs inside a B race's 4 days or a C
   race's 2 days (P5); strength inside the 3 (marathon) or 5 (ultra) days after a marathon or
   longer (P9); and the sessions dropped overall.
2. Every run-day pattern (3..7 of the 7 weekdays) x each long-run day in it (399 athletes), with
   an empty calendar and 05:00-22:00 windows every day, planned through a marathon block: the
   patterns that lose a session the calendar could hold (L6's forced rest day with seven run
   days is the one loss no placement can avoid, and is counted apart).

Usage: python bench/placement_audit.py [--plans N] [--seed S] [--verbose]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from scheduler.model import (
    Athlete,
    Interval,
    Phase,
    Plan,
    PlanRequest,
    Priority,
    Race,
    SameDayOrder,
    TimeWindow,
)
from scheduler.plan import build_plan

TODAY = date(2026, 12, 7)  # a Monday
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
DISTANCES = (5.0, 10.0, 21.1, 42.195, 50.0, 100.0)
WEEKS = 30
FLOOR_EXEMPT = (Phase.TAPER, Phase.RECOVERY)


def random_windows(rng: random.Random) -> tuple[TimeWindow, ...]:
    morning = TimeWindow(time(rng.choice((5, 6, 7)), 0), time(rng.choice((8, 9)), 0))
    evening = TimeWindow(time(rng.choice((16, 17, 18)), 0), time(rng.choice((20, 21, 22)), 0))
    return (morning, evening) if rng.random() < 0.8 else (evening,)


def random_athlete(rng: random.Random, n: int) -> Athlete:
    run_days = frozenset(rng.sample(range(7), rng.randint(3, 7)))
    weekend = (TimeWindow(time(7, 0), time(rng.choice((11, 12, 13)), 0)),) + (
        (TimeWindow(time(16, 0), time(19, 0)),) if rng.random() < 0.7 else ()
    )
    weekday = random_windows(rng)
    return Athlete(
        id=f"audit-{n}",
        timezone=rng.choice(ZONES),
        run_days=run_days,
        long_run_day=rng.choice(sorted(run_days)),
        windows=(weekday,) * 5 + (weekend,) * 2,
        weekly_km=rng.uniform(20, 90),
        max_strength_per_week=rng.choice((2, 3)),
        same_day_order=rng.choice(tuple(SameDayOrder)),
        experienced=rng.random() < 0.3,
    )


def random_races(rng: random.Random) -> tuple[Race, ...]:
    races = []
    for i in range(rng.randint(1, 5)):
        day = TODAY + timedelta(days=rng.randint(10, 7 * WEEKS))
        priority = rng.choice((Priority.A, Priority.B, Priority.C))
        races.append(Race(f"r{i}", f"race {i}", day, rng.choice(DISTANCES), priority, "", True))
    return tuple(races)


def random_busy(rng: random.Random, weeks: int) -> tuple[Interval, ...]:
    start = datetime.combine(TODAY, time(0, 0), tzinfo=UTC)
    busy = []
    for week in range(weeks):
        for _ in range(rng.randint(0, 20)):
            at = start + timedelta(
                weeks=week, days=rng.randint(0, 6), minutes=rng.randrange(0, 1440, 15)
            )
            busy.append(Interval(at, at + timedelta(minutes=rng.choice((30, 60, 90, 120)))))
    return tuple(busy)


def floor_short_weeks(plan: Plan) -> list[date]:
    """S1: weeks outside taper and recovery with fewer than two strength sessions."""
    counts = Counter(s.week for s in plan.sessions if s.kind == "strength")
    return [
        w.start
        for w in plan.weeks
        if w.start >= plan.today and w.phase not in FLOOR_EXEMPT and counts[w.start] < 2
    ]


def rests_after_long_race(plan: Plan, week: date) -> bool:
    """P9: the week holds some of the strength-free days after a marathon or longer, which
    can leave fewer than two days that keep L2 (explained shortfalls, counted apart)."""
    for race in plan.races:
        days = 5 if race.distance_km > 43 else 3 if race.distance_km >= 42 else 0
        if days and week <= race.date + timedelta(days=days) and race.date < week + timedelta(7):
            return True
    return False


def heavy_on_long_day(plan: Plan) -> int:
    """L11: heavy lower-body strength on a day that holds the long run."""
    tz = ZoneInfo(plan.timezone)
    long_days = {s.start.astimezone(tz).date() for s in plan.sessions if s.type == "long"}
    return sum(
        1
        for s in plan.sessions
        if s.kind == "strength" and s.heavy_lower and s.start.astimezone(tz).date() in long_days
    )


RACE_WINDOW_BREAKS = (
    "heavy legs in the 4 days before a B race",
    "heavy legs in the 2 days before a C race",
    "strength right after a marathon or longer",
)


def legless_weeks(plan: Plan) -> int:
    """Weeks outside taper and recovery whose strength is all upper body: the legs' work
    (the reason a runner lifts) lost to the rules around it."""
    lower: Counter[date] = Counter()
    lifts: Counter[date] = Counter()
    for s in plan.sessions:
        if s.kind == "strength":
            lifts[s.week] += 1
            lower[s.week] += "upper body" not in s.title
    return sum(
        1
        for w in plan.weeks
        if w.start >= plan.today
        and w.phase not in FLOOR_EXEMPT
        and lifts[w.start]
        and not lower[w.start]
    )


def race_window_breaks(plan: Plan) -> Counter[str]:
    """P5: heavy legs inside a B race's 4 days or a C race's 2 days before it; P9: strength
    inside the 3 days after a marathon or 5 after an ultra."""
    tz = ZoneInfo(plan.timezone)
    out: Counter[str] = Counter()
    lifts = [(s.start.astimezone(tz).date(), s) for s in plan.sessions if s.kind == "strength"]
    for race in plan.races:
        before = {Priority.B: 4, Priority.C: 2}.get(race.priority, 0)
        after = 5 if race.distance_km > 43 else 3 if race.distance_km >= 42 else 0
        for day, s in lifts:
            gap = (race.date - day).days
            if s.heavy_lower and 0 < gap <= before:
                out[f"heavy legs in the {before} days before a {race.priority} race"] += 1
            if 0 < -gap <= after:
                out["strength right after a marathon or longer"] += 1
    return out


def random_plans(count: int, seed: int, verbose: bool) -> None:
    rng = random.Random(seed)
    short_plans = heavy_plans = unexplained = no_legs = 0
    race_plans: Counter[str] = Counter()
    drops: Counter[str] = Counter()
    warned_short = easy = 0
    for n in range(count):
        athlete = random_athlete(rng, n)
        races = random_races(rng)
        req = PlanRequest(athlete, races, TODAY, WEEKS, busy=random_busy(rng, WEEKS + 1))
        plan = build_plan(req)
        short = floor_short_weeks(plan)
        if short:
            short_plans += 1
            unexplained += any(not rests_after_long_race(plan, week) for week in short)
            dropped = {w.week for w in plan.warnings if "strength" in w.message}
            warned_short += all(week in dropped for week in short)
        heavy_plans += heavy_on_long_day(plan) > 0
        no_legs += legless_weeks(plan) > 0
        for what in race_window_breaks(plan):
            race_plans[what] += 1
        easy += sum(1 for w in plan.warnings if w.message.startswith("ran easy"))
        for w in plan.warnings:
            if w.message.startswith("dropped"):
                slot = w.message.split("' (")[1].split(")")[0].rsplit("/", 1)[-1]
                kind = "strength" if slot.startswith("strength") else "run"
                drops[f"{kind} ({w.rule})"] += 1
    print(f"random plans: {count} athletes x {WEEKS} weeks, seed {seed}")
    print(f"  S1 floor: plans with a week below two strength sessions: {short_plans}")
    print(f"            ... of which every such week carries a drop warning: {warned_short}")
    print(f"            ... with such a week not after a marathon or longer (P9): {unexplained}")
    print(f"  L11: plans with heavy lower-body strength on the long-run day: {heavy_plans}")
    for what in RACE_WINDOW_BREAKS:
        print(f"  P5/P9: plans with {what}: {race_plans[what]}")
    print(f"  S1: plans with a week outside taper/recovery and no lower-body lifting: {no_legs}")
    print(f"  sessions dropped (all plans): {sum(drops.values())}")
    print(f"  key runs run easy instead (all plans): {easy}")
    if verbose:
        for what, n in drops.most_common():
            print(f"    {what}: {n}")


def wide_open(run_days: frozenset[int], long_day: int) -> Athlete:
    window = (TimeWindow(time(5, 0), time(22, 0)),)
    return Athlete(
        id="open",
        timezone="Europe/Berlin",
        run_days=run_days,
        long_run_day=long_day,
        windows=(window,) * 7,
        weekly_km=50,
    )


def run_day_patterns(verbose: bool) -> None:
    marathon = Race("m", "marathon", TODAY + timedelta(weeks=17, days=6), 42.195, Priority.A)
    losing = 0
    forced = 0
    lost: Counter[str] = Counter()
    total = easy = 0
    for size in range(3, 8):
        for days in combinations(range(7), size):
            for long_day in days:
                total += 1
                athlete = wide_open(frozenset(days), long_day)
                plan = build_plan(PlanRequest(athlete, (marathon,), TODAY, 20))
                drops = [w for w in plan.warnings if w.message.startswith("dropped")]
                avoidable = [w for w in drops if w.rule != "L6"]
                forced += len(drops) - len(avoidable)
                easy += sum(1 for w in plan.warnings if w.message.startswith("ran easy"))
                if avoidable:
                    losing += 1
                    for w in avoidable:
                        slot = w.message.split("(")[1].split(")")[0].rsplit("/", 1)[-1]
                        lost[slot] += 1
                    if verbose:
                        print(f"    {days} long {long_day}: {avoidable[0].line()}")
    print(f"run-day patterns x long-run day, empty calendar, 05:00-22:00: {total}")
    print(f"  patterns that lose a session: {losing}")
    print(f"  sessions lost: {sum(lost.values())} ({dict(lost.most_common())})")
    print(f"  runs given up to L6's rest day (seven run days): {forced}")
    print(f"  key runs run easy, no day keeping L4 (not lost, counted apart): {easy}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    random_plans(args.plans, args.seed, args.verbose)
    run_day_patterns(args.verbose)


if __name__ == "__main__":
    main()
