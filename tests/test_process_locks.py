"""Many racecal processes on one store (issue 13, point 3 and the schema half of 13): one
athlete's pass runs in one process at a time, a second says "another racecal holds ATHLETE"
in one line and goes on, every exit code says what happened, and processes starting at once
on an empty database all get its schema. Real processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest

from tests.held_feed import HeldFeed, serving
from tests.support import example_workspace, second_athlete
from tests.web_support import wait_for

ROOT = Path(__file__).resolve().parent.parent
NOW = "2027-01-11T05:00:00+01:00"


def workspace(base: Path, alex_races: str = "examples/races.ics") -> Path:
    config = example_workspace(base)
    text = config.read_text().replace('ics = ["examples/races.ics"]', f'ics = ["{alex_races}"]')
    config.write_text(text + second_athlete("examples/races.ics"))
    return config


def start(config: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RACECAL_DATABASE_URL": url}
    command = [sys.executable, "-m", "service.cli", *args, "--config", str(config)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(process: subprocess.Popen[str], seconds: float = 180) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out, err


def sessions(path: Path) -> list[str]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return [str(e["UID"]) for e in calendar.walk("VEVENT")]


def test_many_sync_once_at_once_on_one_store(tmp_path: Path, store_url: str) -> None:
    config = workspace(tmp_path)
    # Three days' passes at once: each plans other sessions, so they write over each other.
    days = [f"2027-01-1{1 + n % 3}T05:00:00+01:00" for n in range(16)]
    processes = [start(config, store_url, "sync", "--once", "--now", day) for day in days]
    results = [finish(p) for p in processes]
    for code, out, err in results:
        assert "Traceback" not in err, err
        assert "changed outside racecal" not in err, err
        lines = (out + err).strip().splitlines()
        assert len(lines) == 2, lines
        held = [line for line in lines if "another racecal holds" in line]
        # Waiting for the others' passes is the rule; one left out must say so, and fail.
        assert code == (3 if held else 0), (code, lines)
    # Converged: one more pass writes nothing, and nothing was written twice.
    last = "2027-01-13T05:00:00+01:00"
    finish(start(config, store_url, "sync", "--once", "--now", last))
    code, out, err = finish(start(config, store_url, "sync", "--once", "--now", last))
    assert code == 0, err
    assert out.count("0 created, 0 updated, 0 deleted") == 2, out
    for name in ("training.ics", "blake.ics"):
        uids = sessions(tmp_path / "var" / name)
        assert len(uids) == len(set(uids))


@pytest.fixture
def held_feed() -> Iterator[str]:
    with serving() as url:
        yield url


def test_a_second_racecal_says_who_holds_the_athlete_and_goes_on(
    tmp_path: Path, store_url: str, held_feed: str
) -> None:
    config = workspace(tmp_path, alex_races=held_feed)
    first = start(config, store_url, "sync", "--once", "--now", NOW)
    try:
        assert HeldFeed.asked.wait(60), "the first pass never read the feed"
        code, out, err = finish(
            start(config, store_url, "sync", "--once", "--now", NOW, "--wait", "0.5")
        )
        assert "Traceback" not in err, err
        assert err.strip().splitlines() == [
            "racecal: alex: another racecal holds alex (its pass is under way)"
        ]
        assert out.startswith("racecal: blake: "), out
        assert code == 3
    finally:
        HeldFeed.release.set()
    code, out, err = finish(first)
    assert code == 0, err
    assert "racecal: alex: 105 created" in out


def test_racecal_starting_at_once_on_an_empty_database_all_get_its_schema(
    tmp_path: Path, store_url: str
) -> None:
    config = workspace(tmp_path)
    processes = [start(config, store_url, "db", "upgrade") for _ in range(6)]
    for process in processes:
        code, out, err = finish(process)
        assert code == 0, err
        assert "store at revision" in out


def test_two_services_starting_at_once_on_an_empty_database_both_run(
    tmp_path: Path, store_url: str
) -> None:
    config = workspace(tmp_path)
    logs = [tmp_path / f"service-{n}.log" for n in range(2)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RACECAL_DATABASE_URL": store_url}
    command = [sys.executable, "-m", "service.cli", "run", "--config", str(config)]
    processes = []
    for log in logs:
        with log.open("w") as out:
            processes.append(
                subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
            )
    try:
        for log in logs:
            assert wait_for(lambda log=log: "athlete blake: pass" in log.read_text(), 90), (
                log.read_text()
            )
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.wait(timeout=60) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text, text
        assert "changed outside racecal" not in text, text
