"""Structured workouts (R8): steps in, distance, duration, booked slot, title and text out, all
agreeing; and every run of a plan names its paces and effort (R7)."""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.explain import plan_to_json
from scheduler.model import DistanceClass, Phase, PlacedSession, PlanRequest, Units, Zone
from scheduler.paces import paces_for, zone_text
from scheduler.plan import build_plan
from scheduler.workouts import Workout, block_text, distance_text, workout_for
from service.config.load import load_config
from service.planning import plan_for
from service.store.payload import from_payload, to_payload
from tests.support import athlete, race
from tests.test_invariants import TODAY, athletes, race_sets

ROOT = Path(__file__).resolve().parent.parent
RUN_TYPES = (
    "easy",
    "recovery",
    "long",
    "long_mp",
    "time_on_feet",
    "tempo",
    "intervals",
    "hills",
    "strides",
    "race_pace",
    "shakeout",
    "back_to_back",
)
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def step_sums(steps: object) -> tuple[float, int]:
    km, seconds = 0.0, 0
    for block in steps:  # type: ignore[attr-defined]
        km += block.repeat * sum(s.km for s in block.steps)
        seconds += block.repeat * sum(s.seconds for s in block.steps)
    return km, seconds


def check_adds_up(w: Workout) -> None:
    km, seconds = step_sums(w.blocks)
    assert abs(w.km - km) <= 0.05 + 1e-9
    assert w.seconds == seconds
    assert seconds / 60 <= w.minutes < max(seconds / 60 + 5, 20.01)
    assert distance_text(w.km, w.units) in w.title
    assert f"Total {distance_text(w.km, w.units)}," in w.lines()[-2]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(RUN_TYPES),
    st.floats(3.0, 40.0),
    st.floats(25.0, 80.0),
    st.sampled_from(tuple(Phase)),
    st.one_of(st.none(), st.sampled_from(tuple(DistanceClass))),
    st.integers(0, 6),
    st.floats(15.0, 120.0),
    st.sampled_from(tuple(Units)),
    st.sampled_from(("", "marathon-pace", "time-on-feet", "recovery", "shakeout", "sharpen")),
    st.floats(0.0, 20.0),
)
def test_distance_duration_slot_title_and_text_are_the_sums_of_the_steps(
    run_type: str,
    km: float,
    fitness_km_time: float,
    phase: Phase,
    cls: DistanceClass | None,
    progress: int,
    week_km: float,
    units: Units,
    focus: str,
    pace_km: float,
) -> None:
    # A 10K anywhere from 25 to 80 minutes sets the fitness.
    a = athlete(recent_race_km=10.0, recent_race_s=round(fitness_km_time * 60), units=units)
    paces = paces_for(a, None)
    w = workout_for(
        run_type,
        km,
        paces,
        phase=phase,
        cls=cls,
        progress=progress,
        week_km=week_km,
        focus=focus,
        pace_km=pace_km,
    )
    check_adds_up(w)
    assert w.type == run_type
    for step in (s for b in w.blocks for s in b.steps):
        z = paces.of(step.zone)
        target = (z.fast + z.slow) / 2
        if step.by == "distance":
            assert step.seconds == round(step.km * target)
        else:
            assert step.km == round(step.seconds / target, 2)


def test_descriptions_dont_add_up_intervals_km_and_slot_now_match_the_steps() -> None:
    # Seen: "6 x 800 m" booked for 45 min and labelled 7.5 km; with warm-up, recoveries and
    # cool-down it is about 62 min and 11 km.
    entry = load_config(ROOT / "config.example.toml").athletes[0]
    plan = plan_for(entry, date(2026, 12, 6), weeks=14).plan
    intervals = [s for s in plan.sessions if s.type == "intervals"]
    assert intervals
    for s in intervals:
        km, seconds = step_sums(s.steps)
        assert abs(s.distance_km - km) <= 0.05 + 1e-9
        assert f"{s.distance_km:g} km" in s.title
        booked = (s.end - s.start).total_seconds()
        assert seconds <= booked < seconds + 300
        work = next(b for b in s.steps if b.repeat > 1)
        assert re.search(rf"\b{work.repeat} x 800 m\b", s.title)
        assert f"{work.repeat} x 800 m interval pace @ " in s.description


def test_no_paces_anywhere_every_run_names_pace_and_effort_per_step() -> None:
    entry = load_config(ROOT / "config.example.toml").athletes[0]
    plan = plan_for(entry, date(2027, 3, 10), weeks=8).plan
    runs = [s for s in plan.sessions if s.kind == "run"]
    assert {"long", "easy", "race_pace", "tempo"} <= {s.type for s in runs}
    for s in runs:
        lines = s.description.splitlines()
        steps = [line for line in lines if not line.startswith(("Total", "Purpose", "Why"))]
        assert len(steps) == len(s.steps)
        for line in steps:
            assert re.search(r"\(RPE \d", line), line
            assert re.search(r"@ \d+:\d\d(-\d+:\d\d)? /km", line) or "uphill" in line, line
        assert any(line.startswith("Purpose: ") for line in lines)
        why = lines[-1]
        assert why.startswith("Why: ")
        assert "(R7)" in why
    # The example race's "Goal: sub 3:45" is the marathon-pace work's pace.
    race_pace = next(s for s in runs if s.type == "race_pace")
    assert "goal race pace @ 5:20 /km" in race_pace.description


