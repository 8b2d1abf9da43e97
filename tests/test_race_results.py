"""Race results set paces (R7): the newest believable result of a race already run sets the
paces of the sessions planned from today; an impossible or far-off one is reported, not
applied; a DNF or DNS is recorded and changes nothing. Expected paces always come from the
pace model (paces_for over the same result), never from numbers written here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from scheduler.model import Athlete, Finish, Outcome, Plan, Priority, Race, Zone
from scheduler.paces import paces_for, vdot
from scheduler.plan import build_plan
from scheduler.results import RESULT_STRETCH
from service.store.payload import plan_body, plan_from_body
from tests.support import athlete, race, request

TODAY = date(2026, 12, 7)
A_RACE = date(2027, 4, 25)
BEFORE = date(2026, 11, 15)


def ran(
    uid: str, day: date, km: float, seconds: int | None, outcome: Outcome = Outcome.FINISHED
) -> Race:
    return replace(race(uid, day, km, Priority.C), finish=Finish(outcome, seconds, "Zeit"))


def plan_of(a: Athlete, *past: Race) -> Plan:
    races = (race("hh", A_RACE, goal_s=3 * 3600 + 45 * 60), *past)
    return build_plan(request(a, races, TODAY, weeks=20))


def paces_in(plan: Plan, zone: Zone) -> set[tuple[int, int]]:
    """Every pace range the plan's run steps in `zone` carry."""
    return {
        step.pace
        for s in plan.sessions
        for block in s.steps
        for step in block.steps
        if step.zone is zone
    }


def model(km: float, seconds: int, zone: Zone) -> tuple[int, int]:
    """The pace range the model gives `zone` for the result `km` in `seconds`."""
    z = paces_for(athlete(recent_race_km=km, recent_race_s=seconds), None).of(zone)
    return (z.fast, z.slow)


FIFTY = athlete(recent_race_km=10.0, recent_race_s=50 * 60)


def test_a_result_sets_the_paces_of_the_sessions_ahead() -> None:
    plan = plan_of(FIFTY, ran("stadt", BEFORE, 10.0, 47 * 60 + 30))
    for zone in (Zone.EASY, Zone.THRESHOLD, Zone.INTERVAL):
        assert paces_in(plan, zone) <= {model(10.0, 2850, zone)}, zone
    assert paces_in(plan, Zone.EASY)
    assert paces_in(plan, Zone.EASY) != {model(10.0, 3000, Zone.EASY)}
    assert plan.fitness is not None
    assert plan.fitness.vdot == round(vdot(10.0, 2850), 1)
    [note] = plan.fitness.results
    assert (note.verdict, note.seconds) == ("applied", 2850)
    assert not [w for w in plan.warnings if w.rule == "R7"]
    run = next(s for s in plan.sessions if s.kind == "run")
    assert any(r.rule == "R7" and "stadt race" in r.text for r in run.reasons)


def test_the_newest_result_wins_and_a_future_event_is_no_result() -> None:
    older = ran("autumn", date(2026, 10, 4), 10.0, 49 * 60)
    newer = ran("stadt", BEFORE, 10.0, 47 * 60 + 30)
    ahead = ran("spring", date(2027, 3, 1), 10.0, 40 * 60)
    plan = plan_of(FIFTY, older, newer, ahead)
    assert paces_in(plan, Zone.EASY) == {model(10.0, 2850, Zone.EASY)}
    assert plan.fitness is not None
    verdicts = {n.race_uid: n.verdict for n in plan.fitness.results}
    assert verdicts == {"autumn": "older", "stadt": "applied"}


