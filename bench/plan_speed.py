"""Planner speed: a 52-week plan for many random athletes, 5 races each, 20 busy events a week.

Prints the median and p95 milliseconds per athlete and the peak RSS. Target on the 2-core dev
machine: median < 5 ms, p95 < 15 ms. Usage: python bench/plan_speed.py [--athletes N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import scheduler.plan as plan_module
from scheduler.explain import plan_to_json
from scheduler.model import Athlete, Interval, PlanRequest, Priority, Race, TimeWindow
from scheduler.plan import build_plan

TODAY = date(2026, 12, 7)
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
DISTANCES = (5.0, 10.0, 21.1, 42.195, 50.0)


def random_athlete(rng: random.Random, n: int) -> Athlete:
    run_days = frozenset(rng.sample(range(7), rng.randint(3, 6)))
    morning = TimeWindow(clock(rng.choice((5, 6, 7)), 0), clock(rng.choice((8, 9)), 0))
    evening = TimeWindow(clock(rng.choice((16, 17, 18)), 0), clock(21, 0))
    weekend = TimeWindow(clock(7, 0), clock(rng.choice((11, 12, 13)), 0))
    windows = tuple((morning, evening) if d < 5 else (weekend, evening) for d in range(7))
    return Athlete(
        id=f"athlete-{n}",
        timezone=rng.choice(ZONES),
        run_days=run_days,
        long_run_day=rng.choice(sorted(run_days)),
        windows=windows,
        weekly_km=rng.uniform(25, 70),
    )


def random_races(rng: random.Random) -> tuple[Race, ...]:
    races = []
    for i in range(5):
        day = TODAY + timedelta(days=rng.randint(0, 364))
        priority = rng.choice((Priority.A, Priority.B, Priority.C))
        races.append(Race(f"r{i}", f"race {i}", day, rng.choice(DISTANCES), priority, "", True))
    return tuple(races)


def random_busy(rng: random.Random, weeks: int) -> tuple[Interval, ...]:
    start = datetime.combine(TODAY, clock(0, 0), tzinfo=UTC)
    busy = []
    for week in range(weeks):
        for _ in range(20):
            day = rng.randint(0, 6)
            at = start + timedelta(weeks=week, days=day, minutes=rng.randrange(0, 1440, 15))
            busy.append(Interval(at, at + timedelta(minutes=rng.choice((30, 60, 90, 120)))))
    return tuple(busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dump", metavar="FILE", help="also write every plan as a JSON line (for comparisons)"
    )
    args = parser.parse_args()
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None  # noqa: SIM115
    rng = random.Random(args.seed)
    timings = []
    sessions = 0
    for n in range(args.athletes):
        # Built one at a time so the peak RSS is the planner's, not 1,000 calendars in memory.
        request = PlanRequest(
            random_athlete(rng, n),
            random_races(rng),
            TODAY,
            weeks=args.weeks,
            busy=random_busy(rng, args.weeks + 1),
        )
        started = time.perf_counter()
        plan = build_plan(request)
        timings.append((time.perf_counter() - started) * 1000)
        sessions += len(plan.sessions)
        if dump:
            dump.write(json.dumps(plan_to_json(plan), sort_keys=True) + "\n")
    if dump:
        dump.close()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    build = "compiled (mypyc)" if plan_module.__file__.endswith(".so") else "pure Python"
    print(f"plan_speed: {args.athletes} athletes x {args.weeks} weeks, 5 races, 20 busy/week")
    print(f"  planner:              {build}")
    print(f"  sessions placed:      {sessions} ({sessions / args.athletes:.0f} per athlete)")
    print(f"  median ms/athlete:    {statistics.median(timings):.2f}  (target < 5)")
    print(f"  p95 ms/athlete:       {p95:.2f}  (target < 15)")
    print(f"  peak RSS MiB:         {peak_mib:.0f}")


if __name__ == "__main__":
    main()
