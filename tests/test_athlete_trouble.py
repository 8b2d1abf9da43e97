"""One athlete's trouble is one line naming the athlete and the cause, and every other athlete
still gets a pass (issue 13, points 1 and 8): a race dated 9999, a full disk under the store,
a read-only folder for one athlete's calendar. Real processes, real files, real mounts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import example_workspace
from tests.web_support import wait_for

ROOT = Path(__file__).resolve().parent.parent
NOW = "2027-01-11T05:00:00+01:00"


def two_athletes(base: Path, alex_output: str = "var/training.ics") -> Path:
    """The example workspace with a second athlete, blake, on races of their own."""
    config = example_workspace(base)
    text = config.read_text().replace('ics = "var/training.ics"', f'ics = "{alex_output}"')
    athlete = text[text.index("[[athletes]]") :]
    blake = (
        athlete.replace('id = "alex"', 'id = "blake"')
        .replace("examples/races.ics", "examples/blake-races.ics")
        .replace(f'ics = "{alex_output}"', 'ics = "var/blake.ics"')
    )
    (base / "examples" / "blake-races.ics").write_bytes(
        (base / "examples" / "races.ics").read_bytes()
    )
    config.write_text(text + "\n" + blake)
    return config


def racecal(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "service.cli", *args, "--config", str(config)]
    return subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=120
    )


def sync(config: Path, now: str = NOW) -> subprocess.CompletedProcess[str]:
    return racecal(config, "sync", "--once", "--now", now)


def lines_of(process: subprocess.CompletedProcess[str], athlete: str) -> list[str]:
    return [
        line
        for line in (process.stdout + process.stderr).splitlines()
        if line.startswith(f"racecal: {athlete}:")
    ]


def move_a_race_to(races: Path, day: str) -> None:
    races.write_text(races.read_text().replace("20270425T", f"{day}T"))


def test_a_race_in_9999_fails_its_athlete_in_one_line_and_the_others_go_on(
    tmp_path: Path,
) -> None:
    config = two_athletes(tmp_path)
    move_a_race_to(tmp_path / "examples" / "races.ics", "99991230")
    done = sync(config)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 3, done.stderr
    [alex] = lines_of(done, "alex")
    assert "Hamburg Marathon [A]" in alex, alex
    assert "9999-12-30" in alex
    assert "beyond the planning range" in alex
    [blake] = lines_of(done, "blake")
    assert "created" in blake
    assert (tmp_path / "var" / "blake.ics").exists()
    status = racecal(config, "status")
    assert status.returncode == 0, status.stderr
    assert "running or killed" not in status.stdout
    assert "beyond the planning range" in status.stdout


def test_a_pass_replayed_in_9999_is_one_line_per_athlete(tmp_path: Path) -> None:
    config = two_athletes(tmp_path)
    done = sync(config, "9999-12-20T05:00:00+00:00")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 3
    for athlete in ("alex", "blake"):
        [line] = lines_of(done, athlete)
        assert "a date is beyond the planning range" in line, line


def test_the_daemon_reports_a_race_in_9999_in_one_line_and_plans_the_others(
    tmp_path: Path,
) -> None:
    config = two_athletes(tmp_path)
    move_a_race_to(tmp_path / "examples" / "races.ics", "99991230")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "service.cli", "run", "--config", str(config)]
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        said = log.read_text
        assert wait_for(lambda: "athlete alex: pass failed" in said(), 60), said()
        assert wait_for(lambda: "athlete blake: pass ok" in said(), 60), said()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert "Traceback" not in text, text
    assert "crashed" not in text
    [failed] = [line for line in text.splitlines() if "athlete alex" in line]
    assert "beyond the planning range" in failed


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB file system of its own (a tmpfs), to fill or to make read-only: permission bits
    say nothing to root, a mount does."""
    disk = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
        check=False,
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small disk here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def test_a_full_disk_under_the_store_is_one_line_per_athlete_and_exit_2(
    small_disk: Path,
) -> None:
    config = two_athletes(small_disk)
    assert sync(config).returncode == 0
    before = (small_disk / "var" / "training.ics").read_bytes()
    move_a_race_to(small_disk / "examples" / "races.ics", "20270502")
    fill(small_disk)
    done = sync(config, "2027-01-12T05:00:00+01:00")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    said = done.stderr.splitlines()
    # SQLite finds the disk full when the store is opened or at the first write of a pass:
    # one line for the service then, or one per athlete.
    if len(said) == 1:
        assert "racecal.db: cannot upgrade the schema (" in said[0], said
    else:
        for athlete in ("alex", "blake"):
            [line] = lines_of(done, athlete)
            assert "racecal.db: cannot write the store: database or disk is full" in line, line
    assert all("full" in line or "disk I/O error" in line for line in said), said
    assert (small_disk / "var" / "training.ics").read_bytes() == before
    status = racecal(config, "status")
    assert "Traceback" not in status.stderr, status.stderr
    assert "running or killed" not in status.stdout, status.stdout
    (small_disk / "filler").unlink()
    again = sync(config, "2027-01-12T05:00:00+01:00")
    assert again.returncode == 0, again.stderr
    assert "2027-05-02" in again.stdout


def test_a_read_only_folder_for_one_calendar_fails_only_that_athlete(
    tmp_path: Path, small_disk: Path
) -> None:
    config = two_athletes(tmp_path, alex_output=str(small_disk / "training.ics"))
    assert sync(config).returncode == 0
    before = (small_disk / "training.ics").read_bytes()
    move_a_race_to(tmp_path / "examples" / "races.ics", "20270502")
    move_a_race_to(tmp_path / "examples" / "blake-races.ics", "20270502")
    remount = ["mount", "-o", "remount,ro", str(small_disk)]
    subprocess.run(remount, check=True)
    done = sync(config, "2027-01-12T05:00:00+01:00")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    [alex] = lines_of(done, "alex")
    assert "training.ics" in alex, alex
    assert "read-only" in alex.lower()
    [blake] = lines_of(done, "blake")
    assert "updated" in blake, blake
    assert "2027-05-02" in blake
    assert (small_disk / "training.ics").read_bytes() == before
    status = racecal(config, "status")
    assert "running or killed" not in status.stdout, status.stdout
    assert "read-only" in status.stdout.lower()
