"""`racecal sync --once --dry-run [--json]`: the actions a pass would take, and nothing written
anywhere: not the calendar, not a store row, not a race record, not even a database file."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import inspect, text

from service.cli.main import main
from service.store.database import Store
from tests.radicale_server import Radicale
from tests.support import example_workspace

NOW = "2027-01-11T05:00:00+01:00"
NOW_AT = datetime.fromisoformat(NOW)


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["sync", "--once", "--config", str(config), "--now", NOW, *args]
    )
    return result.exit_code, result.stdout, result.stderr


def files(base: Path) -> dict[str, str]:
    """Every file's content; SQLite's shared-memory index changes on any read and is left out
    (the store's rows are compared on their own)."""
    return {
        str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def rows(store: Store) -> dict[str, list[tuple[object, ...]]]:
    with store.engine.connect() as c:
        return {
            t: sorted(map(tuple, c.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
            for t in inspect(store.engine).get_table_names()
        }


def test_dry_run_on_a_fresh_workspace_lists_every_create_and_makes_no_file(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    before = files(tmp_path)
    code, out, _ = run(config, "--dry-run")
    assert code == 0
    assert files(tmp_path) == before  # no database, no training.ics, no var/
    head, *lines = out.splitlines()
    assert head.startswith("racecal: alex: dry run: would create ")
    creates = [line for line in lines if line.strip().startswith("create ")]
    assert len(creates) == int(head.split("would create ")[1].split(",")[0]) > 60


def test_dry_run_json_is_what_the_next_pass_does_and_writes_nothing(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    assert run(config)[0] == 0
    races = tmp_path / "examples" / "races.ics"
    races.write_bytes(races.read_bytes().replace(b"20270425T", b"20270502T"))
    store = Store.open("sqlite:///var/racecal.db", tmp_path)
    before, stored = files(tmp_path), rows(store)
    code, out, _ = run(config, "--dry-run", "--json")
    assert code == 0
    assert files(tmp_path) == before
    assert rows(store) == stored  # not a run row, not a race record
    [athlete] = json.loads(out)
    would = athlete["would"]
    assert would["updated"] > 10
    kinds = {a["action"] for a in athlete["actions"]}
    assert "recordraces" in kinds
    code, out, _ = run(config)
    assert code == 0
    assert out.startswith(
        f"racecal: alex: {would['created']} created, {would['updated']} updated, "
        f"{would['deleted']} deleted"
    )


def test_json_without_dry_run_is_refused(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    code, _, err = run(config, "--json")
    assert code == 2
    assert "--dry-run" in err


def test_dry_run_makes_no_training_calendar_on_caldav_or_google(
    radicale: Radicale, tmp_path: Path
) -> None:
    """A dry run before the first pass: the training calendar does not exist yet, and the dry
    run does not make it (on a CalDAV server or on Google); it says it would create the plan."""
    from service.store import state  # noqa: PLC0415
    from service.sync.decide import counts  # noqa: PLC0415
    from service.sync.engine import run_pass  # noqa: PLC0415
    from tests.caldav_world import World  # noqa: PLC0415
    from tests.fakes.google_calendar import FakeGoogleCalendar  # noqa: PLC0415
    from tests.google_world import GoogleWorld  # noqa: PLC0415

    dav = World(radicale, tmp_path / "dav")
    names = {c.get_display_name() for c in dav.app.principal().calendars()}
    with FakeGoogleCalendar() as fake:
        google = GoogleWorld(fake, tmp_path / "google", athlete="dry")
        for world in (dav, google):
            entry, store = world.config(), world.store()
            result = run_pass(store, entry, NOW_AT, dry_run=True)
            assert result.error is None, result.error
            assert counts(list(result.actions))["created"] > 60
            assert state.load(store, entry.athlete.id).managed == {}
        listing = google.app().calendarList().list().execute()["items"]
        assert "Training" not in {c.get("summary") for c in listing}
    assert {c.get_display_name() for c in dav.app.principal().calendars()} == names
