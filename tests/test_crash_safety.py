"""Kill `racecal sync --once` (a real subprocess, SIGKILL) at random points of a pass, many
times; after one clean pass the calendar equals the no-crash result and no UID is doubled."""

from __future__ import annotations

import random
import signal
import sqlite3
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


def athlete_moves_one(cwd: Path, rng: random.Random, moved: dict[str, str]) -> None:
    """The athlete's calendar app moves one future session an hour later in training.ics."""
    path = cwd / "var" / "training.ics"
    if not path.exists():
        return
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    choices = [
        e
        for e in cal.walk("VEVENT")
        if "/w-" in str(e["X-RACECAL-SESSION"])
        and str(e["X-RACECAL-SESSION"]) not in moved
        and e.start.isoformat() > f"{TODAY}T23:59"
    ]
    if not choices:
        return
    # A session whose update the killed pass left pending, when there is one: the case seen.
    pending = _pending_updates(cwd)
    choices = [e for e in choices if str(e["X-RACECAL-SESSION"]) in pending] or choices
    event = rng.choice(sorted(choices, key=lambda e: str(e["UID"])))
    start, end = event.start + timedelta(hours=1), event.end + timedelta(hours=1)
    del event["DTSTART"], event["DTEND"]
    event.add("dtstart", start)
    event.add("dtend", end)
    path.write_bytes(cal.to_ical())
    moved[str(event["X-RACECAL-SESSION"])] = start.isoformat()


def _pending_updates(cwd: Path) -> set[str]:
    """Sessions whose update a killed pass recorded as intended but not as done."""
    db = cwd / "var" / "racecal.db"
    if not db.exists():
        return set()
    try:
        with sqlite3.connect(db, timeout=0.05) as connection:
            rows = connection.execute("SELECT key FROM sessions WHERE state = 'pending_update'")
            return {str(key) for (key,) in rows}
    except sqlite3.OperationalError:  # not made yet, or busy: nothing seen this time
        return set()


def test_moves_between_killed_passes_are_kept(tmp_path: Path) -> None:
    """Seen: an athlete's move made after a pass was killed between its intents and its
    outcomes was taken for racecal's own write and overwritten (3 of 4 kill scenarios on
    .ics). Passes that move sessions are killed at random points, the athlete moves a session
    after each; after one clean pass every move still holds and no UID is doubled."""
    crashed = workdir(tmp_path / "crashed")
    first = sync(crashed)
    assert first.wait(timeout=120) == 0
    started = time.monotonic()
    timing = sync(crashed)
    assert timing.wait(timeout=120) == 0
    duration = max(time.monotonic() - started, 0.5)
    rng = random.Random(20272)
    moved: dict[str, str] = {}
    pending_moves = 0
    for run in range(12):
        shift_a_race(crashed, 7 * ((run + 1) % 2))
        process = sync(crashed)
        # Killed as soon as its intents are recorded (the window the seen defect needs), or at
        # a random moment, whichever comes first.
        deadline = time.monotonic() + rng.uniform(0.02, duration * 2)
        while process.poll() is None and time.monotonic() < deadline:
            if _pending_updates(crashed):
                break
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        pending_moves += bool(_pending_updates(crashed) - set(moved))
        athlete_moves_one(crashed, rng, moved)
    final = sync(crashed)
    assert final.wait(timeout=120) == 0, final.stderr.read() if final.stderr else ""
    got = {key: start for _uid, key, start, _title in snapshot(crashed)}
    uids = [uid for uid, *_ in snapshot(crashed)]
    assert len(uids) == len(set(uids))
    assert len(moved) >= 8
    assert pending_moves >= 3  # the seen case happened, several times
    assert {k: got.get(k) for k in moved} == moved
