"""Bad and awkward input: each gives a plan or a one-line PlanError naming the problem."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.check import check_L5
from scheduler.model import PlanError, Priority, TimeWindow
from scheduler.plan import build_plan
from tests.support import athlete, race, request, violations

TODAY = date(2027, 1, 11)


def plan_ok(req):  # type: ignore[no-untyped-def]
    plan = build_plan(req)
    assert violations(plan, req) == []
    return plan


def test_race_in_the_past_is_ignored_beyond_its_recovery() -> None:
    plan = plan_ok(request(athlete(), (race("old", TODAY - timedelta(weeks=8)),), TODAY, 4))
    assert {w.phase.value for w in plan.weeks} == {"offseason"}


def test_recent_past_A_race_still_gives_recovery() -> None:
    plan = plan_ok(request(athlete(), (race("m", TODAY - timedelta(days=1)),), TODAY, 3))
    assert [w.phase.value for w in plan.weeks] == ["recovery", "recovery", "offseason"]


def test_race_today_is_race_week_with_nothing_on_race_day() -> None:
    plan = plan_ok(request(athlete(), (race("m", TODAY, 10.0),), TODAY, 2))
    assert plan.weeks[0].rel == 0
    tz = ZoneInfo("Europe/Berlin")
    assert not [s for s in plan.sessions if s.start.astimezone(tz).date() == TODAY]


def test_two_races_on_one_day_plan_for_the_longer() -> None:
    day = TODAY + timedelta(weeks=14, days=6)
    races = (race("half", day, 21.1), race("full", day, 42.195))
    plan = plan_ok(request(athlete(), races, TODAY, 16))
    assert {w.anchor for w in plan.weeks if w.rel is not None} == {"full"}
    assert any(w.rule == "P6" and "two A races" in w.message for w in plan.warnings)


def test_race_400_days_away_is_offseason_now() -> None:
    plan = plan_ok(request(athlete(), (race("far", TODAY + timedelta(days=400)),), TODAY, 12))
    assert {w.phase.value for w in plan.weeks} == {"offseason"}
    assert all(s.key.startswith("offseason/") for s in plan.sessions)


def test_two_run_days_is_a_one_line_error() -> None:
    with pytest.raises(PlanError, match=r"2 run days; racecal plans 3-7 \(R1\)") as err:
        build_plan(request(athlete(run_days=(2, 6), long_run_day=6), (), TODAY))
    assert "\n" not in str(err.value)


def test_no_window_long_enough_is_a_one_line_error() -> None:
    tiny = ((TimeWindow(time(6, 0), time(6, 20)),),) * 7
    with pytest.raises(PlanError, match="no time window is 30 minutes or longer") as err:
        build_plan(request(athlete(windows=tiny), (), TODAY))
    assert "\n" not in str(err.value)


def test_unknown_timezone_is_a_one_line_error() -> None:
    with pytest.raises(PlanError, match="unknown timezone 'Mars/Olympus_Mons'"):
        build_plan(request(athlete(tz="Mars/Olympus_Mons"), (), TODAY))


@pytest.mark.parametrize(
    ("tz", "monday"),
    [
        ("Europe/Berlin", date(2027, 3, 22)),  # clocks go forward Sunday 2027-03-28
        ("Europe/Berlin", date(2027, 10, 25)),  # clocks go back Sunday 2027-10-31
        ("America/New_York", date(2027, 3, 8)),  # forward Sunday 2027-03-14
        ("America/New_York", date(2027, 11, 1)),  # back Sunday 2027-11-07
    ],
)
def test_dst_weeks_keep_wall_clock_windows_and_real_durations(tz: str, monday: date) -> None:
    a = athlete(tz=tz)
    req = request(a, (race("m", monday + timedelta(weeks=10, days=6)),), monday, 2)
    plan = plan_ok(req)
    zone = ZoneInfo(tz)
    assert check_L5(plan, req) == []
    sunday = [s for s in plan.sessions if s.start.astimezone(zone).date() == monday + timedelta(6)]
    assert sunday
    for s in plan.sessions:
        local = s.start.astimezone(zone)
        assert local.minute % 15 == 0
        assert (s.end - s.start) >= timedelta(minutes=20)
        # Real elapsed minutes: UTC difference equals the wall-clock difference except across a
        # change, which no session spans (all windows avoid 02:00-03:00).
        wall = s.end.astimezone(zone).replace(tzinfo=None) - local.replace(tzinfo=None)
        assert wall == s.end - s.start


def test_bad_race_priority_mix_still_plans() -> None:
    races = tuple(
        race(f"r{i}", TODAY + timedelta(days=3 * i), 5.0 + i, p)
        for i, p in enumerate([Priority.C, Priority.B, Priority.A, Priority.A, Priority.C])
    )
    plan_ok(request(athlete(), races, TODAY, 6))


def test_weeks_out_of_range_is_a_one_line_error() -> None:
    with pytest.raises(PlanError, match="weeks must be 1-104"):
        build_plan(replace(request(athlete(), (), TODAY), weeks=0))