@PROPS
@given(athletes(), race_sets())
def test_every_planned_run_is_booked_for_its_steps(a: object, races: tuple[object, ...]) -> None:
    req = PlanRequest(a, races, TODAY, weeks=10)  # type: ignore[arg-type]
    plan = build_plan(req)
    for s in plan.sessions:
        if s.kind != "run":
            assert s.steps == ()
            continue
        km, seconds = step_sums(s.steps)
        assert abs(s.distance_km - km) <= 0.05 + 1e-9
        booked = (s.end - s.start).total_seconds()
        assert seconds <= booked < max(seconds + 300, 20 * 60 + 1)
        assert all(block_text(b, Units.METRIC) for b in s.steps)


def test_the_json_plan_and_the_stored_payload_carry_the_steps() -> None:
    a = athlete(recent_race_km=21.0975, recent_race_s=6240, max_hr=188)
    day = TODAY + timedelta(weeks=12)
    plan = build_plan(PlanRequest(a, (race("m", day, goal_s=12600),), TODAY, weeks=8))
    data = json.loads(json.dumps(plan_to_json(plan)))
    run = next(s for s in data["sessions"] if s["kind"] == "run" and s["type"] == "intervals")
    work = next(b for b in run["steps"] if b["repeat"] > 1)
    assert work["steps"][0]["zone"] == "interval"
    assert work["steps"][0]["hr"] is not None
    assert math.isclose(
        sum(b["repeat"] * sum(s["distance_km"] for s in b["steps"]) for b in run["steps"]),
        run["distance_km"],
        abs_tol=0.05,
    )
    session = plan.session(run["key"])
    assert isinstance(session, PlacedSession)
    back = from_payload(to_payload(session))
    assert back is not None
    assert back.steps == session.steps


def test_imperial_athletes_read_miles_and_minutes_per_mile() -> None:
    a = athlete(units=Units.IMPERIAL, recent_race_km=5.0, recent_race_s=25 * 60)
    paces = paces_for(a, None)
    w = workout_for("tempo", 10.0, paces, phase=Phase.RACE_SPECIFIC, cls=DistanceClass.HALF)
    assert w.title.endswith(" mi")
    assert all(line.count("/km") == 0 for line in w.lines())
    assert zone_text(paces.of(Zone.THRESHOLD), Units.IMPERIAL) in "\n".join(w.lines())


@pytest.mark.parametrize("run_type", RUN_TYPES)
def test_each_run_type_has_its_own_structure(run_type: str) -> None:
    paces = paces_for(athlete(recent_race_km=10.0, recent_race_s=2700), None)
    w = workout_for(
        run_type, 12.0, paces, phase=Phase.RACE_SPECIFIC, cls=DistanceClass.MARATHON, progress=2
    )
    zones = {s.zone for b in w.blocks for s in b.steps}
    expected = {
        "easy": {Zone.EASY},
        "recovery": {Zone.RECOVERY},
        "long": {Zone.LONG},
        "long_mp": {Zone.LONG, Zone.MARATHON},
        "time_on_feet": {Zone.LONG},
        "tempo": {Zone.EASY, Zone.THRESHOLD, Zone.RECOVERY},  # cruise intervals by now
        "intervals": {Zone.EASY, Zone.INTERVAL, Zone.RECOVERY},
        "hills": {Zone.EASY, Zone.INTERVAL, Zone.RECOVERY},
        "strides": {Zone.EASY, Zone.REPETITION, Zone.RECOVERY},
        "race_pace": {Zone.EASY, Zone.RACE},
        "shakeout": {Zone.RECOVERY},
        "back_to_back": {Zone.LONG},
    }[run_type]
    assert zones == expected
    assert w.type == run_type
    kinds = [b.steps[0].kind for b in w.blocks]
    if len(w.blocks) > 2 and run_type not in ("long_mp", "strides"):
        assert kinds[0] == "warmup"
        assert kinds[-1] == "cooldown"


def test_the_week_plan_focus_shapes_the_workout_and_keeps_the_type() -> None:
    paces = paces_for(athlete(recent_race_km=21.0975, recent_race_s=6300), None)
    phase, cls = Phase.RACE_SPECIFIC, DistanceClass.MARATHON
    mp = workout_for("long", 30.0, paces, phase=phase, cls=cls, focus="marathon-pace", pace_km=12)
    assert mp.type == "long"
    assert [(b.steps[0].zone, b.steps[0].km) for b in mp.blocks] == [
        (Zone.LONG, 17.0),
        (Zone.MARATHON, 12.0),
        (Zone.LONG, 1.0),
    ]
    assert mp.title == "Long run 30 km with 12 km at marathon pace"
    feet = workout_for("long", 25.0, paces, phase=phase, cls=cls, focus="time-on-feet")
    assert feet.blocks[0].steps[0].by == "time"
    assert feet.blocks[0].steps[0].seconds % 300 == 0
    sharp = workout_for("intervals", 8.0, paces, phase=phase, cls=cls, focus="sharpen")
    assert sharp.title.startswith("Sharpener 4 x 400 m")
    shakeout = workout_for("easy", 5.0, paces, phase=phase, cls=cls, focus="shakeout")
    assert shakeout.title == "Shakeout 5 km"
    b2b = workout_for("easy", 14.0, paces, phase=phase, cls=cls, focus="back-to-back")
    assert b2b.type == "easy"
    assert b2b.blocks[0].steps[0].zone is Zone.LONG
