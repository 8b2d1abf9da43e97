"""Config: the example loads; each mistake is one line naming the file, the key and the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.model import Units
from service.config.load import load_config
from service.config.reader import ConfigError
from tests.support import example_workspace

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "config.example.toml").read_text(encoding="utf-8")


def test_example_config_loads() -> None:
    config = load_config(ROOT / "config.example.toml")
    entry = config.athletes[0]
    assert entry.athlete.id == "alex"
    assert entry.athlete.run_days == frozenset({0, 1, 3, 5, 6})
    assert entry.athlete.easy_pace_s_per_km == 345
    assert entry.race_ics == (ROOT / "examples" / "races.ics",)
    assert entry.athlete.windows[0][0].start.hour == 6


def test_race_result_units_and_heart_rates_reach_the_athlete(tmp_path: Path) -> None:
    text = GOOD.replace('# recent_race = "half 1:44:10"', 'recent_race = "half 1:44:10"')
    text = text.replace('units = "metric"', 'units = "imperial"')
    text = text.replace("# threshold_hr = 168", "threshold_hr = 168")
    path = example_workspace(tmp_path)
    path.write_text(text, encoding="utf-8")
    athlete = load_config(path).athletes[0].athlete
    assert (athlete.recent_race_km, athlete.recent_race_s) == (21.098, 6250)
    assert athlete.units is Units.IMPERIAL
    assert (athlete.threshold_hr, athlete.max_hr) == (168, None)
    example = load_config(ROOT / "config.example.toml").athletes[0].athlete
    assert (example.recent_race_km, example.units, example.max_hr) == (None, Units.METRIC, None)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'long_run_day = "sun"',
            'long_run_day = "sunday"',
            "athletes[0].long_run_day: 'sunday' is not a weekday; expected one of mon, tue",
        ),
        (
            'long_run_day = "sun"',
            'long_run_day = "wed"',
            "athletes[0].long_run_day: 'wed' is not one of the run_days",
        ),
        (
            'timezone = "Europe/Berlin"',
            'timezone = "Mars/Base"',
            "athletes[0].timezone: 'Mars/Base' is not a known IANA timezone",
        ),
        (
            'run_days = ["mon", "tue", "thu", "sat", "sun"]',
            'run_days = ["sat", "sun"]',
            "athletes[0].run_days: expected 3 to 7 different weekdays (R1), got 2",
        ),
        (
            'weekdays = ["06:00-07:30", "17:30-21:00"]',
            'weekdays = ["07:30-06:00"]',
            "athletes[0].windows.weekdays[0]: '07:30-06:00': "
            "expected HH:MM-HH:MM with the end after",
        ),
        (
            'weekdays = ["06:00-07:30", "17:30-21:00"]',
            'weekdays = ["6am-7am"]',
            "athletes[0].windows.weekdays[0]: '6am-7am' is not a window; expected HH:MM-HH:MM",
        ),
        (
            'easy_pace = "5:45"',
            'easy_pace = "fast"',
            "athletes[0].easy_pace: 'fast': expected min:sec per km",
        ),
        (
            "weekly_km = 45",
            "weekly_km = -3",
            "athletes[0].weekly_km: expected a number from 5 to 250, got -3",
        ),
        (
            "experienced = false",
            'experienced = "no"',
            "athletes[0].experienced: expected true or false, got 'no'",
        ),
        (
            'same_day_order = "auto"',
            'same_day_order = "whenever"',
            "athletes[0].same_day_order: 'whenever' is not one of auto, lift_first, run_first",
        ),
        (
            "plan_weeks = 16",
            "plan_weeks = 16\nrun_dayz = 3",
            "athletes[0].run_dayz: unknown key; expected one of",
        ),
        (
            'units = "metric"',
            'units = "miles"',
            "athletes[0].units: 'miles' is not one of metric, imperial",
        ),
        (
            '# recent_race = "half 1:44:10"',
            'recent_race = "pretty fast"',
            "athletes[0].recent_race: 'pretty fast': expected a distance and a finish time",
        ),
        (
            "# max_hr = 188",
            "max_hr = 188\nthreshold_hr = 190",
            "athletes[0].threshold_hr: 190 is not below max_hr 188",
        ),
        (
            "# max_hr = 188",
            "max_hr = 320",
            "athletes[0].max_hr: expected a whole number from 80 to 230, got 320",
        ),
        (
            'id = "alex"',
            'id = "Alex Smith"',
            "athletes[0].id: 'Alex Smith': use lowercase letters, digits, - and _",
        ),
    ],
)
def test_config_errors_name_file_key_and_fix(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in GOOD
    path = tmp_path / "racecal.toml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[athletes]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_duplicate_athlete_ids(tmp_path: Path) -> None:
    start = GOOD.index("[[athletes]]")
    athlete = GOOD[start:]
    path = tmp_path / "two.toml"
    path.write_text(GOOD + "\n" + athlete, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"athletes\[1\].id: 'alex' is used twice"):
        load_config(path)


def test_urls_and_files_are_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "racecal.toml"
    path.write_text(
        GOOD.replace(
            'ics = ["examples/races.ics"]',
            'ics = ["examples/races.ics", "https://cal.example/s3cr3t.ics"]',
        ),
        encoding="utf-8",
    )
    entry = load_config(path).athletes[0]
    assert entry.race_ics == (tmp_path / "examples" / "races.ics",)
    assert entry.race_urls == ("https://cal.example/s3cr3t.ics",)
    assert entry.cache_dir == tmp_path / "var" / "cache" / "alex"


def test_state_paths_follow_systemd_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "etc" / "racecal.toml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    state = tmp_path / "var-lib-racecal"
    monkeypatch.setenv("STATE_DIRECTORY", str(state))
    config = load_config(path)
    entry = config.athletes[0]
    assert config.state_dir == state
    assert entry.output_ics == state / "var" / "training.ics"
    assert entry.cache_dir == state / "var" / "cache" / "alex"
    assert entry.race_ics == (path.parent / "examples" / "races.ics",)  # inputs stay put
    monkeypatch.delenv("STATE_DIRECTORY")
    assert load_config(path).state_dir == path.parent


CALDAV = """
[athletes.caldav]
url = "https://cloud.example.com/remote.php/dav"
username = "alex"
password_env = "RACECAL_ALEX_CALDAV"
races = ["Races"]
training = "Training"
"""


def with_caldav(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + table, encoding="utf-8")
    return path


def test_a_caldav_table_loads(tmp_path: Path) -> None:
    entry = load_config(with_caldav(tmp_path, CALDAV)).athletes[0]
    caldav = entry.calendars["caldav"]
    assert (caldav["races"], caldav["busy"], caldav["training"]) == (("Races",), (), "Training")
    assert caldav["password_env"] == "RACECAL_ALEX_CALDAV"
    assert caldav["retry_seconds"] == 60
    assert caldav["request_seconds"] == 60
    assert caldav["where"].endswith("config.toml: athletes[0].caldav")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'password_env = "RACECAL_ALEX_CALDAV"',
            'password = "hunter2"',
            "athletes[0].caldav.password: passwords do not belong in the config",
        ),
        (
            'password_env = "RACECAL_ALEX_CALDAV"',
            'password_env = "X"\npassword_file = "y"',
            "athletes[0].caldav: give password_env or password_file, not both",
        ),
        (
            'url = "https://cloud.example.com/remote.php/dav"',
            'url = "cloud.example.com"',
            "athletes[0].caldav.url: 'cloud.example.com': expected an http(s) URL",
        ),
        (
            'url = "https://cloud.example.com/remote.php/dav"',
            'url = "https://alex:pw@cloud.example.com/dav"',
            "athletes[0].caldav.url: put the username in 'username', not in the URL",
        ),
        (
            'races = ["Races"]\ntraining = "Training"',
            "",
            "athletes[0].caldav: name at least one of races, busy, runs or training",
        ),
        (
            'races = ["Races"]',
            "races = [1]",
            'athletes[0].caldav.races: expected a list of calendar names like ["Races"]',
        ),
        (
            'training = "Training"',
            'training = "Training"\nsync = true',
            "athletes[0].caldav.sync: unknown key",
        ),
    ],
)
def test_caldav_mistakes_are_one_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = with_caldav(tmp_path, CALDAV.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "hunter2" not in str(err.value)
    assert "\n" not in str(err.value)


SERVICE_LINE = 'log_format = "text"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8765", ("127.0.0.1", 8765)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:65535", ("localhost", 65535)),
    ],
)
def test_http_address(tmp_path: Path, value: str, expected: tuple[str, int]) -> None:
    path = tmp_path / "racecal.toml"
    path.write_text(GOOD.replace(SERVICE_LINE, f'{SERVICE_LINE}\nhttp = "{value}"'), "utf-8")
    assert load_config(path, env={}).service.http == expected


def test_http_is_off_unless_set() -> None:
    assert load_config(ROOT / "config.example.toml", env={}).service.http is None


@pytest.mark.parametrize("value", ['"8765"', '"127.0.0.1:99999"', '"http://x:1"', "8765"])
def test_bad_http_address_names_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "racecal.toml"
    path.write_text(GOOD.replace(SERVICE_LINE, f"{SERVICE_LINE}\nhttp = {value}"), "utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value).startswith(f"{path}: service.http: ")
    assert "expected host:port with a port from 0 to 65535" in str(err.value)


def test_environment_overrides_service_keys() -> None:
    env = {
        "RACECAL_DATABASE_URL": "postgresql+psycopg://racecal@db/racecal",
        "RACECAL_LOG_FORMAT": "json",
        "RACECAL_INTERVAL_MINUTES": "2.5",
        "RACECAL_HTTP": "0.0.0.0:8765",
    }
    service = load_config(ROOT / "config.example.toml", env=env).service
    assert service.database_url == "postgresql+psycopg://racecal@db/racecal"
    assert service.log_format == "json"
    assert service.interval_minutes == 2.5
    assert service.http == ("0.0.0.0", 8765)
    # An empty variable is as good as unset: the file's value stands.
    assert load_config(ROOT / "config.example.toml", env={"RACECAL_LOG_FORMAT": ""}).service == (
        load_config(ROOT / "config.example.toml", env={}).service
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RACECAL_LOG_FORMAT", "xml", "RACECAL_LOG_FORMAT (service.log_format): 'xml' is not one"),
        ("RACECAL_HTTP", "8765", "RACECAL_HTTP (service.http): '8765' is not an address"),
        (
            "RACECAL_INTERVAL_MINUTES",
            "soon",
            "RACECAL_INTERVAL_MINUTES (service.interval_minutes): expected a number from 0.1",
        ),
    ],
)
def test_bad_environment_value_names_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(ROOT / "config.example.toml", env={name: value})
    assert str(err.value).startswith(f"{ROOT / 'config.example.toml'}: {message}")


def test_environment_alone_configures_the_commands(tmp_path: Path) -> None:
    """RACECAL_CONFIG picks the file and RACECAL_DATABASE_URL the store, with no flag given."""
    config = example_workspace(tmp_path / "etc")
    database = tmp_path / "elsewhere" / "state.db"
    # Outside the state folder racecal makes no folder: the admin made this one.
    database.parent.mkdir()
    env = {
        **os.environ,
        "RACECAL_CONFIG": str(config),
        "RACECAL_DATABASE_URL": f"sqlite:///{database}",
    }
    racecal = Path(sys.executable).parent / "racecal"
    synced = subprocess.run(
        [racecal, "sync", "--once", "--now", "2027-01-11T05:00:00+01:00"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert synced.returncode == 0, synced.stderr
    assert database.exists()
    assert not (tmp_path / "etc" / "var" / "racecal.db").exists()
    status = subprocess.run(
        [racecal, "status", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(status.stdout)[0]["last_result"] == "ok"
