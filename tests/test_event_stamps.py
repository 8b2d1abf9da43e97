"""DTSTAMP and SEQUENCE on the sessions racecal writes (RFC 5545 3.8.7.2, 3.8.7.4), through
real passes on the example athlete's .ics training file. Seen: every session carried a DTSTAMP
of its own day at midnight, in the future for every session not yet done, which calendar apps
that compare stamps read as an update from the future."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from service.config.load import AthleteConfig
from service.store.database import Store
from service.sync.engine import run_pass
from tests.support import example_store, move_race

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def stamps(entry: AthleteConfig) -> dict[str, tuple[datetime, int]]:
    """Each session's (DTSTAMP, SEQUENCE) as the file holds it."""
    calendar = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    return {
        str(e["X-RACECAL-SESSION"]): (e.decoded("DTSTAMP"), int(e.get("SEQUENCE", 0)))
        for e in calendar.walk("VEVENT")
        if "X-RACECAL-SESSION" in e
    }


def setup(tmp_path: Path) -> tuple[Store, AthleteConfig]:
    store, entry = example_store(tmp_path)
    return store, entry


def test_sessions_are_stamped_when_written_and_counted_when_changed(tmp_path: Path) -> None:
    store, entry = setup(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    run_pass(store, entry, NOW)
    written = stamps(entry)
    assert written
    for stamp, sequence in written.values():
        assert before <= stamp <= datetime.now(UTC)  # the time of the write, never ahead
        assert sequence == 0

    # A pass with nothing new rewrites nothing: stamps and sequences stay as they were.
    run_pass(store, entry, NOW)
    assert stamps(entry) == written

    # The A race moves a week: the sessions racecal changes count one more and carry the
    # time of that write; any others are left as they were.
    move_race(entry, "Hamburg Marathon [A]", 7)
    moved_at = datetime.now(UTC).replace(microsecond=0)
    run_pass(store, entry, NOW)
    after = stamps(entry)
    changed = [k for k in written if k in after and after[k] != written[k]]
    assert changed
    for key in changed:
        stamp, sequence = after[key]
        assert sequence == written[key][1] + 1
        assert moved_at <= stamp <= datetime.now(UTC)
    for key in set(after) - set(written):  # sessions new to the plan start at 0
        assert after[key][1] == 0

    # The athlete retitles one in their app, which stamps it its own way: it is theirs, and
    # the next pass (the race moved back) changes neither its stamp nor its count.
    key = changed[0]
    calendar = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    for event in calendar.walk("VEVENT"):
        if str(event.get("X-RACECAL-SESSION")) == key:
            event["SUMMARY"] = "Easy with Anna"
            event["DTSTAMP"] = icalendar.vDDDTypes(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    entry.output_ics.write_bytes(calendar.to_ical())
    move_race(entry, "Hamburg Marathon [A]", -7)
    run_pass(store, entry, NOW)
    assert stamps(entry)[key] == (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), after[key][1])
