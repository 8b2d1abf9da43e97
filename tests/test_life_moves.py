"""A lift on a marked day moves (L13, L16 with S1 and L10): strength the athlete's #holiday or
#nostrength days rule out takes another legal day of its week, and only a week with no legal
day left drops it, naming the marker's rule; the runs of a #holiday are dropped where they sat,
and a #nostrength day keeps its runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduler.check import broken, check_plan
from scheduler.life import apply_life
from scheduler.model import LifeEvent, LifeKind, PlacedSession, Plan, PlanRequest, Priority
from scheduler.plan import build_plan
from tests.support import athlete, race, request

TODAY = date(2027, 1, 11)  # a Monday
RACE = race("m", date(2027, 4, 25), 42.195, Priority.A, planned_since=date(2026, 11, 1))


def _day(plan: Plan, s: PlacedSession) -> date:
    return s.start.astimezone(ZoneInfo(plan.timezone)).date()


def _plain() -> tuple[PlanRequest, Plan]:
    req = request(athlete(), (RACE,), TODAY, weeks=8)
    return req, build_plan(req)


def _tuesday_lift(plan: Plan) -> PlacedSession:
    """The first strength session of the plan on a Tuesday."""
    lifts = [s for s in plan.sessions if s.kind == "strength" and _day(plan, s).weekday() == 1]
    assert lifts, "the plan puts no strength on a Tuesday"
    return lifts[0]


def _week(plan: Plan, monday: date, kind: str) -> list[PlacedSession]:
    return [
        s
        for s in plan.sessions
        if s.kind == kind and monday <= _day(plan, s) < monday + timedelta(days=7)
    ]


def _dropped(plan: Plan, key: str) -> list[str]:
    return [w.line() for w in plan.warnings if f"({key})" in w.message]


def test_a_two_day_holiday_moves_the_lift_to_another_day_of_its_week() -> None:
    plain_req, plain = _plain()
    lift = _tuesday_lift(plain)
    tuesday = _day(plain, lift)
    holiday = LifeEvent(LifeKind.HOLIDAY, tuesday, tuesday + timedelta(days=1))
    req = replace(plain_req, life=(holiday,))
    plan = build_plan(req)
    assert not broken(check_plan(plan, req))
    moved = next((s for s in plan.sessions if s.key == lift.key), None)
    assert moved is not None, _dropped(plan, lift.key)
    assert not holiday.covers(_day(plan, moved))
    assert moved.week == lift.week
    # The week keeps all its strength (S1), and no session is left on the holiday.
    monday = lift.week
    assert len(_week(plan, monday, "strength")) == len(_week(plain, monday, "strength"))
    assert not [s for s in plan.sessions if holiday.covers(_day(plan, s))]
    # The holiday's runs are dropped where they sat, said once for the event (L13).
    (said,) = [w.line() for w in plan.warnings if w.rule == "L13"]
    assert f"#holiday {tuesday.isoformat()}" in said
    runs_off = [s.key for s in _week(plain, monday, "run") if holiday.covers(_day(plain, s))]
    for key in runs_off:
        assert key in said
    assert [s.key for s in _week(plan, monday, "run")] == [
        s.key for s in _week(plain, monday, "run") if s.key not in runs_off
    ]
    # Placement left the marked days empty: the pass after it, the guard, finds nothing.
    tz = ZoneInfo(plan.timezone)
    again, warned = apply_life(list(plan.sessions), req.life, {}, tz, req.athlete.units)
    assert again == list(plan.sessions)
    assert warned == []


def test_a_nostrength_day_moves_the_lift_and_keeps_the_runs() -> None:
    plain_req, plain = _plain()
    lift = _tuesday_lift(plain)
    tuesday = _day(plain, lift)
    marked = LifeEvent(LifeKind.NOSTRENGTH, tuesday, tuesday)
    req = replace(plain_req, life=(marked,))
    plan = build_plan(req)
    assert not broken(check_plan(plan, req))
    moved = next((s for s in plan.sessions if s.key == lift.key), None)
    assert moved is not None, _dropped(plan, lift.key)
    assert _day(plan, moved) != tuesday
    assert moved.week == lift.week
    runs = [s for s in plain.sessions if s.kind == "run"]
    assert [s for s in plan.sessions if s.kind == "run"] == runs
    assert not [w for w in plan.warnings if w.rule == "L16"]  # nothing was taken


def test_a_week_long_holiday_still_drops_the_lifts_naming_l13() -> None:
    plain_req, plain = _plain()
    monday = _tuesday_lift(plain).week
    holiday = LifeEvent(LifeKind.HOLIDAY, monday, monday + timedelta(days=6))
    req = replace(plain_req, life=(holiday,))
    plan = build_plan(req)
    assert not broken(check_plan(plan, req))
    assert _week(plan, monday, "strength") == []
    assert _week(plan, monday, "run") == []
    lifts = _week(plain, monday, "strength")
    assert lifts
    for s in lifts:
        (line,) = _dropped(plan, s.key)
        assert line.endswith("(L10)")
        assert f"#holiday {monday.isoformat()} to " in line
        assert "rules out strength those days (L13)" in line
