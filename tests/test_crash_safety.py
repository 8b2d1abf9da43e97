"""Kill `racecal sync --once` (a real subprocess, SIGKILL) at random points of a pass, many
times; after one clean pass the calendar equals the no-crash result and no UID is doubled."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import icalendar

from tests.support import example_workspace

ROOT = Path(__file__).resolve().parent.parent
RUNS = 50
TODAY = "2027-01-11"


def workdir(base: Path) -> Path:
    return example_workspace(base).parent


def sync(cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "sync",
            "--once",
            "--config",
            "config.toml",
            "--now",
            f"{TODAY}T05:00:00+01:00",
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def snapshot(cwd: Path) -> list[tuple[str, str, str, str]]:
    cal = icalendar.Calendar.from_ical((cwd / "var" / "training.ics").read_bytes())
    events = [
        (str(e["UID"]), str(e["X-RACECAL-SESSION"]), e.start.isoformat(), str(e["SUMMARY"]))
        for e in cal.walk("VEVENT")
    ]
    return sorted(events)


def shift_a_race(cwd: Path, days: int) -> None:
    """Every other pass the A race moves by a week, so most passes have writes to interrupt."""
    path = cwd / "examples" / "races.ics"
    original = (ROOT / "examples" / "races.ics").read_bytes()
    cal = icalendar.Calendar.from_ical(original)
    for event in cal.walk("VEVENT"):
        if "[A]" in str(event["SUMMARY"]):
            start, end = event.start, event.end
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start + timedelta(days=days))
            event.add("dtend", end + timedelta(days=days))
    path.write_bytes(cal.to_ical())


def test_killed_passes_converge_without_duplicates(tmp_path: Path) -> None:
    reference = workdir(tmp_path / "reference")
    started = time.monotonic()
    clean = sync(reference)
    assert clean.wait(timeout=120) == 0, clean.stderr.read() if clean.stderr else ""
    duration = time.monotonic() - started
    expected = snapshot(reference)

    crashed = workdir(tmp_path / "crashed")
    rng = random.Random(20271)
    kills = 0
    for run in range(RUNS):
        shift_a_race(crashed, 7 * (run % 2))
        process = sync(crashed)
        time.sleep(rng.uniform(0.02, duration))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
    assert kills > RUNS // 3, "the kill window missed most passes; widen it"
    shift_a_race(crashed, 0)
    final = sync(crashed)
    assert final.wait(timeout=120) == 0, final.stderr.read() if final.stderr else ""
    got = snapshot(crashed)
    uids = [uid for uid, *_ in got]
    assert len(uids) == len(set(uids))
    assert got == expected
    assert not list((crashed / "var").glob(".*.tmp"))
