"""Daemon memory over many quiet rounds: 100 Google athletes on the local Calendar v3 server,
then 100 athletes with .ics files, each round a pass for every athlete on a pool of threads
(as the daemon's scheduler runs them). Prints the resident set size every 100 rounds.

Target: RSS after 1,000 rounds within 10% of RSS after 10, for both.
Usage: python bench/memory.py [--athletes 100] [--rounds 1000] [--threads 8]
Needs the test extras (the local server is tests/fakes/google_calendar.py).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.calendars import AthleteCalendars  # noqa: E402
from service.config.load import load_config  # noqa: E402
from service.store.database import Store  # noqa: E402
from service.sync.engine import run_pass  # noqa: E402
from tests.fakes.google_calendar import FakeGoogleCalendar  # noqa: E402
from tests.google_world import GoogleWorld  # noqa: E402
from tests.support import example_workspace  # noqa: E402

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def rounds(name: str, calendars: list[AthleteCalendars], count: int, threads: int) -> None:
    def one(c: AthleteCalendars) -> bool:
        assert c.store is not None
        return run_pass(c.store, c.entry, NOW, c).error is None

    with ThreadPoolExecutor(threads) as pool:
        # The first sync and its read-back are not quiet rounds.
        for _ in range(2):
            list(pool.map(one, calendars))
        started = time.perf_counter()
        at_10 = 0.0
        for n in range(1, count + 1):
            # A different thread for each athlete from round to round, as a pool hands out.
            calendars.append(calendars.pop(0))
            failed = sum(not ok for ok in pool.map(one, calendars))
            if n == 10:
                gc.collect()
                at_10 = rss_mib()
                print(f"  {name}: round {n:5d}  RSS {at_10:7.1f} MiB  failed {failed}")
            if n % 100 == 0:
                gc.collect()
                now = rss_mib()
                rate = n * len(calendars) / (time.perf_counter() - started)
                print(
                    f"  {name}: round {n:5d}  RSS {now:7.1f} MiB  ({(now / at_10 - 1) * 100:+5.1f}%"
                    f" vs round 10)  {rate:5.0f} passes/s  failed {failed}"
                )


def google(base: Path, athletes: int, count: int, threads: int) -> None:
    with FakeGoogleCalendar() as fake:
        worlds = [GoogleWorld(fake, base / f"g{n}", athlete=f"g{n}") for n in range(athletes)]
        store = Store.open("sqlite:///var/racecal.db", base)
        store.upgrade()
        calendars = [AthleteCalendars(world.config(), store=store) for world in worlds]
        # The server's request log would grow with the rounds; it is not the daemon's memory.
        fake.log.clear()
        keep_log_small(fake.log.clear)
        rounds(f"{athletes} Google athletes", calendars, count, threads)


def keep_log_small(clear: Callable[[], None]) -> None:
    def loop() -> None:
        while True:
            time.sleep(1)
            clear()

    threading.Thread(target=loop, daemon=True).start()


def ics(base: Path, athletes: int, count: int, threads: int) -> None:
    store = Store.open("sqlite:///var/racecal.db", base)
    store.upgrade()
    calendars = []
    for n in range(athletes):
        config = example_workspace(base / f"i{n}")
        text = config.read_text(encoding="utf-8").replace('id = "alex"', f'id = "i{n}"', 1)
        config.write_text(text, encoding="utf-8")
        calendars.append(AthleteCalendars(load_config(config).athletes[0], store=store))
    rounds(f"{athletes} .ics athletes", calendars, count, threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--only", choices=("google", "ics"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "ics":
            google(Path(tmp) / "google", args.athletes, args.rounds, args.threads)
        if args.only != "google":
            ics(Path(tmp) / "ics", args.athletes, args.rounds, args.threads)


if __name__ == "__main__":
    main()
