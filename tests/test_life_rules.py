"""P12 on the domain: the days lost count from the block's first week, before today too, and
a block that lost 2 weeks or less keeps its phases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from scheduler.check import broken, check_plan
from scheduler.model import LifeEvent, LifeKind, Priority
from scheduler.plan import build_plan
from tests.support import athlete, race, request

RACE = race("m", date(2027, 4, 25), 42.195, Priority.A, planned_since=date(2026, 11, 1))


def test_a_past_sickness_of_three_weeks_replans_the_block() -> None:
    sick = LifeEvent(LifeKind.SICK, date(2027, 1, 4), date(2027, 1, 24))
    plain = request(athlete(), (RACE,), date(2027, 2, 1), weeks=12)
    req = replace(plain, life=(sick,))
    before, plan = build_plan(plain), build_plan(req)
    assert before.weeks[0].block_week == 5  # the full 16-week block started on 2027-01-04
    (line,) = [w.line() for w in plan.warnings if w.rule == "P12"]
    assert "loses 21 days" in line
    assert "re-planned from 2027-01-25 by P3" in line
    # Compressed from the week the athlete came back: base weeks go first (P3).
    assert plan.weeks[0].block_week == 2
    assert plan.weeks[0].build_weeks < before.weeks[0].build_weeks
    assert [w.rel for w in plan.weeks] == [w.rel for w in before.weeks]
    assert not broken(check_plan(plan, req))


def test_two_weeks_lost_keep_the_block() -> None:
    holiday = LifeEvent(LifeKind.HOLIDAY, date(2027, 2, 8), date(2027, 2, 21))
    plain = request(athlete(), (RACE,), date(2027, 2, 1), weeks=12)
    plan = build_plan(replace(plain, life=(holiday,)))
    assert not [w for w in plan.warnings if w.rule == "P12"]
    assert plan.weeks == build_plan(plain).weeks
