"""`racecal doctor` on real files, a real Radicale, the local Google server and a real store:
each problem is one line saying what to fix, and the exit code says whether anything failed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from service.cli.main import main
from service.store.models import Athlete, SyncRun
from tests.caldav_world import World
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.radicale_server import Radicale
from tests.support import example_store, example_workspace


def doctor(config: Path, *extra: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["doctor", "--config", str(config), *extra])
    return result.exit_code, result.output.strip().splitlines()


def test_a_fresh_example_is_healthy_but_says_the_store_is_not_made(tmp_path: Path) -> None:
    code, lines = doctor(example_workspace(tmp_path))
    assert code == 0
    assert any(line.startswith("warn  store:") and "db upgrade" in line for line in lines)
    assert any("races.ics: 3 race(s)" in line for line in lines)
    assert all(not line.startswith("fail") for line in lines)


def test_a_broken_race_file_fails_with_its_name(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    (config.parent / "examples" / "races.ics").write_text("not a calendar", encoding="utf-8")
    code, lines = doctor(config)
    assert code == 1
    [failed] = [line for line in lines if line.startswith("fail")]
    assert "races.ics: not a valid iCalendar file" in failed


def test_bad_events_in_a_busy_file_are_a_warning_naming_the_first(tmp_path: Path) -> None:
    """Seen: doctor said a busy file was fine while a pass left three of its events out."""
    config = example_workspace(tmp_path)
    bad = Path(__file__).parent / "calendars" / "busy_three_bad_events.ics"
    (config.parent / "examples" / "busy.ics").write_bytes(bad.read_bytes())
    code, lines = doctor(config)
    assert code == 0  # a warning, not a failure: the rest of the file is read
    [warned] = [line for line in lines if line.startswith("warn") and "busy.ics" in line]
    assert "line 30" in warned or "bad-dtstart@work.example" in warned, warned
    assert "(and 2 more)" in warned


def test_store_state_re_auth_and_clock(tmp_path: Path) -> None:
    store, _entry = example_store(tmp_path)
    with store.session() as s, s.begin():
        s.add(Athlete(id="alex", created_at=datetime.now(UTC), needs_reauth=True))
        s.flush()
        future = datetime.now(UTC) + timedelta(hours=3)
        s.add(SyncRun(athlete_id="alex", started_at=future))
    code, lines = doctor(tmp_path / "config.toml", "--json")
    assert code == 1
    checks = json.loads("\n".join(lines))
    by = {(c["status"], c["what"]): c["detail"] for c in checks}
    assert "schema" in by[("ok", "store")]
    assert "needs re-auth" in by[("fail", "athlete alex")]
    assert "system clock" in by[("warn", "clock")]


def test_caldav_calendars_are_checked_by_name(radicale: Radicale, tmp_path: Path) -> None:
    world = World(radicale, tmp_path)
    world.config()
    code, lines = doctor(tmp_path / "config.toml")
    assert code == 0, lines
    assert any("calendars answer: 3 race(s)" in line for line in lines)
    world.races.delete()
    code, lines = doctor(tmp_path / "config.toml")
    assert code == 1
    assert any("fail" in line and "no calendar named 'Races'" in line for line in lines)


def test_google_credentials_are_checked(tmp_path: Path) -> None:
    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(fake, tmp_path)
        entry = world.config()
        token_file = entry.calendars["google"]["token_file"]
        code, lines = doctor(tmp_path / "config.toml")
        assert code == 0, lines
        token = json.loads(token_file.read_text())
        token["scopes"] = token["scopes"][:1]
        token_file.write_text(json.dumps(token))
        code, lines = doctor(tmp_path / "config.toml")
        assert code == 1
        assert any("lacks https://www.googleapis.com/auth/calendar.app.created" in x for x in lines)
        token_file.unlink()
        code, lines = doctor(tmp_path / "config.toml")
        assert code == 1
        assert any(
            "not authorized yet; run 'racecal auth google --athlete alex'" in x for x in lines
        )
