"""The athlete's edit rules (L12), each seen defect of issue 10 as a test named after it, on the
example athlete: a real .ics training file or the in-memory calendar, a real SQLite store, each
pass in process or through the procrastinate queue (on PostgreSQL).

Any change the athlete makes to a racecal event makes it theirs, whatever state the store row
is in; an event holding one of racecal's own earlier writes is racecal's; counts are writes
that happened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from connectors.base import Capabilities, Conflict, RemoteEvent, SessionEvent, Unavailable
from connectors.memory import MemoryCalendar
from scheduler.model import Interval
from scheduler.plan import build_plan
from service.config.load import AthleteConfig
from service.daemon.metrics import Metrics
from service.store import state
from service.store.database import Store
from service.sync import engine
from service.sync.decide import Update
from tests.executors import Embedded, Passes
from tests.support import athlete, busy_at, move_race, race, request

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)  # a Monday morning, 15 weeks before Hamburg
A_RACE = "Hamburg Marathon [A]"


@pytest.fixture
def setup(tmp_path: Path, executor: Embedded) -> tuple[Store, AthleteConfig, Passes]:
    return (*executor.example(tmp_path), executor.run_pass)


# -- the .ics training file, edited as a calendar app would ----------------------------------


def sessions_in(entry: AthleteConfig) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    found: dict[str, icalendar.Event] = {}
    for event in cal.walk("VEVENT"):
        if "X-RACECAL-SESSION" in event:
            key = str(event["X-RACECAL-SESSION"])
            assert key not in found, f"{key} is in the file twice"
            found[key] = event
    return found


def edit_in_file(entry: AthleteConfig, key: str, change: Callable[[icalendar.Event], None]) -> None:
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    for event in cal.walk("VEVENT"):
        if str(event.get("X-RACECAL-SESSION", "")) == key:
            change(event)
            event["SEQUENCE"] = int(event.get("SEQUENCE", 0)) + 1
    entry.output_ics.write_bytes(cal.to_ical())


def a_session_racecal_would_update(store: Store, entry: AthleteConfig) -> str:
    """A future session the next pass would re-time, asked of a dry run (which writes
    nothing: the pass after it decides afresh)."""
    dry = engine.run_pass(store, entry, NOW, dry_run=True)
    updates = sorted(
        a.key for a in dry.actions if isinstance(a, Update) and a.held.start != a.event.start
    )
    assert updates
    return updates[len(updates) // 2]


def test_retitle_is_an_edit(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: a session the athlete renamed was renamed back on the next pass."""
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    move_race(entry, A_RACE, 7)
    key = a_session_racecal_would_update(store, entry)  # racecal wants this one elsewhere
    before = sessions_in(entry)[key]

    def retitle(event: icalendar.Event) -> None:
        event["SUMMARY"] = "Long run with Sam"

    edit_in_file(entry, key, retitle)
    result = run_pass(store, entry, NOW)
    assert result.error is None
    after = sessions_in(entry)[key]
    assert str(after["SUMMARY"]) == "Long run with Sam"
    assert after.start == before.start  # not re-timed either: it is the athlete's
    assert state.edits(store, entry.athlete.id)[key].changes == ("title",)
    assert run_pass(store, entry, NOW).writes == 0


