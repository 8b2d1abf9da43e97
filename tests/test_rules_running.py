"""The running block (R4, R5, R9, R10, P2, P5, P7-P11): defects seen in random plans, each named
after what was seen, and the rules that fixed them, read from the plan's output."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.model import Phase, Priority
from scheduler.plan import build_plan
from scheduler.races import resolve_priorities
from tests.support import athlete, race, request

TODAY = date(2026, 12, 7)  # a Monday


def test_an_unmarked_A_race_stops_being_A_the_day_after_it_is_run() -> None:
    marathon_day = TODAY + timedelta(weeks=16, days=6)
    unmarked = {"priority_explicit": False}
    races = (
        race("m", marathon_day, 42.195, **unmarked),
        race("h", marathon_day + timedelta(weeks=12), 21.1, **unmarked),
    )
    before = {r.uid: r.priority for r in resolve_priorities(races, marathon_day)}
    day_after = marathon_day + timedelta(days=1)
    after = {r.uid: r.priority for r in resolve_priorities(races, day_after)}
    assert before["m"] is Priority.A
    assert after["m"] is Priority.A  # it keeps the priority it had while it lay ahead
    assert after["h"] is Priority.A  # and the next race is A now that nothing longer is ahead
    plan = build_plan(request(athlete(), resolve_priorities(races, day_after), day_after, 3))
    assert [w.phase for w in plan.weeks[:2]] == [Phase.RECOVERY, Phase.RECOVERY]
    runs = [s for s in plan.sessions if s.kind == "run"]
    assert runs
    assert not any(s.key_run for s in runs if s.phase is Phase.RECOVERY)
