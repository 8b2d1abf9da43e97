"""`racecal run` follows the store's athletes without a restart: one added with `racecal
athlete add` gets its first pass (its training calendar written), an edit changes its plan at
the next pass, and a removed one gets no pass after it; on SQLite and PostgreSQL, with the
daemon a real process and the commands run beside it."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.config.load import load_config
from service.daemon.runner import Daemon
from service.store import athletes
from service.store.database import Store
from tests.support import example_workspace
from tests.web_support import wait_for

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def run_weekdays(path: Path) -> set[str]:
    """The weekdays the calendar's runs are on, on the athlete's wall clock."""
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return {
        WEEKDAYS[e.start.astimezone(ZoneInfo("Europe/Berlin")).weekday()]
        for e in cal.walk("VEVENT")
        if "X-RACECAL-SESSION" in e and not str(e["SUMMARY"]).startswith("Strength")
    }


class Log:
    """The daemon's output, read as it comes."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self.lines.append(raw.decode(errors="replace"))

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def after(self, first: str, then: str) -> bool:
        at = next((i for i, line in enumerate(self.lines) if first in line), None)
        return at is not None and any(then in line for line in self.lines[at + 1 :])


def test_athletes_added_edited_and_removed_while_the_service_runs(
    tmp_path: Path, store_url: str
) -> None:
    config = example_workspace(tmp_path / "ws")
    cwd = config.parent
    for name in ("kim", "lee"):
        shutil.copy(cwd / "examples" / "races.ics", cwd / f"{name}-races.ics")
    env = {**os.environ, "RACECAL_DATABASE_URL": store_url}
    cli = CliRunner()

    def athlete(*args: str) -> None:
        result = cli.invoke(
            main, ["athlete", *args, "--config", str(config)], env=env, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output

    def add(name: str, days: str, long_day: str) -> None:
        athlete(
            "add",
            name,
            "--timezone",
            "Europe/Berlin",
            "--run-days",
            days,
            "--long-run-day",
            long_day,
            "--races",
            str(cwd / f"{name}-races.ics"),
        )

    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run", "--config", str(config), "--interval", "60"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log = Log(process)
    kim = cwd / "var" / "kim-training.ics"
    try:
        assert wait_for(lambda: log.has("athlete alex: pass ok"), 60), "".join(log.lines)
        assert not kim.exists()
        add("kim", "tue,thu,sat", "sat")
        assert wait_for(lambda: log.has("athlete kim: pass ok"), 30), "".join(log.lines)
        assert run_weekdays(kim) == {"tue", "thu", "sat"}

        athlete("edit", "kim", "--set", "run_days=mon,wed,fri,sun", "--set", "long_run_day=sun")
        assert wait_for(lambda: log.has("athlete kim: changed"), 30), "".join(log.lines)
        assert wait_for(lambda: run_weekdays(kim) == {"mon", "wed", "fri", "sun"}, 30)

        athlete("remove", "kim")
        assert wait_for(lambda: log.has("athlete kim: removed"), 30), "".join(log.lines)
        written = kim.read_bytes()
        # A save of its race file would start a pass of an athlete still synced.
        races = cwd / "kim-races.ics"
        races.write_bytes(races.read_bytes().replace(b"20270425", b"20270502"))
        # Then another athlete, whose first pass comes after anything the save would start.
        add("lee", "mon,wed,sat", "sat")
        assert wait_for(lambda: log.has("athlete lee: pass ok"), 30), "".join(log.lines)
        assert not log.after("athlete kim: removed", "athlete kim: pass")
        assert kim.read_bytes() == written  # the sessions already written stay
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in "".join(log.lines)


def test_the_runner_opens_and_closes_what_each_athlete_needs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In process: the page's athletes, /readyz and /metrics follow the store; a stored athlete
    that cannot be built any more (a Google athlete with no [google] table in the config) is
    named and not synced; a pass asked for before a removal writes nothing."""
    config = load_config(example_workspace(tmp_path / "ws"), env={})
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    daemon = Daemon(config, store, interval_minutes=60)
    races = str(config.path.parent / "examples" / "races.ics")
    kim: dict[str, object] = {"id": "kim", "timezone": "Europe/Berlin", "long_run_day": "sat"}
    kim |= {"run_days": ["tue", "thu", "sat"], "races": {"ics": [races]}}
    athletes.put(store, "kim", kim, "cli", str(tmp_path), datetime.now(UTC))
    daemon.reread()
    assert [a.athlete.id for a in daemon.config.athletes] == ["alex", "kim"]
    assert daemon.state.readiness()[1]["waiting_for"] == ["alex", "kim"]
    assert 'athlete="kim"' in daemon.metrics.render().decode()
    entry = daemon.config.athlete("kim")
    daemon.pass_for(entry)
    written = config.state_dir / "var" / "kim-training.ics"
    assert run_weekdays(written) == {"tue", "thu", "sat"}
    assert daemon.state.readiness()[1]["waiting_for"] == ["alex"]

    google = {**kim, "id": "gus", "google": {}}
    athletes.put(store, "gus", google, "cli", str(tmp_path), datetime.now(UTC))
    athletes.remove(store, "kim", datetime.now(UTC))
    with caplog.at_level(logging.INFO, logger="racecal"):
        daemon.reread()
    assert [a.athlete.id for a in daemon.config.athletes] == ["alex"]
    assert 'athlete="kim"' not in daemon.metrics.render().decode()
    assert "athlete kim: removed; no more passes" in caplog.text
    assert "athlete gus: not synced" in caplog.text
    assert "[google]" in caplog.text
    before = written.read_bytes()
    written.unlink()
    daemon.pass_for(entry)
    assert not written.exists()
    assert before
