"""Property tests: the planner's invariants over random athletes, races and busy calendars."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.model import (
    Athlete,
    Interval,
    PlanError,
    PlanRequest,
    Priority,
    Race,
    SameDayOrder,
    TimeWindow,
)
from scheduler.plan import build_plan
from tests.support import violations

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
TODAY = date(2026, 12, 2)
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def windows(draw: st.DrawFn) -> tuple[TimeWindow, ...]:
    out = []
    start = draw(st.integers(5 * 4, 9 * 4)) * 15
    for _ in range(draw(st.integers(1, 2))):
        length = draw(st.integers(2, 16)) * 15
        end = min(start + length, 23 * 60 + 45)
        if end - start >= 30:
            out.append(TimeWindow(time(start // 60, start % 60), time(end // 60, end % 60)))
        start = end + draw(st.integers(4, 36)) * 15
        if start >= 23 * 60:
            break
    return tuple(out) or (TimeWindow(time(6, 0), time(8, 0)),)


@st.composite
def athletes(draw: st.DrawFn) -> Athlete:
    run_days = draw(st.sets(st.integers(0, 6), min_size=3, max_size=7))
    return Athlete(
        id="prop",
        timezone=draw(st.sampled_from(ZONES)),
        run_days=frozenset(run_days),
        long_run_day=draw(st.sampled_from(sorted(run_days))),
        windows=tuple(draw(windows()) for _ in range(7)),
        weekly_km=draw(st.floats(20, 90)),
        max_strength_per_week=draw(st.integers(2, 3)),
        same_day_order=draw(st.sampled_from(tuple(SameDayOrder))),
        experienced=draw(st.booleans()),
    )


@st.composite
def race_sets(draw: st.DrawFn, min_weeks: int = 0) -> tuple[Race, ...]:
    n = draw(st.integers(0, 6))
    races = []
    for i in range(n):
        day = TODAY + timedelta(days=draw(st.integers(min_weeks * 7, 60 * 7)))
        km = draw(st.sampled_from((5.0, 10.0, 21.1, 42.195, 50.0, 100.0)))
        priority = draw(st.sampled_from(tuple(Priority)))
        races.append(Race(f"r{i}", f"race {i}", day, km, priority, "", True))
    return tuple(races)


@st.composite
def busy_calendars(draw: st.DrawFn, weeks: int) -> tuple[Interval, ...]:
    per_week = draw(st.integers(0, 25))
    start = datetime.combine(TODAY - timedelta(days=TODAY.weekday()), time(0), tzinfo=UTC)
    out = []
    for _ in range(per_week * weeks):
        at = start + timedelta(minutes=draw(st.integers(0, weeks * 7 * 96)) * 15)
        out.append(Interval(at, at + timedelta(minutes=draw(st.sampled_from((30, 60, 120, 480))))))
    return tuple(out)


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    weeks = draw(st.integers(1, 20))
    return PlanRequest(
        athlete=draw(athletes()),
        races=draw(race_sets()),
        today=TODAY + timedelta(days=draw(st.integers(0, 6))),
        weeks=weeks,
        busy=draw(busy_calendars(weeks + 1)),
    )


@PROPS
@given(requests())
def test_no_hard_rule_is_ever_broken(req: PlanRequest) -> None:
    plan = build_plan(req)
    assert violations(plan, req) == []


@PROPS
@given(requests())
def test_same_inputs_same_plan(req: PlanRequest) -> None:
    assert build_plan(req) == build_plan(req)


@PROPS
@given(requests())
def test_nothing_is_placed_before_today(req: PlanRequest) -> None:
    plan = build_plan(req)
    midnight = datetime.combine(req.today, time(0), tzinfo=ZoneInfo(req.athlete.timezone))
    assert all(s.start >= midnight for s in plan.sessions)


@PROPS
@given(athletes(), race_sets(min_weeks=23), st.integers(1, 8))
def test_moving_races_keeps_keys_and_shifts_dates(
    athlete: Athlete, races: tuple[Race, ...], k: int
) -> None:
    moved = tuple(replace(r, date=r.date + timedelta(weeks=k)) for r in races)
    last = max((r.date for r in moved), default=TODAY)
    weeks = min((last - TODAY).days // 7 + 4, 104)
    before = build_plan(PlanRequest(athlete, races, TODAY, weeks))
    after = build_plan(PlanRequest(athlete, moved, TODAY, weeks))
    tz = ZoneInfo(athlete.timezone)

    def anchored(plan_sessions: tuple, limit: date) -> dict[str, datetime]:  # type: ignore[type-arg]
        return {
            s.key: s.start.astimezone(tz)
            for s in plan_sessions
            if not s.key.startswith("offseason/") and s.start.astimezone(tz).date() < limit
        }

    horizon = TODAY + timedelta(weeks=weeks) - timedelta(weeks=k)
    old = anchored(before.sessions, horizon)
    new = anchored(after.sessions, horizon + timedelta(weeks=k))
    assert set(old) == set(new)
    for key, start in old.items():
        assert new[key].date() == start.date() + timedelta(weeks=k), key
        assert new[key].time() == start.time(), key


@PROPS
@given(requests(), st.integers(1, 10), st.integers(0, 23))
def test_replanning_never_changes_the_past(req: PlanRequest, days: int, hour: int) -> None:
    first = build_plan(req)
    tz = ZoneInfo(req.athlete.timezone)
    later = req.today + timedelta(days=days)
    now = datetime.combine(later, time(hour), tzinfo=tz)
    again = build_plan(replace(req, today=later, now=now, previous=first.sessions))
    window_start = later - timedelta(days=later.weekday())
    expected = {
        s.key: s
        for s in first.sessions
        if s.start < now and s.start.astimezone(tz).date() >= window_start
    }
    got = {s.key: s for s in again.sessions if s.key in expected}
    assert got == expected


@PROPS
@given(requests())
def test_replanning_with_previous_placement_is_stable(req: PlanRequest) -> None:
    first = build_plan(req)
    again = build_plan(replace(req, previous=first.sessions))
    assert [(s.key, s.start) for s in again.sessions] == [(s.key, s.start) for s in first.sessions]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40), st.integers(-3, 120), st.integers(-1, 8))
def test_only_plan_error_escapes(tz: str, weeks: int, days: int) -> None:
    a = Athlete(
        "x",
        tz or "UTC",
        frozenset(range(max(days, 0))),
        0,
        ((),) * 7 if days == 8 else ((TimeWindow(time(6), time(8)),),) * 7,
    )
    message = ""
    try:
        build_plan(PlanRequest(a, (), TODAY, weeks))
    except PlanError as exc:
        message = str(exc)
    assert "\n" not in message
