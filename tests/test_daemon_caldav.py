"""`racecal run` as a real process on a CalDAV athlete: the first pass fills the Training
calendar on Radicale, a race moved in the athlete's app is followed at the next interval, and
`racecal sync --once` agrees with it afterwards."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.caldav_world import World
from tests.radicale_server import Radicale
from tests.web_support import wait_for


def passes_done(base: Path) -> int:
    """Passes the daemon finished, from the store it writes."""
    path = base / "var" / "racecal.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            row = db.execute(
                "SELECT count(*) FROM sync_runs WHERE finished_at IS NOT NULL AND error IS NULL"
            ).fetchone()
        except sqlite3.OperationalError:  # schema not there yet
            return 0
    return int(row[0])


def hamburg_dates(world: World) -> dict[str, str]:
    try:
        sessions = world.sessions()
    except AssertionError:  # no Training calendar yet
        return {}
    return {
        k: e.start.isoformat()
        for k, e in sessions.items()
        if k.startswith("0k2m4qf6p1lq8v3c9s7e5b2n1d@google.com/w")
    }


def test_the_daemon_follows_a_race_moved_over_caldav(radicale: Radicale, tmp_path: Path) -> None:
    world = World(radicale, tmp_path)
    world.config()
    command = [sys.executable, "-m", "service.cli"]
    process = subprocess.Popen(
        [*command, "run", "--config", "config.toml", "--interval", "0.1"],
        cwd=tmp_path,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: passes_done(tmp_path) >= 1, 30)
        before = hamburg_dates(world)
        assert len(before) > 30
        world.edit_race("Hamburg Marathon [A]", days=7)
        done = passes_done(tmp_path)
        assert wait_for(lambda: passes_done(tmp_path) > done and hamburg_dates(world) != before, 30)
        # Whether the daemon wrote the whole moved plan is checked below: a one-off pass
        # afterwards finds nothing left to write.
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "pass ok" in output
    again = subprocess.run(
        [*command, "sync", "--once", "--config", "config.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 updated, 0 deleted -> CalDAV calendar 'Training'" in again.stdout
