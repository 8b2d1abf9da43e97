"""Property tests: the running block's rules over random athletes and races (R4, R5, R9, R10,
P2, P5, P9-P11), read from the week specs and placed plans, never from the planner's numbers."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from scheduler.model import Athlete, DistanceClass, Phase, PlanRequest, Priority, Race, TimeWindow
from scheduler.periodize import monday, periodize
from scheduler.plan import build_plan
from tests.running_support import is_full, last_full_before, run_days, spec_km, week_runs

TODAY = date(2026, 12, 7)  # a Monday
PROPS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Windows wide enough for any run, so placement never has to drop one.
DAY = (TimeWindow(time(5, 0), time(22, 0)),)
KM = (5.0, 10.0, 21.1, 42.195, 50.0, 100.0)
# R9: the peak long run's band (km low, km high) and time cap (minutes) by distance.
BAND = {
    DistanceClass.SHORT: (14.0, 18.0, 90),
    DistanceClass.HALF: (18.0, 22.0, 150),
    DistanceClass.MARATHON: (30.0, 35.0, 180),
    DistanceClass.ULTRA: (35.0, 50.0, 300),
}
# "When the athlete's volume allows": the declared km a week from which the band is owed.
BAND_FROM_KM = {
    DistanceClass.SHORT: 35.0,
    DistanceClass.HALF: 30.0,
    DistanceClass.MARATHON: 45.0,
    DistanceClass.ULTRA: 45.0,
}
# P2 in days, and how deep the race week must be (share of the peak week, P10/R5).
TAPER = {
    DistanceClass.SHORT: (7, 10, 0.70),
    DistanceClass.HALF: (10, 14, 0.60),
    DistanceClass.MARATHON: (14, 21, 0.45),
    DistanceClass.ULTRA: (14, 21, 0.45),
}


@st.composite
def athletes(draw: st.DrawFn) -> Athlete:
    run_days = draw(st.sets(st.integers(0, 6), min_size=3, max_size=7))
    return Athlete(
        id="prop",
        timezone="Europe/Berlin",
        run_days=frozenset(run_days),
        long_run_day=draw(st.sampled_from(sorted(run_days))),
        windows=(DAY,) * 7,
        weekly_km=draw(st.floats(20, 100)),
        easy_pace_s_per_km=draw(st.integers(270, 450)),
        experienced=draw(st.booleans()),
        offseason_maintenance=draw(st.booleans()),
    )


@st.composite
def race_sets(draw: st.DrawFn) -> tuple[Race, ...]:
    races = []
    for i in range(draw(st.integers(0, 5))):
        day = TODAY + timedelta(days=draw(st.integers(0, 50 * 7)))
        km = draw(st.sampled_from(KM))
        races.append(Race(f"r{i}", f"race {i}", day, km, draw(st.sampled_from(tuple(Priority)))))
    return tuple(races)


@st.composite
def full_blocks(draw: st.DrawFn) -> tuple[Athlete, Race]:
    """An athlete and one A race far enough out for its whole block."""
    a = draw(athletes())
    day = TODAY + timedelta(weeks=26, days=draw(st.integers(0, 6)))
    return a, Race("a", "A race", day, draw(st.sampled_from(KM)), Priority.A, "", True)


@PROPS
@given(athletes(), race_sets())
def test_volume_grows_at_most_10_percent_over_the_last_full_week(
    a: Athlete, races: tuple[Race, ...]
) -> None:
    # Athletes whose declared week fits their run days (11 km a run day on average): a busier
    # week than a 5K block's 90-minute long run and runs of 80% of it hold runs short of its
    # volume in that block, and the offseason after it returns to the declared volume.
    assume(a.weekly_km <= 11.0 * len(a.run_days))
    weeks = list(periodize(races, TODAY, 40)[0])
    km = {w.start: spec_km(week_runs(w, a, races)) for w in weeks}
    for i, week in enumerate(weeks):
        last = last_full_before(weeks, i, races)
        if last is not None:
            assert km[week.start] <= 1.10 * km[last.start] + 1.0, (week.start, last.start)


@PROPS
@given(full_blocks())
def test_the_peak_long_run_is_in_the_distance_band_when_the_block_is_full(
    case: tuple[Athlete, Race],
) -> None:
    a, race = case
    weeks = [w for w in periodize((race,), TODAY, 30)[0] if w.anchor == "a"]
    longs = [s for w in weeks for s in week_runs(w, a, (race,)) if s.type == "long"]
    peak = max(longs, key=lambda s: s.distance_km or 0.0)
    low, high, minutes = BAND[race.distance_class]
    km = peak.distance_km or 0.0
    assert km <= high + 0.5
    assert peak.minutes <= minutes + 5  # the cap by time, booked to whole 5 minutes
    allows = a.weekly_km >= BAND_FROM_KM[race.distance_class] and len(a.run_days) >= 4
    if allows:
        # In the band, unless its time cap came first.
        # Time on feet rounds to 5 minutes: up to a third of a km under at a slow long pace.
        assert km >= low - 0.5 or peak.minutes >= minutes - 10, (km, peak.minutes)


@PROPS
@given(full_blocks())
def test_the_taper_falls_every_week_as_long_and_as_deep_as_P2_says(
    case: tuple[Athlete, Race],
) -> None:
    a, race = case
    # Athletes whose run days hold their peak with room to spare (8 km a run day): a week the
    # run days cannot hold shows no taper until the taper goes below what they can hold.
    assume(a.weekly_km <= 8.0 * len(a.run_days))
    weeks = [w for w in periodize((race,), TODAY, 30)[0] if w.anchor == "a"]
    km = {w.start: spec_km(week_runs(w, a, (race,))) for w in weeks}
    block = [w for w in weeks if w.phase is not Phase.RECOVERY]
    fulls = [w for w in block if is_full(w)]
    peak = km[fulls[-1].start]
    reduced = [w.start for w in block if w.start > fulls[-1].start and km[w.start] < peak * 0.98]
    low, high, depth = TAPER[race.distance_class]
    race_week = monday(race.date)
    # Monotone from the last full week through race week.
    series = [peak] + [km[w] for w in sorted(reduced)]
    assert all(b < a_ for a_, b in itertools.pairwise(series)), series
    assert reduced[-1] == race_week
    # It starts between `high` and `low` days out: its first week holds one of those days.
    first = reduced[0]
    assert first <= monday(race.date - timedelta(days=low)), first
    assert first + timedelta(days=6) >= race.date - timedelta(days=high), first
    assert km[race_week] <= depth * peak + 1.0


@PROPS
@given(athletes(), race_sets())
def test_the_long_run_is_the_longest_run_of_its_week(a: Athlete, races: tuple[Race, ...]) -> None:
    for week in periodize(races, TODAY, 40)[0]:
        runs = week_runs(week, a, races)
        longs = [s.distance_km or 0.0 for s in runs if s.type == "long"]
        if longs:
            assert max(longs) >= max(s.distance_km or 0.0 for s in runs), week.start


# Found by a longer run: a B half the day after a recovery week's Sunday run (its long run's
# slot, easy, took the shakeout's day).
RECOVERY_BEFORE_B = (
    Athlete("x", "Europe/Berlin", frozenset(range(7)), 6, (DAY,) * 7, weekly_km=24.6),
    (
        Race("r0", "5K", date(2027, 3, 21), 5.0, Priority.A),
        Race("r4", "half", date(2027, 3, 29), 21.1, Priority.B),
    ),
)


@PROPS
@given(athletes(), race_sets())
@example(*RECOVERY_BEFORE_B)
def test_race_weeks_run_easy_around_races(a: Athlete, races: tuple[Race, ...]) -> None:
    plan = build_plan(PlanRequest(a, races, TODAY, 40))
    days = run_days(plan)
    race_days = {r.date for r in races}

    def on(day: date) -> list:  # type: ignore[type-arg]
        return days.get(day, [])

    for r in races:
        cls = r.distance_class
        if r.priority is not Priority.C:
            # P10: only a short easy run the day before an A or B race.
            for s in on(r.date - timedelta(days=1)):
                assert not s.key_run, (r.uid, s.key)
                assert not s.slot.startswith("q"), (r.uid, s.key)
                assert (s.distance_km or 0) <= 5.0, (r.uid, s.key)
        if r.priority is Priority.B:
            mini = 3 if cls is DistanceClass.SHORT else 4
            after = {DistanceClass.SHORT: 3, DistanceClass.HALF: 4}.get(cls, 5)
            # P5: no key run in the mini-taper, easy days after.
            for n in [*range(-mini, 0), *range(1, after + 1)]:
                if r.date + timedelta(days=n) not in race_days:
                    assert not any(s.key_run for s in on(r.date + timedelta(days=n))), (r.uid, n)
        if cls in (DistanceClass.MARATHON, DistanceClass.ULTRA):
            # P9: no running for 2-3 days after a marathon or longer (racecal takes 3).
            for n in (1, 2, 3):
                assert not on(r.date + timedelta(days=n)), (r.uid, n)


@PROPS
@given(athletes())
def test_the_offseason_holds_the_base(a: Athlete) -> None:
    weeks = periodize((), TODAY, 6)[0]
    for week in weeks:
        km = spec_km(week_runs(week, a, ()))
        assert km <= a.weekly_km + 0.5
        # P11: never below the declared volume minus 20%, where the run days can hold it.
        if a.weekly_km <= 11.0 * len(a.run_days):
            assert km >= 0.8 * a.weekly_km - 0.5, (km, a.weekly_km)
