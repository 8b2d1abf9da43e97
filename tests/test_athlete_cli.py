"""`racecal athlete ...`: athletes kept in the store, checked by the config's own schema, on
SQLite and PostgreSQL; the config file's athletes laid into the store at start; and a person's
path from `init` to a plan of an athlete added on the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner, Result

from service.cli.main import main
from service.config.load import load_config
from service.store import athletes
from service.store.database import Store
from service.store.records import Stored
from service.sync.athletes import look
from tests.support import example_workspace, second_athlete

NOW = "2027-01-11T05:00:00+01:00"


@pytest.fixture
def workspace(tmp_path: Path, store_url: str) -> tuple[Path, dict[str, str]]:
    """The example config, on the store the test runs on (RACECAL_DATABASE_URL)."""
    config = example_workspace(tmp_path / "ws")
    return config, {"RACECAL_DATABASE_URL": store_url}


def run(env: dict[str, str], config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)], env=env)


def stored(config: Path, env: dict[str, str]) -> dict[str, Stored]:
    loaded = load_config(config, env)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    return {r.id: r for r in athletes.stored(store)}


def add_sam(env: dict[str, str], config: Path) -> Result:
    races = config.parent / "examples" / "races.ics"
    return run(
        env,
        config,
        "athlete",
        "add",
        "sam",
        "--timezone",
        "Europe/Vienna",
        "--run-days",
        "mon,wed,fri,sun",
        "--long-run-day",
        "sun",
        "--weekly-km",
        "35",
        "--races",
        str(races),
        "--set",
        "windows.weekend=08:00-11:00",
    )


def test_add_list_show_edit_remove_round_trip(workspace: tuple[Path, dict[str, str]]) -> None:
    config, env = workspace
    added = add_sam(env, config)
    assert added.exit_code == 0, added.output
    listed = json.loads(run(env, config, "athlete", "list", "--json").stdout)
    assert [(r["id"], r["origin"]) for r in listed] == [("alex", "config"), ("sam", "cli")]
    assert listed[1]["version"] == 1
    assert listed[1]["target"].endswith("/ws/var/sam-training.ics")
    shown = json.loads(run(env, config, "athlete", "show", "sam", "--json").stdout)
    assert shown["settings"]["run_days"] == ["mon", "wed", "fri", "sun"]
    assert shown["settings"]["windows"] == {"weekend": ["08:00-11:00"]}
    assert shown["settings"]["weekly_km"] == 35

    edited = run(
        env,
        config,
        "athlete",
        "edit",
        "sam",
        "--set",
        "weekly_km=50",
        "--set",
        "windows.mon=12:00-13:00,18:00-19:00",
        "--set",
        "windows.weekend=",
    )
    assert edited.exit_code == 0, edited.output
    assert "version 2" in edited.stdout
    shown = json.loads(run(env, config, "athlete", "show", "sam", "--json").stdout)
    assert shown["version"] == 2
    assert shown["settings"]["weekly_km"] == 50
    assert shown["settings"]["windows"] == {"mon": ["12:00-13:00", "18:00-19:00"]}
    # The same change again changes nothing, not even the version.
    again = run(env, config, "athlete", "edit", "sam", "--set", "weekly_km=50")
    assert "unchanged (version 2)" in again.stdout

    # show writes TOML that edit --from reads back.
    text = run(env, config, "athlete", "show", "sam").stdout
    copy = config.parent / "sam.toml"
    copy.write_text(text.replace("weekly_km = 50", "weekly_km = 60"))
    from_file = run(env, config, "athlete", "edit", "sam", "--from", str(copy))
    assert from_file.exit_code == 0, from_file.output
    assert stored(config, env)["sam"].settings["weekly_km"] == 60

    removed = run(env, config, "athlete", "remove", "sam")
    assert removed.exit_code == 0, removed.output
    assert "left as they are" in removed.stdout
    listed = json.loads(run(env, config, "athlete", "list", "--json").stdout)
    assert [r["id"] for r in listed] == ["alex"]
    assert run(env, config, "athlete", "remove", "sam").exit_code == 1
    # Added again, it goes on from the same row.
    assert add_sam(env, config).exit_code == 0
    assert stored(config, env)["sam"].version == 5


@pytest.mark.parametrize(
    ("assignment", "named"),
    [
        ("windows.morning=06:00-08:00", "windows.morning: unknown key"),
        ("windows.weekdays=6-8", "windows.weekdays[0]"),
        ("weekly_km=abc", "weekly_km: expected a number from 5 to 250"),
        ("weekly_km=900", "weekly_km: expected a number from 5 to 250"),
        ("run_days=mon", "run_days: expected 3 to 7 different weekdays"),
        ("long_run_day=tue", "long_run_day: 'tue' is not one of the run_days"),
        ("easy_pace=fast", "easy_pace: 'fast': expected min:sec"),
        ("timezone=Mars/Base", "timezone: 'Mars/Base' is not a known IANA timezone"),
        ("windows=06:00-08:00", "--set windows: is a table"),
        ("id=other", "--set id: an athlete's id stays"),
        ("weekly_km", "--set 'weekly_km': expected KEY=VALUE"),
    ],
)
def test_a_bad_set_is_one_line_naming_the_key_and_writes_nothing(
    workspace: tuple[Path, dict[str, str]], assignment: str, named: str
) -> None:
    config, env = workspace
    assert add_sam(env, config).exit_code == 0
    before = stored(config, env)["sam"]
    result = run(env, config, "athlete", "edit", "sam", "--set", assignment)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.output
    assert stored(config, env)["sam"] == before


def test_add_and_import_check_every_table_before_writing(
    workspace: tuple[Path, dict[str, str]],
) -> None:
    config, env = workspace
    bare = config.parent / "blake.toml"
    bare.write_text(
        'id = "blake"\ntimezone = "Europe/Berlin"\nrun_days = ["mon", "wed", "sun"]\n'
        '[races]\nics = ["examples/races.ics"]\n',
        "utf-8",
    )
    added = run(env, config, "athlete", "add", "--from", str(bare))
    assert added.exit_code == 0, added.output
    assert stored(config, env)["blake"].base_dir == str(config.parent.absolute())
    # The same id twice, or the config file's own, is refused.
    assert run(env, config, "athlete", "add", "--from", str(bare)).exit_code == 2
    clash = run(env, config, "athlete", "add", "alex", "--from", str(bare))
    assert clash.exit_code == 2
    many = config.parent / "club.toml"
    tables = [second_athlete("examples/races.ics").replace("blake", name) for name in ("cy", "dee")]
    many.write_text("\n".join([*tables, tables[1].replace("dee", "eve").replace("sun", "sin")]))
    refused = run(env, config, "athlete", "import", str(many))
    assert refused.exit_code == 2
    assert "athlete 'eve'" in refused.stderr
    assert "'sin' is not a weekday" in refused.stderr
    assert set(stored(config, env)) == {"blake"}
    many.write_text("\n".join(tables))
    imported = run(env, config, "athlete", "import", str(many))
    assert imported.exit_code == 0, imported.output
    listed = json.loads(run(env, config, "athlete", "list", "--json").stdout)
    assert [r["id"] for r in listed] == ["alex", "blake", "cy", "dee"]


def test_config_athletes_are_laid_into_the_store_at_start(
    workspace: tuple[Path, dict[str, str]],
) -> None:
    config, env = workspace
    synced = run(env, config, "sync", "--once", "--now", NOW)
    assert synced.exit_code == 0, synced.output
    alex = stored(config, env)["alex"]
    assert (alex.origin, alex.version) == ("config", 1)
    assert alex.settings["weekly_km"] == 45
    # The file wins for its own athletes: a change there is the stored one at the next start.
    config.write_text(config.read_text().replace("weekly_km = 45", "weekly_km = 52"))
    assert run(env, config, "sync", "--once", "--now", NOW).exit_code == 0
    alex = stored(config, env)["alex"]
    assert (alex.version, alex.settings["weekly_km"]) == (2, 52)
    # The file's athletes are edited there.
    refused = run(env, config, "athlete", "edit", "alex", "--set", "weekly_km=60")
    assert refused.exit_code == 2
    assert "change it there" in refused.stderr
    # A store-only athlete is kept beside them; one id in both is an error naming it.
    assert add_sam(env, config).exit_code == 0
    assert run(env, config, "sync", "--once", "--now", NOW).exit_code == 0
    assert {"alex", "sam"} <= set(stored(config, env))
    table = second_athlete("examples/races.ics").replace("blake", "sam")
    config.write_text(config.read_text() + table)
    clash = run(env, config, "sync", "--once", "--now", NOW)
    assert clash.exit_code == 2
    assert "athlete 'sam' is in this file and was also added" in clash.stderr
    # A schema upgrade alone does not lay athletes in, so it is not stopped by that.
    assert run(env, config, "db", "upgrade").exit_code == 0
    # An athlete whose table leaves the file is no longer synced.
    config.write_text(config.read_text().replace(table, ""))
    start = config.read_text().index("[[athletes]]")
    config.write_text(config.read_text()[:start])
    assert run(env, config, "sync", "--once", "--now", NOW).exit_code == 0
    assert set(stored(config, env)) == {"sam"}


def test_init_then_add_then_sync_then_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person's path: a config from init, a second athlete added, one pass, their plan."""
    monkeypatch.chdir(tmp_path)
    races = tmp_path / "races.ics"
    races.write_bytes((Path(__file__).parent.parent / "examples" / "races.ics").read_bytes())
    target = tmp_path / "racecal.toml"
    # id, timezone, run days, long-run day, windows (weekdays, weekend), km, recent race,
    # easy pace, goal, backend, race calendar, busy calendar, training file.
    answers = ["sam", "Europe/Vienna", "mon,wed,fri,sun", "sun", "", "", "40", "", "", ""]
    answers += ["ics", "races.ics", "", ""]
    made = CliRunner().invoke(
        main, ["init", "--path", str(target)], input="\n".join(answers) + "\n"
    )
    assert made.exit_code == 0, made.output
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "athlete",
            "add",
            "kim",
            "--config",
            str(target),
            "--timezone",
            "Europe/Berlin",
            "--run-days",
            "tue,thu,sat",
            "--long-run-day",
            "sat",
            "--races",
            "races.ics",
        ],
    )
    assert added.exit_code == 0, added.output
    synced = runner.invoke(main, ["sync", "--once", "--config", str(target), "--now", NOW])
    assert synced.exit_code == 0, synced.output
    assert "racecal: kim: " in synced.stdout
    assert " created" in synced.stdout
    written = tmp_path / "var" / "kim-training.ics"
    events = icalendar.Calendar.from_ical(written.read_bytes()).walk("VEVENT")
    assert len(events) > 20
    shown = runner.invoke(
        main,
        [
            "plan",
            "show",
            "--config",
            str(target),
            "--athlete",
            "kim",
            "--json",
            "--today",
            "2027-01-11",
        ],
    )
    assert shown.exit_code == 0, shown.output
    sessions = json.loads(shown.stdout)["sessions"]
    run_weekdays = {s["start"][:10] for s in sessions if s["kind"] == "run"}
    assert run_weekdays
    assert {date.fromisoformat(d).weekday() for d in run_weekdays} <= {1, 3, 5}


