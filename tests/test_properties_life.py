"""Property tests for the athlete's marked days (L13-L16, P12) over random athletes, races and
absences: no session lands on a day its marker rules out, a graded return never runs more than
the plan meant nor grows faster than R5/R10 allow, and no hard rule breaks."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.check import broken, check_plan
from scheduler.check_running import check_R5, check_R10
from scheduler.life import returns
from scheduler.model import (
    Athlete,
    LifeEvent,
    LifeKind,
    PlanRequest,
    Priority,
    Race,
    TimeWindow,
)
from scheduler.plan import build_plan

TODAY = date(2026, 12, 7)  # a Monday
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY = (TimeWindow(time(5, 0), time(22, 0)),)
KM = (10.0, 21.1, 42.195)


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    run_days = draw(st.sets(st.integers(0, 6), min_size=3, max_size=7))
    athlete = Athlete(
        id="prop",
        timezone="Europe/Berlin",
        run_days=frozenset(run_days),
        long_run_day=draw(st.sampled_from(sorted(run_days))),
        windows=(DAY,) * 7,
        weekly_km=draw(st.floats(20, 90)),
        easy_pace_s_per_km=draw(st.integers(280, 420)),
    )
    race_day = TODAY + timedelta(days=draw(st.integers(6 * 7, 20 * 7)))
    races = (Race("a", "A race", race_day, draw(st.sampled_from(KM)), Priority.A, "", True),)
    life = []
    for _ in range(draw(st.integers(1, 3))):
        first = TODAY + timedelta(days=draw(st.integers(0, 10 * 7)))
        length = draw(st.integers(1, 25))
        kind = draw(st.sampled_from(tuple(LifeKind)))
        bodyweight = kind is LifeKind.TRAVEL and draw(st.booleans())
        last = first + timedelta(days=length - 1)
        life.append(LifeEvent(kind, first, last, "bodyweight" if bodyweight else "", bodyweight))
    return PlanRequest(athlete, races, TODAY, 14, life=tuple(life))


@PROPS
@given(requests())
def test_marked_days_hold_only_what_their_rule_allows(req: PlanRequest) -> None:
    plan = build_plan(req)
    tz = ZoneInfo(plan.timezone)
    assert not broken(check_plan(plan, req))
    for s in plan.sessions:
        day = s.start.astimezone(tz).date()
        kinds = {e.kind for e in req.life if e.covers(day)}
        if kinds & {LifeKind.HOLIDAY, LifeKind.SICK}:
            raise AssertionError(f"{s.key} on a holiday or sick day {day}")
        if LifeKind.TRAVEL in kinds:
            assert s.type == "strength-bodyweight", s.key
        if LifeKind.INJURED in kinds:
            assert s.kind == "strength", s.key
            assert not s.heavy_lower, s.key
        if LifeKind.NOSTRENGTH in kinds:
            assert s.kind == "run", s.key


@PROPS
@given(requests())
def test_a_graded_return_never_outgrows_the_plan_or_r5(req: PlanRequest) -> None:
    plain_req = replace(req, life=())
    plain, plan = build_plan(plain_req), build_plan(req)
    tz = ZoneInfo(plan.timezone)
    meant = {s.key: s for s in plain.sessions}
    back = returns(req.life)
    for s in plan.sessions:
        day = s.start.astimezone(tz).date()
        if s.kind != "run" or not any(r.scale(day) < 1.0 for r in back):
            continue
        before = meant.get(s.key)
        if before is None:
            continue  # re-planned by P12: another block's session
        assert (s.distance_km or 0.0) <= (before.distance_km or 0.0) + 1e-9, s.key
        assert s.start == before.start, s.key
        assert s.end <= before.end, s.key
        if any(r.easy_only(day) for r in back):
            assert not s.key_run, s.key
    # R5/R10: the weeks of a return grow no faster than the plan's own weeks did.
    if not any(e.kind is not LifeKind.NOSTRENGTH for e in req.life) or plan.weeks != plain.weeks:
        return
    for check in (check_R5, check_R10):
        assert set(check(plan, req)) <= set(check(plain, plain_req)), check.__name__


@given(st.integers(1, 40), st.sampled_from((LifeKind.SICK, LifeKind.INJURED)))
def test_the_return_ramps_steadily_back_to_the_plan(days: int, kind: LifeKind) -> None:
    event = LifeEvent(kind, TODAY, TODAY + timedelta(days=days - 1))
    (back,) = returns((event,))
    assert back.first == event.last + timedelta(days=1)
    assert back.days >= days
    shares = [back.scale(back.first + timedelta(days=i)) for i in range(back.days + 1)]
    assert shares[-1] == 1.0
    assert all(a < b for a, b in itertools.pairwise(shares))
    # A step never adds more than the return's first share spread over its days, and the
    # first day back runs at most half the plan.
    assert shares[0] <= 0.5
    assert max(b - a for a, b in itertools.pairwise(shares)) <= 0.7 / back.days + 1e-9
