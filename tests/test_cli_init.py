"""`racecal init` writes a commented config that loads, from answers or options, and never
overwrites one without --force."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.config.load import load_config
from service.config.reader import WEEKDAYS


def test_answers_make_a_config_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "racecal" / "config.toml"
    monkeypatch.chdir(tmp_path)
    answers = "\n".join(
        [
            "sam smith",  # not an athlete id: asked again at once, not after the last question
            "sam",
            "Mars/Base",  # not a timezone: asked again
            "Europe/Vienna",
            "mon,wed,fri,sun",
            "sat",  # not a run day: asked again, as --help promises
            "sun",
            "06:30-07:30",
            "08:00-11:00,17:00-19:00",
            "lots",  # not a number: asked again
            "55",
            "a quick one",  # not a race result: asked again
            "half 1:44:10",
            "3:45",  # the goal: asked again (not a finish time: 3 min 45 s)
            "3:45:00",
            "ics",
            "races.ics",  # relative to the folder init runs in
            "",  # no busy calendar
            "",  # the training calendar file: the default
        ]
    )
    result = CliRunner().invoke(main, ["init", "--path", str(target)], input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "use lowercase letters, digits, - and _" in result.output
    assert result.output.index("Athlete id") < result.output.index("lowercase letters")
    assert result.output.index("lowercase letters") < result.output.index("Timezone")
    assert "long-run day 'sat' is not one of the run days" in result.output
    assert "a number from 5 to 250" in result.output
    assert "is not an IANA timezone" in result.output
    assert "a distance and a finish time" in result.output
    assert "expected a finish time" in result.output
    assert "Easy pace" not in result.output  # the result sets the paces
    entry = load_config(target).athletes[0]
    assert entry.athlete.id == "sam"
    assert entry.athlete.timezone == "Europe/Vienna"
    assert sorted(WEEKDAYS[d] for d in entry.athlete.run_days) == ["fri", "mon", "sun", "wed"]
    assert entry.athlete.windows[0][0].start.hour == 6
    assert [w.start.hour for w in entry.athlete.windows[6]] == [8, 17]
    assert entry.race_ics == (tmp_path / "races.ics",)
    assert entry.athlete.weekly_km == 55
    assert entry.goal_s == 3 * 3600 + 45 * 60
    assert entry.output_ics == target.parent / "var" / "sam-training.ics"
    assert entry.busy_ics == ()
    assert (entry.athlete.recent_race_km, entry.athlete.recent_race_s) == (21.098, 6250)
    assert 'recent_race = "half marathon 1:44:10"' in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("# racecal config, written by `racecal init`")


def test_options_alone_make_a_caldav_config(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    args = [
        "init", "--path", str(target), "--yes", "--athlete", "alex", "--timezone",
        "Europe/Berlin", "--backend", "caldav", "--caldav-url",
        "https://cloud.example.com/remote.php/dav", "--caldav-username", "alex",
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    entry = load_config(target).athletes[0]
    caldav = entry.calendars["caldav"]
    assert caldav["url"] == "https://cloud.example.com/remote.php/dav"
    assert caldav["password_env"] == "RACECAL_ALEX_CALDAV"
    assert caldav["training"] == "Training"


def test_google_config_says_to_authorize_next(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    args = ["init", "--path", str(target), "--yes", "--athlete", "alex", "--backend", "google"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "racecal auth google --athlete alex" in result.output
    config = load_config(target)
    assert "google" in config.shared
    assert "google" in config.athletes[0].calendars


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# mine\n")
    result = CliRunner().invoke(main, ["init", "--path", str(target), "--yes"])
    assert result.exit_code == 2  # bad input, as the exit-code table says
    assert result.stderr == f"racecal: {target} exists; use --force to replace it\n"
    assert target.read_text() == "# mine\n"


def test_a_long_run_day_off_the_run_days_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    args = ["init", "--path", str(target), "--yes", "--run-days", "mon,tue,thu",
            "--long-run-day", "sun"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "long-run day 'sun' is not one of the run days (mon,tue,thu)" in result.stderr
    assert not target.exists()


def test_quotes_backslashes_and_home_paths_survive(tmp_path: Path) -> None:
    """Answers are TOML-escaped, not pasted between quotes, and ~ means the home folder."""
    target = tmp_path / "config.toml"
    odd = tmp_path / 'my "races" \\ 2027.ics'
    args = ["init", "--path", str(target), "--yes", "--athlete", "alex",
            "--races-ics", str(odd), "--busy-ics", "~/calendars/work.ics"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    entry = load_config(target).athletes[0]
    assert entry.race_ics == (odd,)
    assert entry.busy_ics == (Path.home() / "calendars" / "work.ics",)


def test_a_username_cannot_smuggle_keys_into_the_file(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    sneaky = 'alex"\nweekly_km = 250\nx = "'
    args = ["init", "--path", str(target), "--yes", "--athlete", "alex", "--backend", "caldav",
            "--caldav-url", "https://dav.example.com/", "--caldav-username", sneaky]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    entry = load_config(target).athletes[0]
    assert entry.calendars["caldav"]["username"] == sneaky
    assert entry.athlete.weekly_km == 40


def test_every_backend_setting_is_an_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Paths given are relative to the folder init runs in.
    monkeypatch.chdir(tmp_path)
    caldav, google, ics = (tmp_path / f"{n}.toml" for n in ("caldav", "google", "ics"))
    common = ["--yes", "--athlete", "alex", "--timezone", "Europe/Berlin"]
    runs = {
        caldav: ["--backend", "caldav", "--caldav-url", "https://dav.example.com/",
                 "--caldav-password-env", "ALEX_DAV", "--race-calendars", "Rennen,Läufe",
                 "--busy-calendars", "", "--training-calendar", "Plan"],
        google: ["--backend", "google", "--race-calendars", "races@group.calendar.google.com",
                 "--busy-calendars", "primary,work@example.com", "--training-calendar", "Plan"],
        ics: ["--backend", "ics", "--output-ics", "out/plan.ics"],
    }  # fmt: skip
    for target, args in runs.items():
        result = CliRunner().invoke(main, ["init", "--path", str(target), *common, *args])
        assert result.exit_code == 0, result.output
    dav = load_config(caldav).athletes[0].calendars["caldav"]
    assert (dav["password_env"], dav["races"], dav["busy"], dav["training"]) == (
        "ALEX_DAV",
        ("Rennen", "Läufe"),
        (),
        "Plan",
    )
    g = load_config(google).athletes[0].calendars["google"]
    assert (g["races"], g["busy"], g["training"]) == (
        ("races@group.calendar.google.com",),
        ("primary", "work@example.com"),
        "Plan",
    )
    assert load_config(ics).athletes[0].output_ics == tmp_path / "out" / "plan.ics"


def test_an_impossible_window_is_asked_again_and_refused_as_an_option(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    answers = ["sam", "Europe/Vienna", "mon,wed,fri,sun", "sun",
               "25:00-26:00", "18:00-17:00", "06:30-07:30", "", "", "", "", "", "ics", "", "",
               ""]  # fmt: skip
    typed = "\n".join(answers) + "\n"
    result = CliRunner().invoke(main, ["init", "--path", str(target)], input=typed)
    assert result.exit_code == 0, result.output
    assert "'25:00-26:00': expected HH:MM-HH:MM within one day" in result.output
    assert "'18:00-17:00': expected" in result.output
    assert load_config(target).athletes[0].athlete.windows[0][0].start.hour == 6
    args = ["init", "--path", str(tmp_path / "b.toml"), "--yes", "--weekend-windows", "7-9"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "'7-9': expected HH:MM-HH:MM" in result.stderr
    assert not (tmp_path / "b.toml").exists()


def test_a_bad_password_variable_name_is_refused(tmp_path: Path) -> None:
    args = ["init", "--path", str(tmp_path / "c.toml"), "--yes", "--backend", "caldav",
            "--caldav-password-env", "MY-PASSWORD"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "'MY-PASSWORD' is not an environment variable name" in result.stderr


def test_the_recent_race_is_optional_and_an_option(tmp_path: Path) -> None:
    without = tmp_path / "without.toml"
    result = CliRunner().invoke(main, ["init", "--path", str(without), "--yes"])
    assert result.exit_code == 0, result.output
    assert load_config(without).athletes[0].athlete.recent_race_km is None
    with_result = tmp_path / "with.toml"
    args = ["init", "--path", str(with_result), "--yes", "--recent-race", "10k 48:30"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    athlete = load_config(with_result).athletes[0].athlete
    assert (athlete.recent_race_km, athlete.recent_race_s) == (10.0, 2910)
    bad = CliRunner().invoke(main, [*args[:2], str(tmp_path / "bad.toml"), "--yes",
                                    "--recent-race", "48:30"])  # fmt: skip
    assert bad.exit_code == 2
    assert "a distance and a finish time" in bad.output
