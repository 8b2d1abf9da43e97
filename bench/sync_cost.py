"""Sync cost on the example athlete: for each scenario, the sessions written (created, updated,
deleted), the minimum a perfect sync could do (sessions whose content or time differ in the
calendar), and the wall time of the pass. Target: written == minimum everywhere; a no-change
pass under 50 ms. Usage: python bench/sync_cost.py
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from connectors.ics import IcsFileCalendar
from service.config.load import AthleteConfig, load_config
from service.store.database import Store
from service.sync.engine import PassResult, run_pass

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def calendar_state(entry: AthleteConfig) -> dict[str, tuple[str, str, str, str]]:
    if not entry.output_ics.exists():
        return {}
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    return {
        str(e["X-RACECAL-SESSION"]): (
            str(e["SUMMARY"]),
            str(e.get("DESCRIPTION", "")),
            e.start.isoformat(),
            e.end.isoformat(),
        )
        for e in cal.walk("VEVENT")
        if "X-RACECAL-SESSION" in e
    }


def minimum(before: dict[str, tuple[str, ...]], after: dict[str, tuple[str, ...]]) -> int:
    keys = set(before) | set(after)
    return sum(1 for k in keys if before.get(k) != after.get(k))


def move_a_race(entry: AthleteConfig, days: int) -> None:
    path = entry.race_ics[0]
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    for event in cal.walk("VEVENT"):
        if "[A]" in str(event["SUMMARY"]):
            start, end = event.start, event.end
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start + timedelta(days=days))
            event.add("dtend", end + timedelta(days=days))
    path.write_bytes(cal.to_ical())


def busy_on_a_session(entry: AthleteConfig) -> None:
    state = calendar_state(entry)
    key = sorted(k for k in state if "strength" in k)[4]
    start = datetime.fromisoformat(state[key][2])
    path = entry.busy_ics[0]
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    event = icalendar.Event()
    event.add("uid", "bench-busy@racecal")
    event.add("summary", "Dentist")
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(hours=1))
    event.add("dtstamp", NOW)
    cal.add_component(event)
    path.write_bytes(cal.to_ical())


def measure(
    store: Store, entry: AthleteConfig, calendar: IcsFileCalendar, dry_run: bool = False
) -> tuple[PassResult, int, float]:
    before = calendar_state(entry)
    started = time.perf_counter()
    result = run_pass(store, entry, NOW, calendar, dry_run=dry_run)
    took = (time.perf_counter() - started) * 1000
    return result, minimum(before, calendar_state(entry)), took


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shutil.copy(ROOT / "config.example.toml", base / "config.toml")
        shutil.copytree(ROOT / "examples", base / "examples")
        config = load_config(base / "config.toml")
        store = Store.open(config.service.database_url, base)
        store.upgrade()
        entry = config.athletes[0]
        # As in the daemon: one connector for the athlete across passes.
        calendar = IcsFileCalendar(entry.output_ics)
        scenarios = (
            ("first sync", lambda: None),
            ("no change", lambda: None),
            ("A race moved by one week", lambda: move_a_race(entry, 7)),
            ("busy event on a session's slot", lambda: busy_on_a_session(entry)),
        )
        print(
            f"{'scenario':32} {'created':>7} {'updated':>7} {'deleted':>7} {'written':>7} "
            f"{'minimum':>7} {'ms':>7}"
        )
        for name, change in scenarios:
            change()
            result, least, took = measure(store, entry, calendar)
            assert result.error is None, result.error
            print(
                f"{name:32} {result.created:7} {result.updated:7} {result.deleted:7} "
                f"{result.writes:7} {least:7} {took:7.1f}"
            )
        print(f"\n{'quiet pass (median of 15)':32} {'ms':>7} {'actions':>7}")
        quiet = (
            ("kept connector", lambda: calendar, False),
            ("after a restart", lambda: IcsFileCalendar(entry.output_ics), False),
            ("dry run", lambda: calendar, True),
        )
        for name, connector, dry in quiet:
            runs = [measure(store, entry, connector(), dry) for _ in range(15)]
            assert all(r.error is None and r.writes == 0 for r, _, _ in runs)
            took = statistics.median(ms for _, _, ms in runs)
            print(f"{name:32} {took:7.1f} {len(runs[-1][0].actions):7}")


if __name__ == "__main__":
    main()
