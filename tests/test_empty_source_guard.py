"""The empty-source guard's rules (issue: a race calendar that suddenly reads empty silently
replaced the race plan with an offseason plan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.store.records import SourceMemory
from service.sync.guard import SETTLE, Reading, accept, judge

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
RACES = Reading("races", "races.ics", events=3, races=3)


def test_a_source_seen_first_sets_its_baseline() -> None:
    verdict = judge((RACES,), {}, NOW)
    assert not verdict.hold
    assert verdict.state["races:races.ics"] == SourceMemory(3, 3)


def test_race_source_reading_empty_holds_the_plan_and_names_the_source() -> None:
    verdict = judge((Reading("races", "races.ics", 0, 0),), {RACES.key: SourceMemory(3, 3)}, NOW)
    assert verdict.hold
    (line,) = verdict.held
    assert "races.ics reads empty" in line
    assert "racecal sync --once --accept-empty ATHLETE" in line
    assert "\n" not in line
    assert verdict.state[RACES.key].empty_since == NOW


def test_every_race_gone_but_other_events_left_still_holds() -> None:
    reading = Reading("races", "family.ics", events=40, races=0)
    verdict = judge((reading,), {reading.key: SourceMemory(42, 2)}, NOW)
    assert verdict.hold
    assert "holds no race any more" in verdict.held[0]


def test_removing_one_race_of_several_goes_on_at_once() -> None:
    verdict = judge((Reading("races", "races.ics", 2, 2),), {RACES.key: SourceMemory(3, 3)}, NOW)
    assert not verdict.hold


def test_empty_busy_calendar_holds_too() -> None:
    reading = Reading("busy", "work.ics", events=0)
    assert judge((reading,), {reading.key: SourceMemory(120, 0)}, NOW).hold


def test_a_source_that_was_empty_and_stays_empty_goes_on() -> None:
    reading = Reading("races", "new.ics", 0, 0)
    assert not judge((reading,), {reading.key: SourceMemory(0, 0)}, NOW).hold


def test_the_hold_lasts_until_the_empty_reading_settles() -> None:
    empty = Reading("races", "races.ics", 0, 0)
    state = judge((empty,), {RACES.key: SourceMemory(3, 3)}, NOW).state
    later = judge((empty,), state, NOW + SETTLE - timedelta(minutes=1))
    assert later.hold
    assert later.state[RACES.key].empty_since == NOW  # the clock runs from the first sighting
    settled = judge((empty,), later.state, NOW + SETTLE)
    assert not settled.hold
    assert settled.state[RACES.key] == SourceMemory(0, 0)  # empty is the new baseline


def test_accepting_lets_the_next_pass_go_on_and_resets_the_baseline() -> None:
    empty = Reading("races", "races.ics", 0, 0)
    state = judge((empty,), {RACES.key: SourceMemory(3, 3)}, NOW).state
    verdict = judge((empty,), accept(state), NOW + timedelta(minutes=5))
    assert not verdict.hold
    assert verdict.state[RACES.key] == SourceMemory(0, 0)


def test_a_source_that_comes_back_clears_the_hold() -> None:
    empty = Reading("races", "races.ics", 0, 0)
    state = judge((empty,), {RACES.key: SourceMemory(3, 3)}, NOW).state
    back = judge((RACES,), state, NOW + timedelta(minutes=5))
    assert not back.hold
    assert back.state[RACES.key] == SourceMemory(3, 3)


readings = st.builds(
    Reading,
    role=st.sampled_from(["races", "busy"]),
    locator=st.sampled_from(["a.ics", "b.ics", "c.ics"]),
    events=st.integers(0, 5),
    races=st.integers(0, 5),
)
memories = st.dictionaries(
    st.sampled_from(["races:a.ics", "busy:a.ics", "races:b.ics", "busy:c.ics"]),
    st.builds(SourceMemory, events=st.integers(0, 5), races=st.integers(0, 5)),
)


@given(st.lists(readings, max_size=4, unique_by=lambda r: r.key), memories)
def test_only_a_source_that_lost_everything_it_had_can_hold(
    found: list[Reading], remembered: dict[str, SourceMemory]
) -> None:
    verdict = judge(tuple(found), remembered, NOW)
    lost = [
        r
        for r in found
        if (before := remembered.get(r.key)) is not None
        and (
            (before.events > 0 and r.events == 0)
            or (r.role == "races" and before.races > 0 and r.races == 0)
        )
    ]
    assert len(verdict.held) == len(lost)
    assert set(verdict.state) == {r.key for r in found}
    # Accepting everything held lets the very next pass through.
    assert not judge(tuple(found), accept(verdict.state), NOW).hold