def test_keys_of_free_tables_are_set_and_shown_as_toml_that_reads_back(
    workspace: tuple[Path, dict[str, str]],
) -> None:
    config, env = workspace
    assert add_sam(env, config).exit_code == 0
    for assignment in ("life.markers.#vacation=holiday", 'life.categories={ Urlaub = "sick" }'):
        result = run(env, config, "athlete", "edit", "sam", "--set", assignment)
        assert result.exit_code == 0, result.output
    bad = run(env, config, "athlete", "edit", "sam", "--set", "life.markers.#x=party")
    assert bad.exit_code == 2
    assert "life.markers" in bad.stderr
    text = run(env, config, "athlete", "show", "sam").stdout
    assert '"#vacation" = "holiday"' in text
    before = stored(config, env)["sam"].settings
    copy = config.parent / "sam.toml"
    copy.write_text(text)
    again = run(env, config, "athlete", "edit", "sam", "--from", str(copy))
    assert again.exit_code == 0, again.output
    assert stored(config, env)["sam"].settings == before
    life = stored(config, env)["sam"].settings["life"]
    assert life == {"markers": {"#vacation": "holiday"}, "categories": {"Urlaub": "sick"}}


def test_a_stored_athlete_is_built_as_a_file_athlete_with_workout_links(
    workspace: tuple[Path, dict[str, str]],
) -> None:
    """[service] public_url and the secret keys reach an athlete added with `racecal athlete`
    as they reach one of the file: each written session links its workout file."""
    config, env = workspace
    env = {**env, "RACECAL_PUBLIC_URL": "https://racecal.example.com"}
    config.write_text(
        config.read_text().replace("[service]\n", '[service]\nsecret_key_env = "KEYS"\n', 1)
    )
    assert add_sam(env, config).exit_code == 0
    synced = run(env, config, "sync", "--once", "--now", NOW)
    assert synced.exit_code == 0, synced.output
    loaded = load_config(config, env)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    roster = look(loaded, store)
    store.engine.dispose()
    alex, sam = (roster.config.athlete(a) for a in ("alex", "sam"))
    assert (sam.public_url, sam.secret_keys) == (alex.public_url, alex.secret_keys)
    assert sam.secret_keys == (None, "KEYS")
    for athlete, written in (("alex", alex.output_ics), ("sam", sam.output_ics)):
        events = icalendar.Calendar.from_ical(written.read_bytes()).walk("VEVENT")
        linked = [
            e
            for e in events
            if f"(FIT): https://racecal.example.com/feeds/{athlete}/" in str(e["DESCRIPTION"])
        ]
        assert len(events) > 20
        assert linked, athlete
