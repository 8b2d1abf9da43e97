"""The log, `sync --once` and `status` say which race changed, from when to when, and what the
pass wrote for it ("Hamburg Marathon [A]: 2027-04-25 -> 2027-05-02; 72 sessions re-timed");
`status` drops an old error once a pass went well. Seen: only "0 created, 72 updated", and the
last error of weeks ago shown after every good pass."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.config.load import load_config
from service.daemon.runner import Daemon
from service.store.database import Store
from tests.support import example_workspace, move_race

NOW = "2027-01-11T05:00:00+01:00"


def sync(config: Path) -> list[str]:
    done = CliRunner().invoke(main, ["sync", "--once", "--config", str(config), "--now", NOW])
    assert done.exit_code in (0, 3), done.output
    return done.stdout.splitlines() + done.stderr.splitlines()


def race_day(config: Path, title: str) -> str:
    path = load_config(config).athletes[0].race_ics[0]
    for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
        if str(event["SUMMARY"]) == title:
            return str(event.start.date())
    raise AssertionError(title)


def test_sync_once_says_which_race_moved_and_from_when(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    first = sync(config)
    assert any("Hamburg Marathon [A]: new, on " in line for line in first)
    before = race_day(config, "Hamburg Marathon [A]")
    move_race(load_config(config).athletes[0], "Hamburg Marathon [A]", 7)
    after = race_day(config, "Hamburg Marathon [A]")
    [line] = [line for line in sync(config) if "Hamburg" in line]
    assert line.startswith("racecal: alex: ")
    assert line.endswith(f"; Hamburg Marathon [A]: {before} -> {after}")
    # Nothing changed: nothing said.
    assert not any("Hamburg" in line for line in sync(config))


def test_the_daemon_logs_it_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(example_workspace(tmp_path))
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    daemon = Daemon(config, store)
    entry = config.athletes[0]
    daemon.pass_for(entry)
    move_race(entry, "Hamburg Marathon [A]", -7)
    caplog.set_level(logging.DEBUG, logger="racecal")
    caplog.clear()
    daemon.pass_for(entry)
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    [said] = [m for m in info if " -> " in m]
    # At INFO the race is named by priority and distance: event contents stay out of the log.
    assert said.startswith("athlete alex: the A race (42.195 km): 2027-04-25 -> 2027-04-18; ")
    assert "sessions re-timed" in said
    assert not [m for m in info if "Hamburg" in m]
    titled = [r for r in caplog.records if "Hamburg Marathon [A]: 2027-04-25 -> " in r.getMessage()]
    assert [r.levelno for r in titled] == [logging.DEBUG]
    caplog.clear()
    daemon.pass_for(entry)
    assert not [r for r in caplog.records if " -> " in r.getMessage()]


def test_status_drops_an_old_error_after_a_good_pass(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    races = tmp_path / "examples" / "races.ics"
    good = races.read_bytes()
    races.write_text("BEGIN:VCALENDAR\nbroken", encoding="utf-8")
    sync(config)

    def status() -> dict[str, object]:
        shown = CliRunner().invoke(main, ["status", "--json", "--config", str(config)])
        [row] = json.loads(shown.stdout)
        assert isinstance(row, dict)
        return row

    failed = status()
    assert failed["last_result"] == "failed"
    assert "races.ics" in str(failed["last_error"])
    races.write_bytes(good)
    sync(config)
    ok = status()
    assert ok["last_result"] == "ok"
    assert ok["last_error"] is None


def test_a_removed_and_a_renamed_race_are_said_too(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    sync(config)
    path = load_config(config).athletes[0].race_ics[0]
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    gone = next(e for e in events if "Hamburg" not in str(e["SUMMARY"]))
    gone_title, gone_day = str(gone["SUMMARY"]), gone.start.date()
    cal.subcomponents.remove(gone)
    hamburg = next(e for e in cal.walk("VEVENT") if "Hamburg" in str(e["SUMMARY"]))
    hamburg["SUMMARY"] = "Haspa Marathon Hamburg [A]"
    path.write_bytes(cal.to_ical())
    lines = " | ".join(sync(config))
    assert f"{gone_title}: removed (was on {gone_day})" in lines
    assert "Hamburg Marathon [A] -> Haspa Marathon Hamburg [A]: renamed" in lines


def test_status_says_which_race_moved_from_when_to_when(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    sync(config)
    before = race_day(config, "Hamburg Marathon [A]")
    move_race(load_config(config).athletes[0], "Hamburg Marathon [A]", 7)
    sync(config)
    after = race_day(config, "Hamburg Marathon [A]")
    shown = CliRunner().invoke(main, ["status", "--json", "--config", str(config)])
    [row] = json.loads(shown.stdout)
    [move] = row["race_moves"]
    assert (move["race"], move["from"], move["to"]) == ("Hamburg Marathon [A]", before, after)
    text = CliRunner().invoke(main, ["status", "--config", str(config)]).stdout
    assert f"moved: Hamburg Marathon [A]: {before} -> {after} (seen " in text
