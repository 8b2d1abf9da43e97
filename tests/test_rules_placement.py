"""L rules: placement, one test (or more) per rule id, checked on the plan's own output."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.check import check_L1, check_L2, check_L3, check_L4, check_L5, check_L6, hard_days
from scheduler.model import Interval, SameDayOrder, TimeWindow
from scheduler.plan import build_plan
from tests.support import (
    WEEKDAY_WINDOWS,
    WEEKEND_WINDOWS,
    athlete,
    busy_at,
    by_day,
    race,
    request,
)

TZ = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 12, 7)  # a Monday
MARATHON = TODAY + timedelta(weeks=12, days=6)


def block_request(**kw: object):  # type: ignore[no-untyped-def]
    return request(athlete(**kw), (race("m", MARATHON),), TODAY, 14)


def test_L1_no_heavy_legs_within_24h_of_a_key_run_and_clear_of_the_A_race() -> None:
    req = block_request()
    plan = build_plan(req)
    assert check_L1(plan, req) == []
    heavy = [s for s in plan.sessions if s.heavy_lower]
    assert heavy
    last = max(s.start.astimezone(TZ).date() for s in heavy)
    assert (MARATHON - last).days >= 7
    assert any("L1" in s.rules for s in heavy)


def test_L2_no_strength_on_consecutive_days() -> None:
    req = block_request()
    plan = build_plan(req)
    assert check_L2(plan, req) == []
    assert sum(1 for s in plan.sessions if s.kind == "strength") > 10


def test_L3_key_run_first_and_lift_six_hours_later() -> None:
    req = block_request()
    plan = build_plan(req)
    assert check_L3(plan, req) == []
    days = by_day(plan)
    stacked = [
        (d, ss)
        for d, ss in days.items()
        if any(s.key_run for s in ss) and any(s.kind == "strength" for s in ss)
    ]
    assert stacked  # hard days hard: the check above had something to check
    for _, sessions in stacked:
        run = next(s for s in sessions if s.key_run)
        lift = next(s for s in sessions if s.kind == "strength")
        assert lift.start >= run.end + timedelta(hours=6)
        assert "run first" in lift.description


def test_L3_lift_first_athletes_get_no_strength_on_key_run_days() -> None:
    req = block_request(same_day_order=SameDayOrder.LIFT_FIRST)
    plan = build_plan(req)
    for sessions in by_day(plan).values():
        if any(s.key_run for s in sessions):
            assert not any(s.kind == "strength" for s in sessions)


def test_L3_day_after_the_long_run_is_upper_body_only() -> None:
    # Monday evening is the only time left for strength, and Monday follows the long run: the
    # Tuesday and Thursday windows hold an easy run and no strength session, not even the short
    # one.
    run_only = (TimeWindow(time(6, 0), time(7, 0)),)
    windows = (
        (TimeWindow(time(18, 0), time(20, 0)),),
        run_only,
        (),
        run_only,
        (),
        (),
        (TimeWindow(time(7, 0), time(9, 0)),),
    )
    req = request(athlete(run_days=(1, 3, 6), windows=windows, weekly_km=25), (), TODAY, 2)
    plan = build_plan(req)
    runs = [
        s for s in plan.sessions if s.kind == "run" and s.start.astimezone(TZ).weekday() in (1, 3)
    ]
    assert len(runs) == 4
    assert all(s.end - s.start > timedelta(minutes=30) for s in runs)
    mondays = [
        s
        for s in plan.sessions
        if s.kind == "strength" and s.start.astimezone(TZ).weekday() == 0 and s.week > TODAY
    ]
    assert mondays
    for s in mondays:
        assert not s.heavy_lower
        assert "upper body" in s.title
        assert "L3" in s.rules
    assert check_L3(plan, req) == []


def test_L4_no_two_hard_days_back_to_back() -> None:
    req = block_request()
    plan = build_plan(req)
    assert check_L4(plan, req) == []
    hard = sorted(hard_days(plan, req))
    assert len(hard) > 20


def test_L5_busy_time_and_windows_are_respected() -> None:
    tue = TODAY + timedelta(days=1)
    busy = (busy_at(tue, time(5, 0), time(9, 0)), busy_at(tue, time(17, 0), time(19, 0)))
    req = request(athlete(), (race("m", MARATHON),), TODAY, 2, busy=busy)
    plan = build_plan(req)
    assert check_L5(plan, req) == []
    tuesday = [s for s in plan.sessions if s.start.astimezone(TZ).date() == tue]
    assert all(s.start.astimezone(TZ).time() >= time(19, 0) for s in tuesday)
    assert any("L5" in s.rules for s in plan.sessions)


def test_L6_seven_run_days_still_leave_a_full_rest_day() -> None:
    req = request(athlete(run_days=tuple(range(7))), (), TODAY, 2)
    plan = build_plan(req)
    assert check_L6(plan, req) == []
    assert any(w.rule == "L6" for w in plan.warnings)


def test_L7_strength_prefers_easy_run_days() -> None:
    req = block_request()
    plan = build_plan(req)
    days = by_day(plan)
    lifts = [s for s in plan.sessions if s.kind == "strength"]
    on_run_days = [
        s for s in lifts if any(o.kind == "run" for o in days[s.start.astimezone(TZ).date()])
    ]
    assert len(on_run_days) >= 0.8 * len(lifts)
    assert any("L7" in s.rules for s in lifts)


def test_L8_previous_placement_is_kept_and_only_the_blocked_session_moves() -> None:
    req = block_request()
    first = build_plan(req)
    victim = next(s for s in first.sessions if s.kind == "strength" and s.week > TODAY)
    busy = (Interval(victim.start - timedelta(minutes=15), victim.end),)
    again = build_plan(replace(req, busy=busy, previous=first.sessions))
    before = {s.key: s.start for s in first.sessions}
    after = {s.key: s.start for s in again.sessions}
    moved = {k for k in before if after.get(k) != before[k]}
    assert victim.key in moved
    assert len(moved) <= 3  # the blocked session and at most its neighbours in that week
    kept = next(s for s in again.sessions if s.key not in moved and s.kind == "strength")
    assert "L8" in kept.rules


def test_L9_pinned_sessions_stay_and_deleted_ones_are_not_placed() -> None:
    req = block_request()
    first = build_plan(req)
    strength = [s for s in first.sessions if s.kind == "strength" and s.week > TODAY]
    pinned, deleted = strength[0], strength[1]
    moved_to = Interval(pinned.start + timedelta(hours=1), pinned.end + timedelta(hours=1))
    again = build_plan(
        replace(req, pinned=((pinned.key, moved_to),), deleted=frozenset({deleted.key}))
    )
    got = again.session(pinned.key)
    assert got is not None
    assert (got.start, got.end) == (moved_to.start, moved_to.end)
    assert "L9" in got.rules
    assert again.session(deleted.key) is None


def test_L10_impossible_weeks_drop_lowest_value_first_with_a_warning() -> None:
    short = (TimeWindow(time(6, 0), time(6, 45)),)
    windows = (short,) * 5 + (WEEKEND_WINDOWS,) * 2
    req = request(athlete(windows=windows, weekly_km=60), (race("m", MARATHON),), TODAY, 4)
    plan = build_plan(req)
    warnings = [w for w in plan.warnings if "dropped" in w.message]
    assert warnings
    assert all(w.rule.startswith(("L", "P")) for w in warnings)
    kept_long = [s for s in plan.sessions if s.slot == "long"]
    assert len(kept_long) == 4  # key runs survive; what goes is the lower-value work
    _ = WEEKDAY_WINDOWS
