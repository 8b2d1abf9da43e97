"""R6: strength placed around another app's runs, timed and all-day, by every L rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.check import check_L2, check_L3, check_L5, check_L6
from scheduler.external import runs_from
from scheduler.model import ExternalRun, Plan, PlanRequest, SameDayOrder
from scheduler.plan import build_plan
from scheduler.runkinds import KEY_KINDS, RunKind
from tests.support import athlete, by_day, request, violations

TZ = "Europe/Berlin"
ZONE = ZoneInfo(TZ)
TODAY = date(2026, 12, 7)  # a Monday
WEEKS = 4


def all_day(day: date, title: str, kind: RunKind) -> ExternalRun:
    start = datetime.combine(day, time(0), tzinfo=ZONE)
    return ExternalRun(
        start, start + timedelta(days=1), kind in KEY_KINDS, title, kind.value, all_day=True
    )


def timed(day: date, at: time, minutes: int, title: str, kind: RunKind) -> ExternalRun:
    start = datetime.combine(day, at, tzinfo=ZONE)
    return ExternalRun(start, start + timedelta(minutes=minutes), kind in KEY_KINDS, title, kind)


def plan_around(runs: tuple[ExternalRun, ...], **kw: object) -> tuple[PlanRequest, Plan]:
    a = replace(athlete(**kw), runs_from_calendar=True)
    req = request(a, (), TODAY, WEEKS, external_runs=runs)
    return req, build_plan(req)


@st.composite
def external_plans(draw: st.DrawFn) -> tuple[ExternalRun, ...]:
    runs = []
    for week in range(WEEKS + 1):
        # Up to all seven days: an app may leave a week no rest day (L6 is then its own).
        days = draw(st.sets(st.integers(0, 6), min_size=0, max_size=7))
        for weekday in sorted(days):
            day = TODAY + timedelta(days=7 * week + weekday)
            # Runs, rest days, and what the apps put beside them: strength, cross-training.
            kind = draw(st.sampled_from((*RunKind, RunKind.STRENGTH, RunKind.CROSS)))
            if draw(st.booleans()):
                runs.append(all_day(day, f"{kind.value} session", kind))
            else:
                at = time(draw(st.integers(5, 19)), draw(st.sampled_from((0, 15, 30, 45))))
                minutes = draw(st.integers(2, 10)) * 15
                runs.append(timed(day, at, minutes, f"{kind.value} session", kind))
    return tuple(runs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=external_plans(), order=st.sampled_from(tuple(SameDayOrder)))
def test_strength_around_any_external_plan_breaks_no_hard_rule(
    runs: tuple[ExternalRun, ...], order: SameDayOrder
) -> None:
    req, plan = plan_around(runs, same_day_order=order)
    assert violations(plan, req) == []
    assert all(s.kind == "strength" for s in plan.sessions)  # the runs are the other app's
    first, horizon = TODAY, TODAY + timedelta(weeks=WEEKS)
    shown = [r for r in runs if first <= r.start.date() < horizon]
    assert plan.external_runs == tuple(shown)


def test_an_all_day_key_run_keeps_strength_off_its_day_and_heavy_legs_off_the_day_before() -> None:
    wed = TODAY + timedelta(days=2)
    runs = (all_day(wed, "Tempo Run - 8km", RunKind.TEMPO),)
    _, plan = plan_around(runs)
    days = by_day(plan)
    assert not days.get(wed)
    assert not [s for s in days.get(wed - timedelta(days=1), []) if s.heavy_lower]
    week = [s for s in plan.sessions if s.start.date() < TODAY + timedelta(days=7)]
    assert week
    said = [r.text for s in week for r in s.reasons if r.rule == "L3"]
    assert any("no strength on Wed 09 Dec" in t and "'Tempo Run - 8km'" in t for t in said)


def test_a_lift_on_an_all_day_easy_run_day_says_which_side_of_the_run() -> None:
    # Easy runs every weekday but Sunday: a lift has to share a day with one.
    runs = tuple(
        all_day(TODAY + timedelta(days=i), "Easy Run - 5km", RunKind.EASY) for i in range(6)
    )
    for order, side in ((SameDayOrder.AUTO, "before"), (SameDayOrder.RUN_FIRST, "after")):
        req, plan = plan_around(runs, same_day_order=order)
        assert violations(plan, req) == []
        shared = [s for s in plan.sessions if s.start.date() < TODAY + timedelta(days=6)]
        assert shared
        for s in shared:
            texts = [r.text for r in s.reasons if r.rule == "L3"]
            assert any(f"lift {side} it" in t for t in texts), texts


def test_a_timed_long_run_the_day_before_leaves_upper_body_only() -> None:
    sun = TODAY + timedelta(days=6)
    runs = (timed(sun, time(8), 120, "Long Run", RunKind.LONG),)
    req, plan = plan_around(runs)
    monday = by_day(plan).get(sun + timedelta(days=1), [])
    assert all(not s.heavy_lower for s in monday)
    assert violations(plan, req) == []


def test_the_checker_sees_a_lift_moved_onto_an_external_key_run() -> None:
    wed = TODAY + timedelta(days=2)
    runs = (
        all_day(wed, "Intervals - 6x800m", RunKind.INTERVALS),
        timed(TODAY + timedelta(days=4), time(18), 60, "Threshold", RunKind.TEMPO),
    )
    req, plan = plan_around(runs)
    lift = next(s for s in plan.sessions if s.kind == "strength")
    onto = datetime.combine(wed, time(18), tzinfo=ZONE)
    moved = replace(lift, start=onto, end=onto + (lift.end - lift.start))
    broken = replace(plan, sessions=(moved,))
    assert any("Intervals - 6x800m" in v for v in check_L3(broken, req))
    fri = datetime.combine(TODAY + timedelta(days=4), time(18, 30), tzinfo=ZONE)
    clash = replace(plan, sessions=(replace(lift, start=fri, end=fri + timedelta(hours=1)),))
    assert any("other app's run" in v for v in check_L5(clash, req))


def test_a_week_the_other_app_fills_is_not_racecals_broken_rest_day() -> None:
    runs = tuple(
        all_day(TODAY + timedelta(days=i), "Easy Run - 5km", RunKind.EASY) for i in range(7)
    )
    req, plan = plan_around(runs)
    assert check_L6(plan, req) == []
    rest = tuple(replace(r, kind=RunKind.REST.value, title="Rest Day") for r in runs[:1])
    req2, plan2 = plan_around(rest + runs[1:])
    assert check_L6(plan2, req2) == []
    assert not by_day(plan2).get(TODAY)  # the rest day stays a rest day (L6)


RUNNA_WEEK = (
    ("Easy Run - 6km", RunKind.EASY),
    ("Intervals - 6x800m", RunKind.INTERVALS),
    ("Easy Run - 8km", RunKind.EASY),
    ("Tempo Run - 8km", RunKind.TEMPO),
    ("Yoga", RunKind.CROSS),
    ("Easy Run - 5km", RunKind.EASY),
    ("Long Run - 18km", RunKind.LONG),
)


def runna_weeks(rest_on: int | None = None) -> tuple[ExternalRun, ...]:
    runs = []
    for week in range(WEEKS + 1):
        for weekday, (title, kind) in enumerate(RUNNA_WEEK):
            day = TODAY + timedelta(days=7 * week + weekday)
            if weekday == rest_on:
                runs.append(all_day(day, "Rest Day", RunKind.REST))
            else:
                runs.append(all_day(day, title, kind))
    return tuple(runs)


def test_a_week_the_other_app_fills_every_day_still_gets_S1s_strength_light_and_explained() -> None:
    req, plan = plan_around(runna_weeks())
    assert violations(plan, req) == []
    for week in range(WEEKS):
        monday = TODAY + timedelta(days=7 * week)
        lifts = [s for s in plan.sessions if monday <= s.start.date() < monday + timedelta(7)]
        assert len(lifts) >= 2, (monday, [s.title for s in plan.sessions])  # S1's floor
        for s in lifts:
            assert s.start.weekday() not in (1, 3, 6)  # never on the key runs' days (L3)
            assert any(r.rule == "L6" and "R6" in r.text for r in s.reasons)
        # Heavy legs have no legal day in this week (L1, L4): the light form stands in.
        assert not [s for s in lifts if s.heavy_lower]
        assert [s for s in lifts if "light legs" in s.title]
    assert not [w for w in plan.warnings if w.rule == "L10"]
    said = [w for w in plan.warnings if "without a full rest day" in w.message]
    assert len(said) == 1
    assert f"{WEEKS} week(s)" in said[0].message


def test_the_last_rest_day_the_other_app_left_stays_racecals_to_keep() -> None:
    req, plan = plan_around(runna_weeks(rest_on=4))  # Friday's yoga is a rest day instead
    assert violations(plan, req) == []
    assert all(s.start.weekday() != 4 for s in plan.sessions)
    assert not [w for w in plan.warnings if "without a full rest day" in w.message]
    lift = plan.sessions[0]
    fri = datetime.combine(TODAY + timedelta(days=4), time(18), tzinfo=ZONE)
    onto = replace(lift, start=fri, end=fri + (lift.end - lift.start))
    broken = replace(plan, sessions=(onto, *plan.sessions[1:]))
    assert check_L6(broken, req) == [f"L6: no rest day in week of {TODAY}"]


# -- what is not a run: the other app's strength and cross-training ----------------------


class Event:
    """One event of the other app's feed, as a calendar expands it."""

    def __init__(self, title: str, start: datetime | date, end: datetime | date) -> None:
        self.title, self.description, self.start, self.end = title, "", start, end
        self.cancelled = False


