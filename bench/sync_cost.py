"""Sync cost on the example athlete: for each scenario, the sessions written (created, updated,
deleted), the minimum a perfect sync could do (sessions whose content or time differ in the
calendar), and the wall time of the pass. Then the quiet pass: kept across passes (the
daemon), after a restart (nothing in memory: what a new process has) and as a dry run, with
the files it opened; a restart then a quiet pass on Google (the local Calendar v3 server) and
CalDAV (a real Radicale), requests counted at the server; and the CPU a quiet `racecal sync
--once` of 100 .ics athletes costs per athlete, in a new process.

Targets: written == minimum everywhere; a no-change pass under 50 ms; after a restart one
request per watched calendar and no write; a fresh process's quiet pass of an .ics athlete
under 2 ms CPU (nothing parsed or planned).

Usage: python bench/sync_cost.py [--athletes 100] [--code DIR]
(--code: run `sync --once` from another checkout, to compare with an earlier version.)
Needs the test extras (the local servers live in tests/).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.calendars import AthleteCalendars  # noqa: E402
from service.config.load import AthleteConfig, load_config  # noqa: E402
from service.store.database import Store  # noqa: E402
from service.sync.engine import PassResult, run_pass  # noqa: E402

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
LATER = NOW + timedelta(hours=3)
# Files the calendar code opened (an audit hook: counted, not intercepted).
OPENED: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and args and str(args[0]).endswith(".ics"):
        OPENED.append(str(args[0]))


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
    store: Store, entry: AthleteConfig, calendars: AthleteCalendars, dry_run: bool = False
) -> tuple[PassResult, int, float, int]:
    before = calendar_state(entry)
    OPENED.clear()
    started = time.perf_counter()
    result = run_pass(store, entry, LATER, calendars, dry_run=dry_run)
    took = (time.perf_counter() - started) * 1000
    opened = len(OPENED)
    return result, minimum(before, calendar_state(entry)), took, opened


def example(base: Path) -> None:
    shutil.copy(ROOT / "config.example.toml", base / "config.toml")
    shutil.copytree(ROOT / "examples", base / "examples")
    config = load_config(base / "config.toml")
    store = Store.open(config.service.database_url, base)
    store.upgrade()
    entry = config.athletes[0]
    # As in the daemon: one set of calendars for the athlete across passes.
    calendars = AthleteCalendars(entry, store=store)
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
        result, least, took, _ = measure(store, entry, calendars)
        assert result.error is None, result.error
        print(
            f"{name:32} {result.created:7} {result.updated:7} {result.deleted:7} "
            f"{result.writes:7} {least:7} {took:7.1f}"
        )
    run_pass(store, entry, LATER, calendars)  # the read back after the last writes
    print(f"\n{'quiet pass (median of 15)':32} {'ms':>7} {'actions':>7} {'planned':>7} opened")
    quiet: tuple[tuple[str, Callable[[], AthleteCalendars], bool], ...] = (
        ("kept calendars (the daemon)", lambda: calendars, False),
        ("after a restart (a new process)", lambda: AthleteCalendars(entry, store=store), False),
        ("dry run", lambda: calendars, True),
    )
    for name, make, dry in quiet:
        runs = [measure(store, entry, make(), dry) for _ in range(15)]
        assert all(r.error is None and r.writes == 0 for r, *_ in runs)
        took = statistics.median(ms for _, _, ms, _ in runs)
        last, *_, opened = runs[-1]
        planned = "no" if last.quiet else "yes"
        print(f"{name:32} {took:7.1f} {len(last.actions):7} {planned:>7} {opened} files")


def restart_google(base: Path) -> None:
    from tests.fakes.google_calendar import FakeGoogleCalendar  # noqa: PLC0415
    from tests.google_world import GoogleWorld  # noqa: PLC0415

    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(fake, base)
        entry, store = world.config(), world.store()
        for _ in range(2):  # the first sync, the read back
            assert run_pass(store, entry, NOW, AthleteCalendars(entry, store=store)).error is None
        before = len(fake.log)
        result = run_pass(store, entry, LATER, AthleteCalendars(entry, store=store))
        sent = [e for e in fake.log[before:] if e.path != "/token"]
        tokens = sum("syncToken" in e.query for e in sent)
        print(
            f"{'Google (primary, Training)':32} {len(sent):8} {2:8} {result.writes:7}   "
            f"{tokens} of {len(sent)} from the stored sync token"
        )


def restart_caldav(base: Path) -> None:
    from tests.caldav_world import World  # noqa: PLC0415
    from tests.radicale_server import Radicale  # noqa: PLC0415

    (base / "radicale").mkdir(parents=True)
    server = Radicale(base / "radicale")
    try:
        server.start()
    except BaseException as exc:  # pytest.skip when radicale is missing
        print(f"{'CalDAV':32} not measured: {exc}")
        return
    try:
        world = World(server, base / "world")
        entry, store = world.config(), world.store()
        for _ in range(2):
            assert run_pass(store, entry, NOW, AthleteCalendars(entry, store=store)).error is None
        before = server.requests
        result = run_pass(store, entry, LATER, AthleteCalendars(entry, store=store))
        sent = server.requests - before
        print(f"{'CalDAV (Races, Personal, Training)':32} {sent:8} {3:8} {result.writes:7}")
    finally:
        server.remove()


def many(base: Path, athletes: int, code: Path) -> None:
    """CPU of a quiet `racecal sync --once` (every file as the last process left it) of
    `athletes` .ics athletes and of one, in new processes: the difference, per athlete."""
    example = (ROOT / "config.example.toml").read_text()
    head, _, athlete = example.partition("[[athletes]]")

    def workspace(count: int) -> Path:
        where = base / f"n{count}"
        where.mkdir(parents=True)
        shutil.copytree(ROOT / "examples", where / "examples")
        blocks = [
            "[[athletes]]"
            + athlete.replace('id = "alex"', f'id = "a{n}"').replace(
                'ics = "var/training.ics"', f'ics = "var/a{n}.ics"'
            )
            for n in range(count)
        ]
        (where / "config.toml").write_text(head + "".join(blocks))
        return where

    def once(where: Path) -> float:
        """CPU seconds (user + system) of one `sync --once`."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "sync", "--once", "--config", "config.toml",
             "--now", LATER.isoformat()],
            cwd=where, env={**os.environ, "PYTHONPATH": str(code)},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr[-2000:]
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    cpu: dict[int, float] = {}
    for count in (1, athletes):
        where = workspace(count)
        started = time.perf_counter()
        once(where)  # the first sync
        once(where)  # the read back
        setup = time.perf_counter() - started
        cpu[count] = statistics.median(once(where) for _ in range(3))
        print(
            f"  sync --once, {count:3} athlete(s): quiet process {cpu[count] * 1000:7.0f} ms "
            f"CPU (first sync and read back took {setup:.0f} s)"
        )
    per = (cpu[athletes] - cpu[1]) / (athletes - 1) * 1000
    print(f"  quiet pass of one more .ics athlete in a new process: {per:.1f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=100)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose racecal runs")
    args = parser.parse_args()
    sys.addaudithook(_audit)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "example").mkdir()
        example(base / "example")
        title = "a restart, then a quiet pass"
        print(f"\n{title:32} {'requests':>8} {'minimum':>8} {'written':>7}")
        restart_google(base / "google")
        restart_caldav(base / "caldav")
        print(f"\nsync --once of .ics athletes, new processes ({args.code}):")
        many(base / "many", args.athletes, args.code)


if __name__ == "__main__":
    main()