def test_description_note_is_an_edit(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: a note the athlete added to the description was wiped on the next pass
    ("0 created, 1 updated")."""
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    key = sorted(k for k in sessions_in(entry) if "/w-" in k)[-3]

    def note(event: icalendar.Event) -> None:
        event["DESCRIPTION"] = str(event["DESCRIPTION"]) + "\n\nFelt heavy legs, keep it easy."

    edit_in_file(entry, key, note)
    result = run_pass(store, entry, NOW)
    assert (result.created, result.updated, result.deleted, result.error) == (0, 0, 0, None)
    assert "heavy legs" in str(sessions_in(entry)[key]["DESCRIPTION"])
    assert state.edits(store, entry.athlete.id)[key].changes == ("description",)


def test_location_added_is_an_edit(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: a location the athlete added was lost when racecal re-timed the session."""
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    move_race(entry, A_RACE, 7)
    key = a_session_racecal_would_update(store, entry)

    def locate(event: icalendar.Event) -> None:
        event.add("location", "Stadtpark, north gate")

    edit_in_file(entry, key, locate)
    assert run_pass(store, entry, NOW).error is None
    assert str(sessions_in(entry)[key]["LOCATION"]) == "Stadtpark, north gate"


def test_old_copy_of_training_file_is_not_edits(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: an older training.ics coming back (a backup restored) froze the plan: sessions
    pinned at stale times, the ones made since marked deleted, obsolete ones kept for good.
    Every event in it is one of racecal's own writes: the next pass brings them up to date."""
    store, entry, run_pass = setup
    minute = timedelta(minutes=1)
    run_pass(store, entry, NOW)
    backup = entry.output_ics.read_bytes()
    move_race(entry, A_RACE, 14)
    moved = run_pass(store, entry, NOW + minute)
    assert moved.updated > 10
    assert moved.created  # sessions made after the backup...
    assert moved.deleted  # ...and sessions gone since
    expected = {k: (e.start, str(e["SUMMARY"])) for k, e in sessions_in(entry).items()}
    entry.output_ics.write_bytes(backup)
    restored = run_pass(store, entry, NOW + 2 * minute)
    assert restored.error is None
    assert state.edits(store, entry.athlete.id) == {}
    assert {k: (e.start, str(e["SUMMARY"])) for k, e in sessions_in(entry).items()} == expected
    assert restored.writes == moved.writes  # everything the backup undid, done again
    assert run_pass(store, entry, NOW + 3 * minute).writes == 0


# -- faults, on the in-memory calendar -----------------------------------------------------


class Flaky(MemoryCalendar):
    """The in-memory calendar with a fault at the n-th write, and a count of the writes that
    really happened (the wire's view)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_at: int | None = None
        self.calls = 0
        self.happened = 0
        # Called before the n-th write when set (the athlete's phone, between read and write).
        self.before: tuple[int, Callable[[SessionEvent], None]] | None = None

    def _call(self, event: SessionEvent | None) -> None:
        self.calls += 1
        if self.before is not None and self.before[0] == self.calls and event is not None:
            hook, self.before = self.before[1], None
            hook(event)
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise Unavailable("the server went away")

    def create(self, event: SessionEvent) -> RemoteEvent:
        self._call(event)
        done = super().create(event)
        self.happened += 1
        return done

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        self._call(event)
        done = super().update(event, etag)
        self.happened += 1
        return done

    def delete(self, event_id: str, etag: str | None) -> None:
        self._call(None)
        super().delete(event_id, etag)
        self.happened += 1

    def store_keys(self) -> list[str]:
        return [e.session_key for e in self._events.values() if e.session_key]

    def held(self, key: str) -> RemoteEvent:
        return next(e for e in self._events.values() if e.session_key == key)

    def move(self, key: str, hours: int) -> RemoteEvent:
        """The athlete moves a session in their app."""
        held = self.held(key)
        assert isinstance(held.start, datetime)
        assert isinstance(held.end, datetime)
        shift = timedelta(hours=hours)
        return self.put(replace(held, start=held.start + shift, end=held.end + shift))


def test_move_while_update_pending_is_kept(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: a pass failed after recording its intents, the athlete moved a session whose
    update was pending, and the next pass took the athlete's version for its own write and
    overwrote it."""
    store, entry, run_pass = setup
    calendar = Flaky()
    assert run_pass(store, entry, NOW, calendar).error is None
    move_race(entry, A_RACE, 7)
    calendar.fail_at = calendar.calls + 1  # the first update fails: every intent is pending
    failed = run_pass(store, entry, NOW, calendar)
    assert failed.error is not None
    pending = [m for m in state.load(store, "alex").managed.values() if m.state == "pending_update"]
    assert len(pending) > 10
    key = sorted(m.key for m in pending)[len(pending) // 2]
    calendar.fail_at = None
    moved = calendar.move(key, hours=1)
    result = run_pass(store, entry, NOW, calendar)
    assert result.error is None
    assert result.updated > 10  # the pending writes, done now...
    assert key not in {a.key for a in result.actions if isinstance(a, Update)}  # ...but this
    assert calendar.held(key) == moved  # untouched: the athlete's
    assert "time" in state.edits(store, "alex")[key].changes
    assert run_pass(store, entry, NOW, calendar).writes == 0


def test_move_during_a_pass_is_kept(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen live (another CalDAV client): a move made while a pass was writing was overwritten;
    the pass's write met a changed etag (412), re-read, and took the move for its own."""
    store, entry, run_pass = setup
    calendar = Flaky()
    run_pass(store, entry, NOW, calendar)
    move_race(entry, A_RACE, 7)
    moved: list[RemoteEvent] = []

    def athlete_moves(event: SessionEvent) -> None:
        moved.append(calendar.move(event.session_key, hours=2))

    calendar.before = (calendar.calls + 5, athlete_moves)
    result = run_pass(store, entry, NOW, calendar)
    assert result.error is None
    [mine] = moved
    assert mine.session_key is not None
    assert calendar.held(mine.session_key) == mine
    assert run_pass(store, entry, NOW, calendar).writes == 0


def test_counts_after_failed_pass(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: a failed pass counted writes it only queued."""
    store, entry, run_pass = setup
    calendar = Flaky()
    calendar.fail_at = 8
    metrics = Metrics()
    failed = run_pass(store, entry, NOW, calendar)
    metrics.record(failed, 1.0, 0.0)
    assert failed.error is not None
    assert failed.created == calendar.happened == 7
    assert _written_total(metrics) == 7


def test_counts_after_a_412_retry(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """Seen: a pass retried after a 412 reported "1 updated" after ~89 writes."""
    store, entry, run_pass = setup
    calendar = Flaky()
    run_pass(store, entry, NOW, calendar)
    move_race(entry, A_RACE, 7)
    before = calendar.happened
    calendar.before = (calendar.calls + 30, lambda e: calendar.move(e.session_key, hours=1))
    metrics = Metrics()
    result = run_pass(store, entry, NOW, calendar)
    metrics.record(result, 1.0, 0.0)
    assert result.error is None
    assert result.writes == calendar.happened - before > 29
    assert _written_total(metrics) == result.writes


class Queued(MemoryCalendar):
    """A batching backend: writes inside batch() wait for its end; the send may stop part way
    (the first `cut` writes go through), reporting what went in `written` or not at all."""

    capabilities = Capabilities(writable=True, incremental=True, batches=True)

    def __init__(self, report: bool) -> None:
        super().__init__()
        self.report = report
        self.cut: int | None = None
        self.queue: list[Callable[[], object]] | None = None
        self.written: set[str] = set()

    def batch(self):  # type: ignore[no-untyped-def]
        calendar = self

        class Batch:
            def __enter__(self) -> object:
                calendar.queue, calendar.written = [], set()
                return calendar if calendar.report else None

            def __exit__(self, kind: object, *_: object) -> None:
                queue, calendar.queue = calendar.queue or [], None
                if kind is not None:
                    return
                for n, send in enumerate(queue):
                    if calendar.cut is not None and n >= calendar.cut:
                        raise Unavailable("the batch was cut short")
                    send()

        return Batch()

    def create(self, event: SessionEvent) -> RemoteEvent:
        if self.queue is None:
            return super().create(event)
        self.queue.append(lambda: (super(Queued, self).create(event), self.written.add(event.id)))
        return RemoteEvent(event.id, event.title, event.start, event.end, event.description)


@pytest.mark.parametrize("report", [True, False])
def test_counts_after_failed_batch(
    setup: tuple[Store, AthleteConfig, Passes], report: bool
) -> None:
    """Queued writes count once sent: a batch cut short counts what its backend reports as
    written (nothing when it cannot say), and the next pass settles the rest from the read."""
    store, entry, run_pass = setup
    calendar = Queued(report)
    calendar.cut = 12
    failed = run_pass(store, entry, NOW, calendar)
    assert failed.error is not None
    assert failed.created == (12 if report else 0)
    calendar.cut = None
    healed = run_pass(store, entry, NOW, calendar)
    assert healed.error is None
    assert (
        healed.created
        == len(calendar.events(NOW - timedelta(days=30), NOW + timedelta(days=400))) - 12
    )
    assert run_pass(store, entry, NOW, calendar).writes == 0


def _written_total(metrics: Metrics) -> float:
    return sum(
        metrics.registry.get_sample_value("racecal_events_written_total", {"operation": op}) or 0
        for op in ("created", "updated", "deleted")
    )


def test_a_create_that_meets_an_event_reads_again(
    setup: tuple[Store, AthleteConfig, Passes],
) -> None:
    """An event with racecal's id that the read did not show is read and judged, never written
    over blindly: here the athlete's version of it appeared between read and write."""
    store, entry, run_pass = setup
    calendar = Flaky()

    def appears(event: SessionEvent) -> None:
        calendar.put(
            RemoteEvent(
                event.id,
                "My own run",
                event.start,
                event.end,
                session_key=event.session_key,
            )
        )

    calendar.before = (3, appears)
    result = run_pass(store, entry, NOW, calendar)
    assert result.error is None
    theirs = [e for e in calendar._events.values() if e.title == "My own run"]
    assert len(theirs) == 1
    assert theirs[0].session_key in state.edits(store, "alex")


def test_conflict_is_a_conflict(setup: tuple[Store, AthleteConfig, Passes]) -> None:
    """A calendar that keeps changing under every attempt ends the pass as a conflict, having
    overwritten nothing."""
    store, entry, run_pass = setup
    calendar = Flaky()
    run_pass(store, entry, NOW, calendar)
    move_race(entry, A_RACE, 7)

    class Always(Flaky):
        def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
            raise Conflict("changed again")

    stubborn = Always()
    stubborn._events, stubborn._log, stubborn._version = (
        calendar._events,
        calendar._log,
        calendar._version,
    )
    result = run_pass(store, entry, NOW, stubborn)
    assert result.error_kind == "conflict"
    assert result.writes == 0


# -- the athlete's sessions in the plan (scheduler/pins.py) -----------------------------------


def _monday(moment: datetime) -> date:
    day = moment.astimezone(BERLIN).date()
    return day - timedelta(days=day.weekday())


def test_pinned_session_counts_in_the_week_it_sits() -> None:
    """Seen: a long run the athlete lengthened was pinned; the race then moved a week, and one
    calendar week held two long runs and the next none."""
    today = date(2026, 12, 7)
    day = today + timedelta(weeks=16, days=6)
    req = request(athlete(), (race("m", day),), today, 20)
    plan = build_plan(req)
    longs = sorted((s for s in plan.sessions if s.type == "long"), key=lambda s: s.start)
    mine = longs[len(longs) // 2]
    where = Interval(mine.start, mine.end + timedelta(minutes=30))  # lengthened
    later = (race("m", day + timedelta(days=7)),)
    pinned = build_plan(
        replace(req, races=later, previous=plan.sessions, pinned=((mine.key, where),))
    )
    reference = build_plan(replace(req, races=later))
    per_week = Counter(_monday(s.start) for s in pinned.sessions if s.type == "long")
    assert max(per_week.values()) == 1
    assert set(per_week) == {_monday(s.start) for s in reference.sessions if s.type == "long"}
    kept = pinned.session(mine.key)
    assert kept is not None
    assert (kept.start, kept.end, kept.origin) == (where.start, where.end, "kept")
    assert "L12" in kept.rules
    assert len({s.key for s in pinned.sessions}) == len(pinned.sessions)


def test_pinned_session_breaking_a_hard_rule_warns() -> None:
    """The athlete's version is kept even when it breaks a hard rule (one the rest of the plan
    cannot make way for), and the plan says which, with the rule id."""
    today = date(2026, 12, 7)
    race_day = today + timedelta(weeks=16, days=6)
    lunch = busy_at(race_day - timedelta(days=10), time(12, 0), time(14, 0))
    req = request(athlete(), (race("m", race_day),), today, 20, busy=(lunch,))
    plan = build_plan(req)
    lifts = [s for s in plan.sessions if s.heavy_lower]
    heavy, other = lifts[len(lifts) // 2], lifts[len(lifts) // 2 + 1]
    # Heavy legs three days before the A race (L1), a lift in the busy lunch (L5).
    three_days = datetime.combine(race_day - timedelta(days=3), time(18, 0), tzinfo=BERLIN)
    pins = (
        (heavy.key, Interval(three_days, three_days + (heavy.end - heavy.start))),
        (other.key, Interval(lunch.start, lunch.start + (other.end - other.start))),
    )
    pinned = build_plan(replace(req, previous=plan.sessions, pinned=pins))
    for key, where in pins:
        kept = pinned.session(key)
        assert kept is not None
        assert kept.start == where.start
    rules = {w.rule for w in pinned.warnings if "stays as you left it" in w.message}
    assert {"L1", "L5"} <= rules, pinned.warnings


def test_lengthened_long_run_then_the_race_moved_leaves_one_long_run_a_week(
    setup: tuple[Store, AthleteConfig, Passes],
) -> None:
    """The same, end to end on the training file: the athlete lengthens a long run in their
    calendar app, the race moves a week; every calendar week holds one long run at most, the
    athlete's where they left it."""
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    longs = sorted(
        (e for k, e in sessions_in(entry).items() if k.endswith("/long")), key=lambda e: e.start
    )
    mine = longs[len(longs) // 2]
    key = str(mine["X-RACECAL-SESSION"])

    def lengthen(event: icalendar.Event) -> None:
        end = event.end + timedelta(minutes=30)
        del event["DTEND"]
        event.add("dtend", end)

    edit_in_file(entry, key, lengthen)
    move_race(entry, A_RACE, 7)
    assert run_pass(store, entry, NOW).error is None
    after = sessions_in(entry)
    assert after[key].end == mine.end + timedelta(minutes=30)
    weeks = Counter(
        _monday(e.start) for k, e in after.items() if k.rsplit("/", 1)[1].startswith("long")
    )
    assert max(weeks.values()) == 1, weeks
    assert run_pass(store, entry, NOW).writes == 0


def test_fields_racecal_does_not_own_survive_updates(
    setup: tuple[Store, AthleteConfig, Passes],
) -> None:
    """Seen: an update replaced the whole event, dropping what the athlete or another app had
    put on it. Another app's X- property is no edit and survives racecal re-timing the session;
    a reminder the athlete added makes the session theirs, and once released racecal re-times
    it with the reminder kept."""
    store, entry, run_pass = setup
    minute = timedelta(minutes=1)
    run_pass(store, entry, NOW)
    move_race(entry, A_RACE, 7)
    keys = [
        a.key
        for a in run_pass(store, entry, NOW, dry_run=True).actions
        if isinstance(a, Update) and a.held.start != a.event.start
    ]
    tagged, reminded = keys[len(keys) // 3], keys[2 * len(keys) // 3]
    before = sessions_in(entry)

    def tag(event: icalendar.Event) -> None:
        event.add("X-MOZ-LASTACK", "20270110T120000Z")

    def remind(event: icalendar.Event) -> None:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Shoes!")
        alarm.add("trigger", timedelta(minutes=-30))
        event.add_component(alarm)

    edit_in_file(entry, tagged, tag)
    edit_in_file(entry, reminded, remind)
    assert run_pass(store, entry, NOW + minute).error is None
    after = sessions_in(entry)
    assert after[tagged].start != before[tagged].start  # racecal's: re-timed...
    assert str(after[tagged]["X-MOZ-LASTACK"]) == "20270110T120000Z"  # ...the property kept
    assert after[reminded].start == before[reminded].start  # the athlete's: untouched
    assert state.edits(store, "alex")[reminded].changes == ("reminders",)
    assert state.release(store, "alex", reminded, NOW) is not None
    taken_back = run_pass(store, entry, NOW + 2 * minute)
    assert reminded in {a.key for a in taken_back.actions if isinstance(a, Update)}
    released = sessions_in(entry)[reminded]
    assert released.start != before[reminded].start
    assert [str(a["DESCRIPTION"]) for a in released.walk("VALARM")] == ["Shoes!"]
    assert run_pass(store, entry, NOW + 3 * minute).writes == 0
    assert state.edits(store, "alex") == {}


def test_a_floating_time_on_the_same_clock_is_no_move(
    setup: tuple[Store, AthleteConfig, Passes],
) -> None:
    """An app that rewrites a session without its TZID (a floating time, the same wall clock)
    has not moved it: no edit, nothing to write."""
    store, entry, run_pass = setup
    calendar = Flaky()
    run_pass(store, entry, NOW, calendar)
    key = sorted(k for k in calendar.store_keys() if "/w-" in k)[5]
    held = calendar.held(key)
    assert isinstance(held.start, datetime)
    assert isinstance(held.end, datetime)
    start, end = (v.astimezone(BERLIN).replace(tzinfo=None) for v in (held.start, held.end))
    calendar.put(replace(held, start=start, end=end))
    result = run_pass(store, entry, NOW, calendar)
    assert (result.writes, result.error) == (0, None)
    assert state.edits(store, "alex") == {}
