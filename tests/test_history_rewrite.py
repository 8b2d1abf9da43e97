"""Sessions racecal writes after they started (history carried over from the store) are written
in the athlete's zone, like every other session.

Seen (the sync state machine): training.ics was deleted once the week's first sessions had
started; the next pass wrote the plan anew, and the started sessions, rebuilt from the store,
carried a bare UTC offset: `DTSTART;TZID="UTC+01:00"` with no VTIMEZONE, a floating time to any
reader. The pass after that took racecal's own two writes for athlete moves ("you moved this").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from service.store import state
from service.sync.engine import run_pass
from tests.support import example_store

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)  # a Monday morning, 15 weeks before Hamburg


def test_sessions_rewritten_after_they_started_keep_the_athletes_zone(tmp_path: Path) -> None:
    store, entry = example_store(tmp_path)
    assert run_pass(store, entry, NOW).error is None
    later = NOW + timedelta(days=2, hours=1)  # Wednesday: Monday's and Tuesday's are history
    assert run_pass(store, entry, later).writes == 0
    entry.output_ics.unlink()
    again = run_pass(store, entry, later)
    assert again.error is None
    calendar = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    started = 0
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            tzid = event[name].params.get("TZID")
            assert tzid is None or tzid in zones, f"{event['SUMMARY']}: {name} in {tzid}"
            assert event.decoded(name).tzinfo is not None, f"{event['SUMMARY']}: floating"
        started += event.decoded("DTSTART") < later
    assert started >= 2  # the started sessions were written anew too
    quiet = run_pass(store, entry, later)
    assert quiet.error is None
    assert quiet.writes == 0
    assert state.edits(store, "alex") == {}  # racecal's own writes are not the athlete's
