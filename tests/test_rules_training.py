"""S and R rules: strength prescriptions and running, one test (or more) per rule id."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.model import ExternalRun, Phase, WeekPlan
from scheduler.periodize import periodize
from scheduler.plan import build_plan
from scheduler.sessions import KEY_RUN_TYPES
from scheduler.strength import strength_rx
from scheduler.volume import weekly_volume
from tests.support import SUN, athlete, by_day, race, request

TODAY = date(2026, 12, 7)
MARATHON = TODAY + timedelta(weeks=20, days=6)  # race week = block week 16 from week 5


def marathon_plan(weeks: int = 24, **kw: object):  # type: ignore[no-untyped-def]
    return build_plan(request(athlete(**kw), (race("m", MARATHON),), TODAY, weeks))


def phase_week(phase: Phase, deload: bool = False) -> WeekPlan:
    weeks = periodize((race("m", MARATHON),), TODAY, 24)[0]
    return next(w for w in weeks if w.phase is phase and w.deload == deload)


def test_S1_strength_sessions_per_week_by_phase() -> None:
    plan = marathon_plan()
    counts: dict[Phase, set[int]] = {}
    for week in plan.weeks:
        n = sum(1 for s in plan.sessions if s.week == week.start and s.kind == "strength")
        counts.setdefault(week.phase, set()).add(n)
    assert counts[Phase.OFFSEASON] == {3}
    assert counts[Phase.BASE] == {3}
    assert counts[Phase.STRENGTH] == {2}
    assert counts[Phase.RACE_SPECIFIC] == {2}
    assert counts[Phase.TAPER] == {1}
    assert counts[Phase.RECOVERY] == {1}


def test_S1_athlete_max_clamps_but_two_is_the_floor() -> None:
    for cap in (1, 2):
        plan = build_plan(request(athlete(max_strength_per_week=cap), (), TODAY, 1))
        assert sum(1 for s in plan.sessions if s.kind == "strength") == 2


@pytest.mark.parametrize(
    ("phase", "sets", "reps", "rpe"),
    [
        (Phase.BASE, "3-4", "10-12", "6-7"),
        (Phase.STRENGTH, "3-5", "4-6", "8-9"),
        (Phase.RACE_SPECIFIC, "2-3", "6-8", "7"),
        (Phase.TAPER, "1-2", "3-5", "5-6"),
    ],
)
def test_S2_sets_reps_and_effort_by_phase(phase: Phase, sets: str, reps: str, rpe: str) -> None:
    rx = strength_rx(phase_week(phase), "A", athlete())
    main = rx.exercises[0]
    assert (main.sets, main.reps, rx.dose.rpe) == (sets, reps, rpe)
    assert f"{sets} x {reps}" in rx.body()


def test_S3_three_sessions_alternate_ABA_then_BAB() -> None:
    plan = build_plan(request(athlete(), (), TODAY, 2))
    orders = []
    for week in plan.weeks:
        lifts = sorted(
            (s for s in plan.sessions if s.week == week.start and s.kind == "strength"),
            key=lambda s: s.slot,
        )
        orders.append("".join(s.type[-1].upper() for s in lifts))
    assert sorted(orders) == ["ABA", "BAB"]


def test_S4_templates_and_offseason_additions() -> None:
    base = phase_week(Phase.BASE)
    a = [e.name for e in strength_rx(base, "A", athlete()).exercises]
    b = [e.name for e in strength_rx(base, "B", athlete()).exercises]
    assert a[:5] == [
        "Trap-bar deadlift",
        "Split squat",
        "Straight-knee calf raise",
        "Nordic hamstring curl",
        "Pallof press",
    ]
    assert b[:5] == [
        "Front or goblet squat",
        "Step-up with knee drive",
        "Romanian deadlift",
        "Bent-knee (soleus) calf raise",
        "Lateral hip: side-lying abduction",
    ]
    off = [e.name for e in strength_rx(phase_week(Phase.OFFSEASON), "A", athlete()).exercises]
    assert {"Chest press", "Row", "Plank", "Side plank", "Dead bug"} <= set(off)


def test_S5_load_progression_and_week_three_extra_set() -> None:
    weeks = [w for w in periodize((race("m", MARATHON),), TODAY, 24)[0] if w.phase is Phase.BASE]
    notes = {w.block_week: strength_rx(w, "A", athlete()).notes for w in weeks}
    assert any("add 2.5-5%" in n for n in notes[1])
    assert any("add one set" in n for n in notes[3])
    assert any("Deload" in n for n in notes[4])


def test_S6_plyometrics_only_where_allowed() -> None:
    def plyos(week: WeekPlan, experienced: bool = False) -> bool:
        rx = strength_rx(week, "B", athlete(experienced=experienced))
        return any(e.name == "Pogo hops" for e in rx.exercises)

    specific = [
        w for w in periodize((race("m", MARATHON),), TODAY, 24)[0] if w.phase is Phase.RACE_SPECIFIC
    ]
    assert plyos(specific[0])
    assert not plyos(specific[-1])  # peak mileage: no plyos with heavy lifting
    assert not plyos(phase_week(Phase.BASE))
    assert plyos(phase_week(Phase.BASE), experienced=True)
    assert not plyos(phase_week(Phase.OFFSEASON))


def test_S7_heavy_lower_body_definition() -> None:
    assert strength_rx(phase_week(Phase.STRENGTH), "A", athlete()).heavy_lower
    assert strength_rx(phase_week(Phase.BASE), "B", athlete()).heavy_lower  # RPE 7 top
    assert not strength_rx(phase_week(Phase.TAPER), "A", athlete()).heavy_lower
    recovery = next(
        w for w in periodize((race("m", MARATHON),), TODAY, 24)[0] if w.phase is Phase.RECOVERY
    )
    assert not strength_rx(recovery, "A", athlete()).heavy_lower


def test_R1_runs_only_on_run_days() -> None:
    run_days = (0, 2, 4, 6)
    plan = marathon_plan(run_days=run_days)
    tz = ZoneInfo("Europe/Berlin")
    assert {s.start.astimezone(tz).weekday() for s in plan.sessions if s.kind == "run"} <= set(
        run_days
    )


def test_R2_key_runs_are_long_tempo_intervals_hills_race_pace() -> None:
    plan = marathon_plan()
    for s in plan.sessions:
        if s.kind == "run":
            assert s.key_run == (s.type in KEY_RUN_TYPES), s.key
    assert any(s.type == "strides" and not s.key_run for s in plan.sessions)


def test_R3_quality_sessions_per_phase() -> None:
    plan = marathon_plan()
    by_phase: dict[Phase, set[int]] = {}
    for week in plan.weeks:
        if week.races:
            continue
        q = sum(1 for s in plan.sessions if s.week == week.start and s.slot.startswith("q"))
        phase = (
            Phase.RACE_SPECIFIC if week.phase is Phase.TAPER and not week.run_taper else week.phase
        )
        by_phase.setdefault(phase, set()).add(q)
    assert by_phase[Phase.BASE] == {1}
    assert by_phase[Phase.STRENGTH] == {1}
    assert by_phase[Phase.RACE_SPECIFIC] == {2}
    assert by_phase[Phase.TAPER] == {1}
    assert by_phase[Phase.RECOVERY] == {0}


def test_R4_long_run_on_long_day_grows_slowly_and_is_capped() -> None:
    plan = build_plan(request(athlete(weekly_km=90), (race("m", MARATHON),), TODAY, 22))
    tz = ZoneInfo("Europe/Berlin")
    longs = [
        (plan_week, s)
        for plan_week in plan.weeks
        for s in plan.sessions
        if s.week == plan_week.start and s.type == "long"
    ]
    assert all(s.start.astimezone(tz).weekday() == SUN for _, s in longs)
    full = [s.distance_km for w, s in longs if not w.deload and not w.run_taper and s.distance_km]
    assert all(b <= a * 1.15 + 0.5 for a, b in itertools.pairwise(full))
    assert max(full) <= 34.0
    assert "R4" in longs[0][1].rules


def test_R5_weekly_volume_growth_deload_and_taper() -> None:
    weeks = [w for w in periodize((race("m", MARATHON),), TODAY, 22)[0] if w.anchor == "m"]
    a = athlete(weekly_km=50)
    cls = race("m", MARATHON).distance_class
    build = [
        weekly_volume(w, a, cls)
        for w in weeks
        if not w.deload and not w.run_taper and w.phase is not Phase.RECOVERY
    ]
    assert all(b <= a_ * 1.10 + 1e-9 for a_, b in itertools.pairwise(build))
    race_week = next(w for w in weeks if w.rel == 0)
    before_taper = next(w for w in weeks if w.rel == -3)
    drop = 1 - weekly_volume(race_week, a, cls) / weekly_volume(before_taper, a, cls)
    assert 0.4 <= drop <= 0.6


def test_R6_runs_from_calendar_places_only_strength_around_them() -> None:
    tz = ZoneInfo("Europe/Berlin")
    tue = TODAY + timedelta(days=1)
    runs = (
        ExternalRun(
            datetime.combine(tue, time(6), tzinfo=tz),
            datetime.combine(tue, time(7), tzinfo=tz),
            True,
            "Intervals",
        ),
    )
    a = replace(athlete(), runs_from_calendar=True)
    plan = build_plan(request(a, (), TODAY, 1, external_runs=runs))
    assert plan.sessions
    assert all(s.kind == "strength" for s in plan.sessions)
    days = by_day(plan)
    monday = [s for s in days.get(TODAY, []) if s.heavy_lower]
    assert not monday  # the day before the calendar's key run (L1/L4)
    for s in days.get(tue, []):
        assert s.start >= runs[0].end + timedelta(hours=6)
