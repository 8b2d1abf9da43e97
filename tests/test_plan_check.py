"""scheduler.check and `racecal plan check`: each check finds the defect it is named for in a
plan broken by hand, and the command reports every rule and exits 1 on a broken hard rule."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from scheduler.check import RULES, broken, check_L2, check_plan, check_R4, check_R8
from scheduler.model import Plan, PlanRequest
from scheduler.plan import build_plan
from service.cli.main import main
from tests.support import athlete, race, request

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "config.example.toml")
TODAY = date(2027, 1, 4)  # a Monday


def _plan() -> tuple[Plan, PlanRequest]:
    req = request(athlete(), (race("m", TODAY + timedelta(weeks=14, days=6)),), TODAY, 6)
    return build_plan(req), req


def test_a_planned_plan_breaks_no_hard_rule() -> None:
    plan, req = _plan()
    results = check_plan(plan, req)
    assert [r.rule for r in results] == [rule for rule, _, _ in RULES]
    assert [r.line() for r in broken(results)] == []


def test_strength_moved_to_the_next_day_breaks_L2() -> None:
    plan, req = _plan()
    lifts = [s for s in plan.sessions if s.kind == "strength"]
    first, second = lifts[0], lifts[1]
    gap = (second.start - first.start) - timedelta(days=1)
    moved = replace(second, start=second.start - gap, end=second.end - gap)
    bad = replace(plan, sessions=tuple(moved if s is second else s for s in plan.sessions))
    assert check_L2(bad, req)
    assert "L2" in [r.rule for r in broken(check_plan(bad, req))]


def test_a_long_run_shorter_than_an_easy_run_breaks_R4() -> None:
    plan, req = _plan()
    long = next(s for s in plan.sessions if s.type == "long")
    short = replace(long, distance_km=1.0)
    bad = replace(plan, sessions=tuple(short if s is long else s for s in plan.sessions))
    found = check_R4(bad, req)
    assert found
    assert long.key in found[0]
    # The same edit also leaves the steps disagreeing with the booked distance.
    assert any(long.key in v for v in check_R8(bad, req))


def test_a_soft_rule_is_reported_but_does_not_break_the_plan() -> None:
    plan, req = _plan()
    no_strength = replace(plan, sessions=tuple(s for s in plan.sessions if s.kind != "strength"))
    s1 = next(r for r in check_plan(no_strength, req) if r.rule == "S1")
    assert not s1.met
    assert not s1.hard
    assert "not met (soft)" in s1.line()
    assert "S1" not in [r.rule for r in broken(check_plan(no_strength, req))]


def test_plan_check_prints_a_line_per_rule_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["plan", "check", "--config", CONFIG, "--today", "2027-03-10"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [rule for rule, _, _ in RULES]
    assert "L1 ok" in lines
    shown = runner.invoke(
        main, ["plan", "check", "--config", CONFIG, "--today", "2027-03-10", "--json"]
    )
    rows = json.loads(shown.stdout)
    assert {r["rule"] for r in rows} == {rule for rule, _, _ in RULES}
    assert all(set(r) == {"rule", "met", "hard", "violations"} for r in rows)