@pytest.mark.parametrize(
    ("km", "seconds", "verdict"),
    [
        (10.0, 15 * 60, "impossible"),  # faster than the world record
        (42.195, 80 * 60, "impossible"),  # a marathon in 1:20:00
        (10.0, 36 * 60, "off"),  # VDOT 40 -> 59: a short course, or a typo
        (10.0, 75 * 60, "off"),  # run with a friend
        (10.0, 3 * 3600, "impossible"),  # slower than walking
        (100.0, 11 * 3600, "not-used"),  # beyond the model's distances
    ],
)
def test_an_implausible_result_is_reported_and_not_applied(
    km: float, seconds: int, verdict: str
) -> None:
    plan = plan_of(FIFTY, ran("odd", BEFORE, km, seconds))
    assert paces_in(plan, Zone.EASY) == {model(10.0, 3000, Zone.EASY)}
    assert paces_in(plan, Zone.THRESHOLD) == {model(10.0, 3000, Zone.THRESHOLD)}
    assert plan.fitness is not None
    [note] = plan.fitness.results
    assert note.verdict == verdict
    reported = [w.message for w in plan.warnings if w.rule == "R7"]
    if verdict == "not-used":
        assert not reported
    else:
        assert reported == [note.message]
        assert "not applied" in note.message


def test_a_result_just_inside_the_stretch_is_applied_and_just_outside_is_not() -> None:
    base = vdot(10.0, 3000)
    inside = next(s for s in range(3000, 2000, -1) if vdot(10.0, s) / base - 1 > RESULT_STRETCH)
    verdicts = []
    for seconds in (inside + 1, inside):
        fitness = plan_of(FIFTY, ran("x", BEFORE, 10.0, seconds)).fitness
        assert fitness is not None
        verdicts.append(fitness.results[0].verdict)
    assert verdicts == ["applied", "off"]


def test_a_far_off_result_the_config_confirms_is_applied() -> None:
    # The report says how to confirm real progress: recent_race set to the result.
    off = plan_of(FIFTY, ran("odd", BEFORE, 10.0, 40 * 60))
    assert off.fitness is not None
    assert 'recent_race = "10K 40:00"' in off.fitness.results[0].message
    confirmed = athlete(recent_race_km=10.0, recent_race_s=40 * 60)
    plan = plan_of(confirmed, ran("odd", BEFORE, 10.0, 40 * 60))
    assert plan.fitness is not None
    assert plan.fitness.results[0].verdict == "applied"


@pytest.mark.parametrize("outcome", [Outcome.DNF, Outcome.DNS])
def test_dnf_and_dns_are_recorded_and_change_no_pace(outcome: Outcome) -> None:
    without = plan_of(FIFTY)
    plan = plan_of(FIFTY, ran("stadt", BEFORE, 10.0, None, outcome))
    assert [s.steps for s in plan.sessions] == [s.steps for s in without.sessions]
    assert plan.fitness is not None
    assert [n.verdict for n in plan.fitness.results] == [outcome.value]
    assert not [w for w in plan.warnings if w.rule == "R7"]


def test_a_result_more_than_a_year_old_gives_way_to_the_config() -> None:
    plan = plan_of(FIFTY, ran("old", date(2025, 11, 1), 10.0, 47 * 60))
    assert paces_in(plan, Zone.EASY) == {model(10.0, 3000, Zone.EASY)}
    assert plan.fitness is not None
    assert plan.fitness.results[0].verdict == "not-used"


def test_a_result_stands_in_for_a_missing_config_result() -> None:
    # Without recent_race the goal stands in for fitness; a result run since takes over.
    plain = athlete()
    plan = plan_of(plain, ran("stadt", BEFORE, 10.0, 2698))
    assert paces_in(plan, Zone.EASY) == {model(10.0, 2698, Zone.EASY)}
    assert paces_in(plan_of(plain), Zone.EASY) != {model(10.0, 2698, Zone.EASY)}


def test_the_last_good_plan_keeps_its_paces_and_results() -> None:
    # A source that cannot be read shows the kept plan: its paces and results come back too.
    plan = plan_of(FIFTY, ran("stadt", BEFORE, 10.0, 2850), ran("odd", TODAY, 10.0, 900))
    back = plan_from_body(plan_body(plan))
    assert back is not None
    assert back.fitness == plan.fitness
    assert [r.finish for r in back.races] == [r.finish for r in plan.races]
    assert plan.fitness is not None
    assert [n.verdict for n in plan.fitness.results] == ["applied", "impossible"]
