"""Google sync cost against the local Calendar v3 server with added latency per request: HTTP
requests and wall time of the first sync, a no-change pass and a moved race, for one athlete
and for many in one process (passes run on a thread pool, as the daemon's scheduler does), and
no-change athlete passes per second.

Targets: requests == the minimum in every scenario (first sync: the race calendar's list, the
training calendar's creation and list, one batch per 50 sessions; no change: one list per
watched calendar; moved race: the lists plus one batch per 50 changed sessions); at least 100
no-change athlete passes per second on the 2-core machine.

Usage: python bench/google_sync.py [--athletes 500] [--concurrency 16] [--latency-ms 20]
Needs the test extras (the local server is tests/fakes/google_calendar.py).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.calendars import AthleteCalendars  # noqa: E402
from service.store.database import Store  # noqa: E402
from service.sync.engine import PassResult, run_pass  # noqa: E402
from tests.fakes.google_calendar import FakeGoogleCalendar  # noqa: E402
from tests.google_world import GoogleWorld  # noqa: E402

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
WATCHED = 2  # primary (races and busy time) and Training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20)
    args = parser.parse_args()
    with (
        FakeGoogleCalendar(latency_ms=args.latency_ms) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        print(f"google_sync: {args.latency_ms:g} ms added per request")
        one(fake, Path(tmp) / "one")
        many(fake, Path(tmp) / "many", args.athletes, args.concurrency)


def api_requests(fake: FakeGoogleCalendar) -> int:
    """Calendar API requests so far; the OAuth token refresh (once an hour) is not one."""
    return sum(entry.path != "/token" for entry in fake.log)


def timed_pass(
    calendars: AthleteCalendars, fake: FakeGoogleCalendar
) -> tuple[PassResult, int, float]:
    store = calendars.store
    assert store is not None
    sent = api_requests(fake)
    started = time.perf_counter()
    result = run_pass(store, calendars.entry, NOW, calendars)
    took = (time.perf_counter() - started) * 1000
    assert result.error is None, result.error
    return result, api_requests(fake) - sent, took


def one(fake: FakeGoogleCalendar, base: Path) -> None:
    world = GoogleWorld(fake, base, athlete="solo")
    calendars = AthleteCalendars(world.config(), store=world.store())
    row = "    {:<20}{:4d} ({:4d})    {:6.0f}   {}"
    print("  1 athlete:            requests (minimum)   ms   written")
    first, sent, took = timed_pass(calendars, fake)
    # primary's list, the calendar's creation, Training's list, one batch per 50 sessions
    minimum = 3 + math.ceil(first.writes / 50)
    print(row.format("first sync", sent, minimum, took, first.writes))
    _back, sent, took = timed_pass(calendars, fake)
    print(row.format("read back", sent, WATCHED, took, 0))
    _quiet, sent, took = timed_pass(calendars, fake)
    print(row.format("no change", sent, WATCHED, took, 0))
    world.move_race("Hamburg Marathon [A]", days=7)
    moved, sent, took = timed_pass(calendars, fake)
    timed_pass(calendars, fake)  # read back
    minimum = WATCHED + math.ceil(moved.writes / 50)
    print(row.format("A race moved", sent, minimum, took, moved.writes))


def many(fake: FakeGoogleCalendar, base: Path, athletes: int, concurrency: int) -> None:
    worlds = [GoogleWorld(fake, base / f"a{n}", athlete=f"a{n}") for n in range(athletes)]
    # One store for all, as in the daemon.
    store = Store.open("sqlite:///var/racecal.db", base)
    store.upgrade()
    calendars = [AthleteCalendars(world.config(), store=store) for world in worlds]

    # One pool for all rounds: the daemon's worker threads live as long as it does.
    pool = ThreadPoolExecutor(concurrency)

    def run_all() -> tuple[int, float, int]:
        sent = api_requests(fake)
        started = time.perf_counter()
        results = list(pool.map(lambda c: run_pass(c.store, c.entry, NOW, c), calendars))
        failed = sum(r.error is not None for r in results)
        return api_requests(fake) - sent, time.perf_counter() - started, failed

    print(f"  {athletes} athletes, {concurrency} threads:")
    sent, took, failed = run_all()
    print(f"    first sync          {sent} requests in {took:.1f} s, {failed} failed")
    sent, took, failed = run_all()
    print(
        f"    read back           {sent} requests in {took:.2f} s (the pass after a write plans"
        f" again: its own writes come back as changes), {failed} failed"
    )
    sent, took, failed = run_all()
    print(
        f"    no change           {sent} requests ({WATCHED * athletes} minimum) in {took:.2f} s"
        f" = {athletes / took:.0f} athlete passes/s (target >= 100), {failed} failed"
    )
    for world in worlds:
        world.move_race("Hamburg Marathon [A]", days=7)
    sent, took, failed = run_all()
    print(f"    A race moved        {sent} requests in {took:.1f} s, {failed} failed")
    pool.shutdown()


if __name__ == "__main__":
    main()
