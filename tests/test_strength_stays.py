"""Strength that stays and sessions that find a day: the defects seen in the random-plan audit
(bench/placement_audit.py), each named after what was seen, and the invariants behind them."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.model import (
    Athlete,
    Exercise,
    Interval,
    Phase,
    PlacedSession,
    Plan,
    PlanRequest,
    Priority,
    Race,
    SameDayOrder,
    TimeWindow,
)
from scheduler.periodize import periodize
from scheduler.plan import build_plan
from scheduler.strength import strength_rx
from service.config.load import load_config
from service.planning import plan_for
from tests.support import ROOT, athlete, busy_at, by_day, race, request, violations
from tests.test_invariants import athletes, busy_calendars, race_sets

TZ = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 12, 7)  # a Monday
MARATHON = TODAY + timedelta(weeks=17, days=6)
WIDE = (TimeWindow(time(5, 0), time(22, 0)),)
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLOOR_EXEMPT = (Phase.TAPER, Phase.RECOVERY)


def strength_per_week(plan: Plan) -> Counter[date]:
    return Counter(s.week for s in plan.sessions if s.kind == "strength")


def dropped(plan: Plan) -> list[str]:
    return [w.line() for w in plan.warnings if w.message.startswith("dropped")]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_day(s: PlacedSession) -> date:
    return s.start.astimezone(TZ).date()


# -- seen defects ---------------------------------------------------------------------------


def test_strength_falls_off_below_two_a_week() -> None:
    # A lift-first athlete who trains in the mornings: every weekday's easy run took the start
    # of the window, nothing fitted before it, and both sessions of most weeks were dropped.
    mornings = (TimeWindow(time(6, 0), time(8, 0)),)
    a = athlete(
        run_days=(0, 1, 2, 3, 4, 5, 6),
        windows=(mornings,) * 7,
        same_day_order=SameDayOrder.LIFT_FIRST,
    )
    req = request(a, (race("m", MARATHON),), TODAY, 12)
    plan = build_plan(req)
    counts = strength_per_week(plan)
    floor_weeks = [w for w in plan.weeks if w.phase not in FLOOR_EXEMPT]
    assert floor_weeks
    assert all(counts[w.start] >= 2 for w in floor_weeks), counts
    assert not [w for w in dropped(plan) if "strength" in w]
    # The lift comes first and the easy run follows it (L3, lift_first).
    for sessions in by_day(plan).values():
        lifts = [s for s in sessions if s.kind == "strength"]
        runs = [s for s in sessions if s.kind == "run"]
        for lift in lifts:
            assert all(lift.end <= run.start for run in runs)
    assert violations(plan, req) == []


def test_heavy_lower_body_lifting_on_the_long_run_day() -> None:
    entry = load_config(ROOT / "config.example.toml").athletes[0]
    plan = plan_for(entry, date(2027, 3, 1), weeks=8).plan
    long_days = {local_day(s) for s in plan.sessions if s.type == "long"}
    assert long_days
    assert not [
        s
        for s in plan.sessions
        if s.kind == "strength" and s.heavy_lower and local_day(s) in long_days
    ]


def test_L11_is_soft_and_the_athlete_may_turn_it_off() -> None:
    # Wednesday, Friday and Sunday are the only days with time: three offseason sessions need
    # all three, and Sunday holds the long run.
    windows = tuple(WIDE if day in (2, 4, 6) else () for day in range(7))
    a = athlete(run_days=(2, 4, 6), long_run_day=6, windows=windows)
    req = request(a, (), TODAY, 2)
    plan = build_plan(req)
    sundays = [s for s in plan.sessions if s.kind == "strength" and local_day(s).weekday() == 6]
    assert len(sundays) == 2
    assert all(not s.heavy_lower and "upper body" in s.title and "L11" in s.rules for s in sundays)
    # The rule moves the legs' work to another variant, it never costs a session.
    assert all(n == 3 for n in strength_per_week(plan).values())
    off = build_plan(replace(req, athlete=replace(a, no_heavy_legs_on_long_run_day=False)))
    sundays = [s for s in off.sessions if s.kind == "strength" and local_day(s).weekday() == 6]
    assert sundays
    assert all(s.heavy_lower for s in sundays)
    assert violations(plan, req) == []


def test_loads_are_written_in_lb() -> None:
    week = periodize((race("m", MARATHON),), TODAY, 20)[0][6]
    assert week.phase is Phase.STRENGTH
    metric = strength_rx(week, "A", athlete()).full.text
    assert " kg" in metric
    assert " lb" not in metric
    imperial = strength_rx(week, "A", athlete(units="imperial")).full.text
    assert " lb" in imperial
    assert " kg" not in imperial


def test_dropped_sessions_are_never_moved() -> None:
    # Monday long run, Monday-Friday running: one at a time, the first quality run took
    # Thursday and left the second no day; Wednesday and Friday hold both.
    a = athlete(run_days=(0, 1, 2, 3, 4), long_run_day=0, windows=(WIDE,) * 7)
    req = request(a, (race("m", MARATHON),), TODAY, 18)
    plan = build_plan(req)
    assert dropped(plan) == []
    specific = [w for w in plan.weeks if w.phase is Phase.RACE_SPECIFIC and not w.races]
    for week in specific:
        quality = [s for s in plan.sessions if s.week == week.start and s.slot in ("q1", "q2")]
        assert len(quality) == 2
        assert all(s.key_run for s in quality)
        assert {local_day(s).weekday() for s in quality} == {2, 4}
    assert violations(plan, req) == []


def test_S1_a_sunday_lift_takes_the_monday_the_next_week_needs() -> None:
    # Monday long run, Monday-Wednesday running, a C marathon on Tuesday 29 December: its week
    # keeps strength off the race day and P9's three days after it, which leaves Monday,
    # Saturday and Sunday, and only Monday with Saturday or Sunday keeps L2. A lift on the
    # Sunday before took that Monday (L2 across the week's edge) and the week fell to one
    # session ("two is the golden rule", S1).
    a = athlete(run_days=(0, 1, 2), long_run_day=0, windows=(WIDE,) * 7)
    c_day = date(2026, 12, 29)
    req = request(a, (race("c", c_day, 42.195, Priority.C),), TODAY, 6)
    plan = build_plan(req)
    lifts = Counter(s.week for s in plan.sessions if s.kind == "strength")
    weeks = [w.start for w in plan.weeks if w.start >= TODAY]
    assert all(lifts[w] >= 2 for w in weeks), lifts
    assert violations(plan, req) == []


def test_a_quality_run_no_day_can_hold_runs_easy_instead_of_vanishing() -> None:
    # Wednesday long run, Wednesday to Friday running, and a Wednesday with only an hour free:
    # the long run moves to Thursday, which leaves the intervals no day away from it (L4). The
    # session keeps its kilometres as an easy run in Wednesday's free hour.
    a = athlete(run_days=(2, 3, 4), long_run_day=2, windows=(WIDE,) * 7)
    week = TODAY + timedelta(weeks=9)  # a strength-phase week of the marathon block
    busy = (busy_at(week + timedelta(days=2), time(6, 0), time(23, 59)),)
    req = request(a, (race("m", MARATHON),), TODAY, 18, busy=busy)
    plan = build_plan(req)
    easy = [w for w in plan.warnings if w.message.startswith("ran easy")]
    assert [w.week for w in easy] == [week]
    runs = [s for s in plan.sessions if s.week == week and s.kind == "run"]
    moved = [s for s in runs if s.key in easy[0].message]
    assert len(moved) == 1
    assert (moved[0].type, moved[0].key_run) == ("easy", False)
    assert local_day(moved[0]).weekday() == 2
    assert moved[0].steps
    assert "L10" in moved[0].rules
    assert violations(plan, req) == []


def test_a_week_whose_quality_days_touch_across_its_edge_plans_one() -> None:
    # Wednesday long run, Monday, Tuesday and Sunday running: of the week's days only Monday and
    # Sunday keep L4 around the long run, and a Sunday session touches next Monday's, so the
    # week plans the one quality session it can run (its kilometres go to the easy runs)
    # instead of two with one run easy every week.
    a = athlete(run_days=(0, 1, 2, 6), long_run_day=2, windows=(WIDE,) * 7)
    req = request(a, (race("m", MARATHON),), TODAY, 18)
    plan = build_plan(req)
    assert not [w for w in plan.warnings if w.message.startswith("ran easy")]
    assert dropped(plan) == []
    specific = [w for w in plan.weeks if w.phase is Phase.RACE_SPECIFIC and not w.races]
    for week in specific:
        runs = [s for s in plan.sessions if s.week == week.start and s.kind == "run"]
        assert len(runs) == 4
        assert len([s for s in runs if s.key_run and s.type != "long"]) == 1
    assert violations(plan, req) == []


def test_every_exercise_gets_the_phase_sets_x_reps() -> None:
    week = periodize((race("m", MARATHON),), TODAY, 20)[0][6]
    assert week.phase is Phase.STRENGTH
    rx = strength_rx(week, "A", athlete())
    by_name = {e.name: e for e in rx.exercises}
    main = by_name["Trap-bar deadlift"]
    assert (main.sets, main.reps) == ("3-5", "4-6")
    assert "RPE 8-9" in main.effort
    pallof = by_name["Pallof press"]
    assert (pallof.sets, pallof.reps, pallof.per_side) == ("2-3", "8-12", True)
    assert "RPE" not in pallof.effort
    calf = by_name["Straight-knee calf raise"]
    assert calf.reps == "8-12"
    assert main.rest != calf.rest
    assert "Pallof press: 2-3 x 8-12/side" in rx.full.text
    assert "Pallof press: 3-5 x 4-6" not in rx.full.text


def test_a_strength_slot_is_a_fixed_number_not_its_content() -> None:
    plan = build_plan(request(athlete(), (race("m", MARATHON),), TODAY, 20))
    lifts = [s for s in plan.sessions if s.kind == "strength"]
    minutes = set()
    for s in lifts:
        assert s.exercises[0].role == "warm-up"
        booked = (s.end - s.start) // timedelta(minutes=1)
        assert booked == math.ceil(sum(e.seconds for e in s.exercises) / 300) * 5, s.key
        minutes.add((s.phase, booked))
    offseason = min(m for p, m in minutes if p is Phase.OFFSEASON)
    taper = max(m for p, m in minutes if p is Phase.TAPER)
    assert offseason > taper + 20


def test_strength_right_after_a_marathon() -> None:
    sunday = TODAY + timedelta(weeks=8, days=6)
    for priority, km, rest in (
        (Priority.A, 42.195, 3),
        (Priority.B, 42.195, 3),
        (Priority.B, 100, 5),
    ):
        req = request(athlete(), (race("m", sunday, km, priority),), TODAY, 11)
        plan = build_plan(req)
        after = [
            (local_day(s) - sunday).days
            for s in plan.sessions
            if s.kind == "strength" and local_day(s) > sunday
        ]
        assert min(after) == rest + 1, (priority, km, sorted(after)[:3])
    # P9: then one light session a week for an A race's two recovery weeks.
    req = request(athlete(), (race("m", sunday),), TODAY, 11)
    plan = build_plan(req)
    recovery = [s for s in plan.sessions if s.kind == "strength" and s.phase is Phase.RECOVERY]
    assert len(recovery) == 2
    assert all(not s.heavy_lower and "light" in s.title for s in recovery)


def test_a_beginner_gets_two_heavy_lifts_a_week() -> None:
    novice = athlete(run_days=(1, 3, 5, 6), weekly_km=20)
    plan = build_plan(request(novice, (race("h", MARATHON, 21.1),), TODAY, 18))
    heavy = Counter(s.week for s in plan.sessions if s.kind == "strength" and s.heavy_lower)
    counts = strength_per_week(plan)
    assert max(heavy.values()) == 1
    assert all(counts[w.start] >= 2 for w in plan.weeks if w.phase not in FLOOR_EXEMPT)
    light = [s for s in plan.sessions if "light technique" in s.title]
    assert light
    assert all("RPE 5-6" in s.description or "RPE 6" in s.description for s in light)
    # The same runner with experience lifts heavy twice in the strength phase.
    seasoned = build_plan(
        request(replace(novice, experienced=True), (race("h", MARATHON, 21.1),), TODAY, 18)
    )
    strength_phase = [w.start for w in seasoned.weeks if w.phase is Phase.STRENGTH]
    assert any(
        sum(1 for s in seasoned.sessions if s.week == w and s.heavy_lower) == 2
        for w in strength_phase
    )


# -- rules this issue adds ------------------------------------------------------------------


def test_P5_no_heavy_legs_in_the_4_days_before_a_B_race_or_2_before_a_C_race() -> None:
    b_day = TODAY + timedelta(weeks=6, days=5)
    c_day = TODAY + timedelta(weeks=9, days=5)
    races = (
        race("m", MARATHON),
        race("b", b_day, 21.1, Priority.B),
        race("c", c_day, 5, Priority.C),
    )
    req = request(athlete(), races, TODAY, 16)
    plan = build_plan(req)
    for day, clear in ((b_day, 4), (c_day, 2)):
        near = [
            s
            for s in plan.sessions
            if s.kind == "strength" and 0 < (day - local_day(s)).days <= clear
        ]
        assert not [s for s in near if s.heavy_lower]
    assert violations(plan, req) == []


def test_S8_loads_from_a_tested_one_rep_max() -> None:
    week = periodize((race("m", MARATHON),), TODAY, 20)[0][6]
    tested = athlete(one_rep_max=(("trap_bar_deadlift", 140.0),))
    deadlift = strength_rx(week, "A", tested).exercises[0]
    # 4-6 reps with 1-2 in reserve: Epley's 5-8 reps to failure, 79-86% of 1RM.
    assert deadlift.effort.startswith("110-120 kg (79-86% 1RM)")
    lb = strength_rx(week, "A", replace(tested, units="imperial")).exercises[0]
    assert lb.effort.startswith("245-265 lb (79-86% 1RM)")
    # Lifts without a tested 1RM keep RPE and reps in reserve.
    split = strength_rx(week, "A", tested).exercises[1]
    assert split.effort == "RPE 8 (2 reps in reserve)"


def test_S2_every_session_starts_with_a_warm_up() -> None:
    for phase in (Phase.OFFSEASON, Phase.BASE, Phase.TAPER, Phase.RECOVERY):
        week = next(w for w in periodize((race("m", MARATHON),), TODAY, 22)[0] if w.phase is phase)
        rx = strength_rx(week, "B", athlete())
        for variant in (rx.full, rx.short, rx.light, rx.upper):
            warm = variant.exercises[0]
            assert warm.role == "warm-up"
            assert 6 <= warm.seconds // 60 <= 12
            assert variant.text.splitlines()[1].startswith("- Warm-up")


def test_L10_a_busy_week_keeps_the_short_session_before_dropping_one() -> None:
    # 45 minutes a day: the full sessions fit nowhere.
    tight = (TimeWindow(time(6, 0), time(6, 45)),)
    a = athlete(run_days=(1, 3, 6), windows=(tight,) * 7, weekly_km=35)
    req = request(a, (race("m", MARATHON),), TODAY, 10)
    plan = build_plan(req)
    counts = strength_per_week(plan)
    short = [s for s in plan.sessions if s.title.endswith("(short)")]
    assert short
    assert all("L10" in s.rules for s in short)
    assert all(counts[w.start] >= 2 for w in plan.weeks if w.phase not in FLOOR_EXEMPT)
    assert violations(plan, req) == []


# -- invariants -----------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> PlanRequest:
    weeks = draw(st.integers(2, 20))
    return PlanRequest(
        athlete=draw(athletes()),
        races=draw(race_sets()),
        today=TODAY + timedelta(days=draw(st.integers(0, 6))),
        weeks=weeks,
        busy=draw(busy_calendars(weeks + 1)),
    )


@PROPS
@given(plans())
def test_strength_floor_met_or_warned(req: PlanRequest) -> None:
    plan = build_plan(req)
    counts = strength_per_week(plan)
    warned = {w.week for w in plan.warnings if "strength" in w.message and w.rule == "L10"}
    for week in plan.weeks:
        if week.start < req.today or week.phase in FLOOR_EXEMPT:
            continue
        assert counts[week.start] >= 2 or week.start in warned, week.start


@PROPS
@given(plans())
def test_no_hard_rule_is_broken_by_strength_placement(req: PlanRequest) -> None:
    assert violations(build_plan(req), req) == []


def _top(text: str) -> int:
    """The top of a range such as "6-8", "30-45 s" or "20 contacts"."""
    return int(re.findall(r"\d+", text)[-1]) if re.search(r"\d", text) else 0


def _rest_floor(e: Exercise) -> int:
    """The shortest rest between sets the text asks for, in seconds."""
    if not e.rest:
        return 0
    low = int(re.findall(r"\d+", e.rest)[0])
    return low * 60 if e.rest.endswith("min") else low


@PROPS
@given(plans())
def test_every_strength_session_fits_its_slot(req: PlanRequest) -> None:
    """The slot is the content's sum, and it holds at least what the text asks for: the
    warm-up, every set at a second a rep, and every rest between sets."""
    plan = build_plan(req)
    for s in plan.sessions:
        if s.kind != "strength" or s.origin != "planned":
            continue
        booked = (s.end - s.start) // timedelta(minutes=1)
        assert booked == math.ceil(sum(e.seconds for e in s.exercises) / 300) * 5
        warm, *rest = s.exercises
        need = _top(warm.reps) * 60
        for e in rest:
            sets = _top(e.sets)
            need += sets * _top(e.reps) * (2 if e.per_side else 1) + (sets - 1) * _rest_floor(e)
        assert booked * 60 >= need, s.key


@st.composite
def open_calendars(draw: st.DrawFn) -> PlanRequest:
    run_days = draw(st.sets(st.integers(0, 6), min_size=3, max_size=7))
    a = Athlete(
        id="open",
        timezone="Europe/Berlin",
        run_days=frozenset(run_days),
        long_run_day=draw(st.sampled_from(sorted(run_days))),
        windows=(WIDE,) * 7,
        weekly_km=draw(st.floats(20, 90)),
        same_day_order=draw(st.sampled_from(tuple(SameDayOrder))),
        experienced=draw(st.booleans()),
    )
    # Races from 5K to the marathon: an ultra's five strength-free days can leave a week too
    # few days that keep L2, which no calendar can change.
    km = draw(st.sampled_from((5.0, 10.0, 21.1, 42.195)))
    day = TODAY + timedelta(days=draw(st.integers(21, 20 * 7)))
    races = (Race("r", "race", day, km, draw(st.sampled_from(tuple(Priority))), "", True),)
    return PlanRequest(a, races, TODAY, draw(st.integers(4, 20)))


@PROPS
@given(open_calendars())
def test_no_session_is_lost_when_an_empty_calendar_could_hold_it(req: PlanRequest) -> None:
    plan = build_plan(req)
    # S1's third session is an accessory one that L10 may give up to L2 and L6 (the floor is
    # two); runs and the two main sessions must all find a day.
    lost = [w for w in dropped(plan) if "accessory strength" not in w]
    if len(req.athlete.run_days) == 7:
        # L6: a week of seven run days gives one run up to the full rest day.
        lost = [w for w in lost if not w.endswith("(L6)")]
    race = req.races[0]
    if len(req.athlete.run_days | {race.date.weekday()}) == 7:
        # L6: a race on the one day without a run takes that week's full rest day, so one run
        # of its week goes instead (no calendar could hold it).
        lost = [
            w
            for w in lost
            if not (w.endswith("(L6)") and w.startswith(f"week of {monday(race.date)}"))
        ]
    # A marathon's three strength-free days can leave its week one day that keeps L2.
    rest = (
        {monday(race.date + timedelta(days=d)) for d in range(1, 4)}
        if race.distance_km >= 42
        else set()
    )
    lost = [
        w for w in lost if not ("strength" in w and any(w.startswith(f"week of {m}") for m in rest))
    ]
    assert lost == []


@pytest.mark.slow
def test_every_run_day_pattern_keeps_its_sessions_on_an_empty_calendar() -> None:
    """All 399 run-day patterns x long-run days: nothing is dropped but L6's one run for
    seven run days and the runs of run days P9 keeps free of running after the marathon."""
    marathon = Race("m", "marathon", TODAY + timedelta(weeks=17, days=6), 42.195, Priority.A)
    lost = []
    for size in range(3, 8):
        for days in combinations(range(7), size):
            for long_day in days:
                a = athlete(run_days=days, long_run_day=long_day, windows=(WIDE,) * 7)
                plan = build_plan(PlanRequest(a, (marathon,), TODAY, 20))
                lost += [w for w in dropped(plan) if not w.endswith(("(L6)", "(P9)"))]
    assert lost == []


@PROPS
@given(plans())
def test_a_replan_on_its_own_placement_writes_nothing(req: PlanRequest) -> None:
    """What the sync writes (times, titles, texts) is the same when the planner is handed its
    own previous placement: L8's hints, the moved easy runs and the runs run easy included."""
    first = build_plan(req)
    again = build_plan(replace(req, previous=first.sessions))

    def written(plan: Plan) -> list[tuple[object, ...]]:
        return [(s.key, s.start, s.end, s.title, s.description) for s in plan.sessions]

    assert written(again) == written(first)


def test_a_moved_light_legs_session_counts_as_heavy_legs() -> None:
    """The athlete moved the light-legs session of a Saturday before the long run: it was
    booked as the full heavy session, which made Saturday a hard day and pushed the Sunday long
    run onto it."""
    entry = load_config(ROOT / "config.example.toml").athletes[0]
    now = datetime(2027, 1, 11, 5, 0, tzinfo=TZ)
    first = plan_for(entry, now.date(), now=now).plan
    light = next(s for s in first.sessions if s.title.endswith("light legs"))
    req = PlanRequest(entry.athlete, first.races, now.date(), 16, now=now, previous=first.sessions)
    moved = Interval(light.start + timedelta(hours=3), light.end + timedelta(hours=3))
    again = build_plan(replace(req, pinned=((light.key, moved),)))
    pinned = again.session(light.key)
    assert pinned is not None
    assert (pinned.title, pinned.heavy_lower, pinned.start) == (light.title, False, moved.start)
    before = {s.key: (s.start, s.title) for s in build_plan(req).sessions if s.key != light.key}
    after = {s.key: (s.start, s.title) for s in again.sessions if s.key != light.key}
    assert after == before
