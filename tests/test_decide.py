"""Compute, then act: real plans written to the in-memory calendar through `judge`, `decide`
and the one executor (with a real store); the athlete's moves and deletions survive, unchanged
input costs no writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from connectors.base import RemoteEvent, SessionEvent, managed_id
from connectors.memory import MemoryCalendar
from scheduler.model import Interval, Plan, PlanRequest
from scheduler.plan import build_plan, zone
from service.store import state
from service.store.database import Store
from service.store.payload import from_payload, to_payload
from service.sync.decide import Action, Create, Delete, Seen, Update, decide, judge
from service.sync.engine import run_pass
from service.sync.execute import Tally, apply
from tests.support import athlete, example_store, race, request

TODAY = date(2026, 12, 7)
NOW = datetime.combine(TODAY, time(0), tzinfo=UTC)
FAR = datetime(2030, 1, 1, tzinfo=UTC)
TZ = zone("Europe/Berlin")


def desired(plan: Plan) -> dict[str, SessionEvent]:
    return {
        s.key: SessionEvent(managed_id("t", s.key), s.key, s.title, s.description, s.start, s.end)
        for s in plan.sessions
    }


def remote(calendar: MemoryCalendar) -> dict[str, RemoteEvent]:
    return {e.id: e for e in calendar.events(NOW - timedelta(days=400), FAR)}


def base_request(race_day: date) -> PlanRequest:
    return request(athlete(), (race("m", race_day),), TODAY, 20)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open("sqlite:///var/racecal.db", tmp_path)
    opened.upgrade()
    return opened


def sync(
    store: Store, calendar: MemoryCalendar, req: PlanRequest, now: datetime = NOW
) -> tuple[list[Action], Seen]:
    """One pass the engine's way, on a hand-made request: judge, plan around the athlete's
    sessions, decide, and apply through the one executor."""
    snapshot = state.load(store, "t")
    seen = judge(snapshot, remote(calendar), now, TZ)
    previous = tuple(p for r in snapshot.managed.values() if (p := from_payload(r.payload)))
    plan = build_plan(
        replace(
            req,
            previous=previous,
            pinned=tuple((k, Interval(*v)) for k, v in sorted(seen.pinned().items())),
            deleted=seen.deleted(),
        )
    )
    actions = decide(desired(plan), seen, now)
    payloads = {s.key: to_payload(s) for s in plan.sessions}
    apply(store, "t", calendar, actions, now, Tally(), payloads)
    return actions, seen


def writes(actions: list[Action]) -> list[Action]:
    return [a for a in actions if isinstance(a, Create | Update | Delete)]


def test_first_pass_creates_everything_and_a_second_pass_writes_nothing(store: Store) -> None:
    calendar = MemoryCalendar()
    req = base_request(TODAY + timedelta(weeks=14, days=6))
    actions, _ = sync(store, calendar, req)
    assert writes(actions)
    assert all(isinstance(a, Create) for a in writes(actions))
    assert len(remote(calendar)) == len(writes(actions))
    before = state.load(store, "t").managed
    again, _ = sync(store, calendar, req)
    assert again == []
    assert state.load(store, "t").managed == before


def test_moved_race_updates_in_place_and_never_recreates_a_key(store: Store) -> None:
    calendar = MemoryCalendar()
    day = TODAY + timedelta(weeks=14, days=6)
    sync(store, calendar, base_request(day))
    ids_before = {k: w.remote_id for k, w in state.load(store, "t").managed.items()}
    actions, _ = sync(store, calendar, base_request(day + timedelta(days=14)))
    after = state.load(store, "t").managed
    created = {a.event.session_key for a in actions if isinstance(a, Create)}
    deleted = {a.key for a in actions if isinstance(a, Delete)}
    assert not created & deleted  # a moved session is an update, never delete + create
    updates = [a for a in actions if isinstance(a, Update)]
    assert updates
    for action in updates:
        assert action.event.id == ids_before[action.event.session_key]
    assert {k: w.remote_id for k, w in after.items() if k in ids_before} == {
        k: v for k, v in ids_before.items() if k in after
    }


def test_athlete_moves_and_deletions_survive_later_passes(store: Store) -> None:
    calendar = MemoryCalendar()
    req = base_request(TODAY + timedelta(weeks=14, days=6))
    sync(store, calendar, req)
    written = state.load(store, "t").managed
    lifts = sorted((w for w in written.values() if "strength" in w.key), key=lambda w: w.start)
    moved, gone = lifts[3], lifts[5]
    held = remote(calendar)[moved.remote_id]
    calendar.put(
        replace(held, start=held.start + timedelta(hours=1), end=held.end + timedelta(hours=1))
    )
    calendar.remove(gone.remote_id)
    actions, seen = sync(store, calendar, req)
    assert moved.key in seen.pinned()
    assert gone.key in seen.deleted()
    touched = {a.key for a in writes(actions)}  # type: ignore[union-attr]
    assert moved.key not in touched
    assert gone.key not in touched
    assert remote(calendar)[moved.remote_id].start == held.start + timedelta(hours=1)
    assert gone.remote_id not in remote(calendar)
    again, _ = sync(store, calendar, req)
    assert again == []


def test_history_is_never_changed(store: Store) -> None:
    calendar = MemoryCalendar()
    day = TODAY + timedelta(weeks=10, days=6)
    sync(store, calendar, base_request(day))
    written = state.load(store, "t").managed
    later = NOW + timedelta(days=10)
    moved = replace(base_request(day + timedelta(days=7)), today=TODAY + timedelta(days=10))
    actions, _ = sync(store, calendar, moved, now=later)
    assert writes(actions)
    for action in writes(actions):
        key = action.key  # type: ignore[union-attr]
        if key in written:
            assert written[key].start >= later


class ChangesUnderTheFirstWrite(MemoryCalendar):
    """Another client (the athlete's phone) edits an event just before racecal's first update:
    racecal's etag is stale for that one write."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        if self.armed:
            self.armed = False
            held = self._events[event.id]
            self.put(replace(held, title=held.title + " (edited on the phone)"))
        return super().update(event, etag)


def test_a_conflict_rereads_and_rediffs_instead_of_overwriting(tmp_path: Path) -> None:
    store, entry = example_store(tmp_path)
    calendar = ChangesUnderTheFirstWrite()
    now = datetime(2027, 1, 11, 4, 0, tzinfo=UTC)
    assert run_pass(store, entry, now, calendar).error is None
    races = entry.race_ics[0]
    races.write_bytes(races.read_bytes().replace(b"20270425T", b"20270502T"))
    calendar.armed = True
    result = run_pass(store, entry, now, calendar)
    assert result.error is None
    assert result.updated > 0
    assert not calendar.armed  # the phone's edit really landed between read and write
    # The stale write was refused, the pass re-read and re-diffed, and the calendar converged:
    assert run_pass(store, entry, now, calendar).writes == 0


def test_payload_round_trips_a_placed_session() -> None:
    plan = build_plan(base_request(TODAY + timedelta(weeks=14, days=6)))
    for session in plan.sessions[:20]:
        back = from_payload(to_payload(session))
        assert back == replace(session, origin="kept")
    assert from_payload("{not json") is None