def test_cross_training_is_no_key_run_and_heavy_legs_may_come_the_day_before() -> None:
    # Yoga every morning but Sunday's: read as unknown it would be a key run a day, and no
    # heavy legs anywhere (L1, L4).
    events = [
        Event("Yoga", at, at + timedelta(minutes=45))
        for i in range(7 * WEEKS)
        if i % 7 < 6
        for at in [datetime.combine(TODAY + timedelta(days=i), time(7), tzinfo=ZONE)]
    ]
    runs = tuple(runs_from(events, ZONE))
    assert {(r.kind, r.key_run) for r in runs} == {("cross-training", False)}
    req, plan = plan_around(runs)
    assert violations(plan, req) == []
    yoga_days = {r.start.date() for r in runs}
    assert [s for s in plan.sessions if s.heavy_lower and s.start.date() in yoga_days]


def test_timed_cross_training_takes_its_time() -> None:
    # A ride over each weekday's evening window: no lift of racecal's overlaps one (L5).
    rides = tuple(
        timed(TODAY + timedelta(days=i), time(17), 240, "Bike 2h", RunKind.CROSS) for i in range(5)
    )
    req, plan = plan_around(rides)
    assert check_L5(plan, req) == []
    for s in plan.sessions:
        for r in rides:
            assert not (r.start < s.end and s.start < r.end), s.key


