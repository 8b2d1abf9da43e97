"""The worst calendar inputs seen in the reliability review, each read as a busy calendar over
a one-year planning window in a process of its own: wall time and peak RSS of each.

Targets (issue 13): under 5 s and 150 MB each. Cases: a 1 GiB .ics file (refused at 20 MiB
without being read whole), a busy event repeating every minute since 2000, one repeating every
second since 2000, and 100,000 busy events (cut at 20,000 occurrences). Measured on the
shared 2-core machine under load: 0.1-0.3 s and 81 MB, 0.8-1.0 s and 77 MB, 0.6-0.8 s and
77 MB, 3.6-5.7 s and 147 MB (the last was 31 s and 332 MB while icalendar parsed every event).

Usage: python bench/hostile.py [CASE ...]   (gigabyte, minutely, secondly, many; default all)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.base import IcsError  # noqa: E402  (the checkout's, not an installed copy)
from service.planning import read_busy  # noqa: E402

TZ = ZoneInfo("Europe/Berlin")
WINDOW = (datetime(2027, 1, 4, tzinfo=TZ), datetime(2028, 1, 4, tzinfo=TZ))
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"


def repeating(freq: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(
            f"{HEAD}BEGIN:VEVENT\r\nUID:every-{freq.lower()}\r\nSUMMARY:Monitor\r\n"
            "DTSTART;TZID=Europe/Berlin:20000101T000000\r\nDURATION:PT1S\r\n"
            f"RRULE:FREQ={freq}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            encoding="utf-8",
        )

    return write


def gigabyte(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(HEAD.encode())
        handle.truncate(1024 * 1024 * 1024)  # sparse


def many(path: Path) -> None:
    first = datetime(2027, 1, 4, 7, tzinfo=TZ)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEAD)
        for n in range(100_000):
            start = first + timedelta(minutes=5 * n)
            handle.write(
                f"BEGIN:VEVENT\r\nUID:e{n}@bench\r\nSUMMARY:Meeting {n}\r\n"
                f"DTSTART:{start.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}\r\n"
                "DURATION:PT4M\r\nEND:VEVENT\r\n"
            )
        handle.write("END:VCALENDAR\r\n")


CASES: dict[str, Callable[[Path], None]] = {
    "1 GiB file": gigabyte,
    "busy event every minute since 2000": repeating("MINUTELY"),
    "busy event every second since 2000": repeating("SECONDLY"),
    "100,000 busy events": many,
}
# Short names for the command line.
SHORT = dict(
    zip(("gigabyte", "minutely", "secondly", "many"), CASES, strict=True),
)


def run_case(name: str) -> None:
    """In this process: write the file, then time one read of it as a busy calendar."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "busy.ics"
        CASES[name](path)
        began = time.perf_counter()
        try:
            outcome = f"{len(read_busy(path, TZ, *WINDOW))} busy intervals"
        except IcsError as exc:
            outcome = str(exc).replace(str(path), "busy.ics")
        took = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {name} | {took:.1f} | {peak:.0f} | {outcome} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", choices=[*CASES, *SHORT, []], default=[])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case)
        return
    print("| input | s | peak RSS MB | read |\n|---|---|---|---|", flush=True)
    for name in [SHORT.get(case, case) for case in args.cases] or CASES:
        subprocess.run([sys.executable, __file__, "--case", name], check=True)


if __name__ == "__main__":
    main()
