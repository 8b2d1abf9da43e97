"""What the athlete sees is what the calendar holds: `plan show`, `plan explain`, the plan page
and `status` read the store. Sessions the athlete moved or renamed show as they left them
("you moved this"), deleted ones are listed as deleted, a broken source shows the last good
plan, and `racecal release KEY` hands a session back."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from click.testing import CliRunner

from service.cli.main import main
from service.config.load import AthleteConfig, load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store.database import Store
from service.sync.engine import run_pass
from tests.support import example_workspace

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)
TODAY = "2027-01-11"


def cli(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


def edited_world(tmp_path: Path) -> tuple[Path, str, str, str, datetime]:
    """The example athlete after a pass, one session moved two hours and renamed in the
    training file, another deleted, and a pass that recorded both."""
    config = example_workspace(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    store.upgrade()
    entry = loaded.athletes[0]
    assert run_pass(store, entry, NOW).error is None
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    events = sorted(
        (e for e in cal.walk("VEVENT") if "/w-" in str(e["X-RACECAL-SESSION"])),
        key=lambda e: e.start,
    )
    moved, gone = events[10], events[12]
    new_start = moved.start + timedelta(hours=2)
    length = moved.end - moved.start
    del moved["DTSTART"], moved["DTEND"]
    moved.add("dtstart", new_start)
    moved.add("dtend", new_start + length)
    moved["SUMMARY"] = "Run with the club"
    cal.subcomponents.remove(gone)
    entry.output_ics.write_bytes(cal.to_ical())
    assert run_pass(store, entry, NOW).error is None
    return (
        config,
        str(moved["X-RACECAL-SESSION"]),
        str(gone["X-RACECAL-SESSION"]),
        str(gone["SUMMARY"]),
        new_start,
    )


def test_plan_show_shows_moved_sessions_where_the_athlete_put_them(tmp_path: Path) -> None:
    """Seen: `plan show` showed a moved session at its old time and a deleted one still there."""
    config, moved, gone, gone_title, start = edited_world(tmp_path)
    code, out, _ = cli(config, "plan", "show", "--json", "--today", TODAY)
    assert code == 0
    data = json.loads(out)
    sessions = {s["key"]: s for s in data["sessions"]}
    assert datetime.fromisoformat(sessions[moved]["start"]) == start
    assert sessions[moved]["title"] == "Run with the club"
    assert sessions[moved]["yours"] == "you moved this"
    assert sorted(sessions[moved]["changes"]) == ["time", "title"]
    assert gone not in sessions
    assert [d["key"] for d in data["deleted"]] == [gone]
    assert data["deleted"][0]["title"] == gone_title
    code, out, _ = cli(config, "plan", "show", "--today", TODAY)
    assert code == 0
    assert "you moved this" in out
    assert "Deleted by you" in out
    assert gone_title in out.split("Deleted by you")[1]


def test_plan_explain_says_it_is_yours_and_states_the_edit_rules(tmp_path: Path) -> None:
    """Seen: `plan explain` gave a moved session the old reason."""
    config, moved, gone, _title, start = edited_world(tmp_path)
    code, out, _ = cli(config, "plan", "explain", moved, "--today", TODAY)
    assert code == 0
    assert f"{start:%a %Y-%m-%d %H:%M}" in out
    assert "Yours: you moved this" in out
    assert "L12" in out
    assert "racecal release KEY" in out
    code, out, _ = cli(config, "plan", "explain", gone, "--today", TODAY)
    assert code == 0
    assert "you deleted it" in out


def test_the_plan_page_shows_what_the_calendar_holds(tmp_path: Path) -> None:
    config, moved, gone, gone_title, start = edited_world(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    web = WebServer(("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 1.0), Metrics())
    try:
        status, _, body = web.respond(f"/athletes/alex?today={TODAY}")
    finally:
        web.stop()
    page = body.decode()
    assert status == 200
    block = re.search(rf"<details[^>]*data-key='{re.escape(moved)}'.*?</details>", page, re.S)
    assert block is not None
    assert "you moved this" in block[0]
    assert f"{start:%H:%M} Run with the club" in block[0]
    assert f"data-key='{gone}'" in page.split("id='deleted'")[1]
    assert gone_title in page.split("id='deleted'")[1]


def test_a_broken_source_shows_the_last_good_plan_not_an_error(tmp_path: Path) -> None:
    """Seen: a broken race file made the plan page a 503 and `plan show` an error."""
    config, moved, _gone, _title, start = edited_world(tmp_path)
    (tmp_path / "examples" / "races.ics").write_text("BEGIN:VCALENDAR\nbroken", encoding="utf-8")
    code, out, err = cli(config, "plan", "show", "--json", "--today", TODAY)
    assert code == 0
    assert "showing the last good plan" in err
    data = json.loads(out)
    assert "races.ics" in data["stale"]
    sessions = {s["key"]: s for s in data["sessions"]}
    assert datetime.fromisoformat(sessions[moved]["start"]) == start
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    web = WebServer(("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 1.0), Metrics())
    try:
        status, _, body = web.respond(f"/athletes/alex?today={TODAY}")
    finally:
        web.stop()
    assert status == 200
    assert "The last good plan" in body.decode()


def test_status_lists_the_athletes_sessions(tmp_path: Path) -> None:
    config, moved, gone, _title, _start = edited_world(tmp_path)
    code, out, _ = cli(config, "status", "--json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["pinned"], row["deleted"]) == (1, 1)
    edits = {e["key"]: e for e in row["edits"]}
    assert edits[moved]["kind"] == "pinned"
    assert edits[moved]["title"] == "Run with the club"
    assert edits[gone]["kind"] == "deleted"
    assert row["last_good_plan"] is not None


def test_release_hands_a_session_back(tmp_path: Path) -> None:
    config, moved, gone, _title, _start = edited_world(tmp_path)
    code, out, _ = cli(config, "release", moved)
    assert code == 0
    assert "racecal's again" in out
    code, _, err = cli(config, "release", "no/such/key")
    assert code == 1
    assert "not one of your sessions" in err
    assert cli(config, "release", gone)[0] == 0
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    taken_back(store, loaded.athletes[0], moved, gone)
    code, out, _ = cli(config, "status", "--json")
    assert json.loads(out)[0]["edits"] == []
    assert run_pass(store, loaded.athletes[0], NOW).writes == 0


def taken_back(store: Store, entry: AthleteConfig, moved: str, gone: str) -> None:
    """After the moved and the deleted session of `edited_world` were released: the next pass
    makes the deleted one again and puts the moved one back in the plan."""
    result = run_pass(store, entry, NOW)
    assert result.error is None
    assert (result.created, result.updated) == (1, 1)
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    keys = {str(e["X-RACECAL-SESSION"]): e for e in cal.walk("VEVENT")}
    assert gone in keys
    assert str(keys[moved]["SUMMARY"]) != "Run with the club"