def test_the_other_apps_strength_keeps_racecals_lifts_off_its_day_and_the_days_beside() -> None:
    wed = TODAY + timedelta(days=2)
    for lift in (
        timed(wed, time(18), 60, "Strength", RunKind.STRENGTH),
        all_day(wed, "Krafttraining", RunKind.STRENGTH),
    ):
        req, plan = plan_around((lift,))
        assert violations(plan, req) == []
        days = by_day(plan)
        for near in (wed - timedelta(days=1), wed, wed + timedelta(days=1)):
            assert not [s for s in days.get(near, []) if s.kind == "strength"], near
        week = [s for s in plan.sessions if s.start.date() < TODAY + timedelta(days=7)]
        assert week
        said = [r.text for s in week for r in s.reasons if r.rule == "L2"]
        assert any(f"'{lift.title}' on Wed 09 Dec counts as a heavy lift" in t for t in said)


def test_the_checker_sees_a_lift_beside_the_other_apps_strength() -> None:
    wed = TODAY + timedelta(days=2)
    req, plan = plan_around((timed(wed, time(7), 60, "Strength", RunKind.STRENGTH),))
    lift = next(s for s in plan.sessions if s.kind == "strength")
    onto = datetime.combine(wed + timedelta(days=1), time(18), tzinfo=ZONE)
    moved = replace(lift, start=onto, end=onto + (lift.end - lift.start))
    assert any("other app's strength" in v for v in check_L2(replace(plan, sessions=(moved,)), req))
