"""How soon `racecal run` rewrites the training calendar after a race file is saved: the
example workspace, the daemon as a real process, the A race moved a week back and forth.

Prints the median and the slowest of the moves (seconds from the save to the rewritten
calendar file, the pass included). Target: median under 0.5 s.
Usage: python bench/file_reaction.py [--moves 10]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import icalendar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import example_workspace  # noqa: E402


def digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def move_a_race(races: Path, days: int) -> None:
    calendar = icalendar.Calendar.from_ical(races.read_bytes())
    for event in calendar.walk("VEVENT"):
        if "[A]" in str(event["SUMMARY"]):
            start, end = event.start, event.end
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start + timedelta(days=days))
            event.add("dtend", end + timedelta(days=days))
    # As an editor saves: a new file renamed over the old one.
    tmp = races.with_name(".races.ics.tmp")
    tmp.write_bytes(calendar.to_ical())
    os.replace(tmp, races)


def wait_change(path: Path, before: str, seconds: float = 30) -> float:
    started = time.monotonic()
    while digest(path) == before:
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"{path} not rewritten within {seconds} s")
        time.sleep(0.005)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = example_workspace(Path(tmp) / "ws")
        notify = Path(tmp) / "notify.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(str(notify))
        listener.settimeout(60)
        command = [sys.executable, "-m", "service.cli", "run", "--config", str(config)]
        process = subprocess.Popen(
            [*command, "--interval", "60"],
            env={**os.environ, "NOTIFY_SOCKET": str(notify)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert listener.recv(64) == b"READY=1"
            output = config.parent / "var" / "training.ics"
            wait_change(output, "")
            time.sleep(1)  # the first pass and its read-back
            took = []
            for n in range(args.moves):
                before = digest(output)
                move_a_race(config.parent / "examples" / "races.ics", 7 if n % 2 == 0 else -7)
                took.append(wait_change(output, before))
                time.sleep(0.5)
        finally:
            process.terminate()
            process.wait(timeout=30)
            listener.close()
    print(
        f"file_reaction: {args.moves} saves of the race file, save -> rewritten calendar: "
        f"median {statistics.median(took):.2f} s, slowest {max(took):.2f} s (target median < 0.5 s)"
    )


if __name__ == "__main__":
    main()
