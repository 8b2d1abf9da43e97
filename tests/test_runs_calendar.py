"""R6 end to end: another app's running plan read from real .ics files shaped as Runna,
TrainingPeaks and a German app export them; strength placed around it; a run the app moved
moves the strength on the next pass, and nothing the athlete edited is overwritten."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from connectors.base import SourceError
from connectors.registry import Context, open_account
from scheduler.external import runs_from
from scheduler.model import ExternalRun
from scheduler.plan import build_plan
from scheduler.runkinds import RunKind
from service.cli.main import main
from service.config.load import AthleteConfig, load_config
from service.config.reader import ConfigError
from service.daemon.runner import Daemon
from service.planning import plan_for
from service.store.database import Store
from service.sync.engine import run_pass
from service.views.page import plan_page
from tests.support import athlete, example_workspace, request, violations

HERE = Path(__file__).parent / "calendars"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2027, 1, 11)
NOW = datetime.combine(MONDAY, time(5), tzinfo=BERLIN)


def read(name: str) -> list[ExternalRun]:
    source = open_account("ics", {"runs": [HERE / name]}, Context("t", "Europe/Berlin"))
    start = datetime.combine(MONDAY, time(0), tzinfo=BERLIN)
    events = source.sources("runs")[0].events(start, start + timedelta(weeks=3))
    return runs_from(events, BERLIN, source=name)


def kinds(runs: list[ExternalRun]) -> list[tuple[str, str, bool, bool]]:
    return [(r.title, r.kind, r.key_run, r.all_day) for r in runs]


FEEDS = {
    "runs_runna.ics": [
        ("Intervals - 6x800m", "intervals", True, True),
        ("Easy Run - 5km", "easy", False, True),
        ("Tempo Run - 8km", "tempo", True, True),
        ("Long Run - 18km", "long", True, True),
    ],
    "runs_trainingpeaks.ics": [
        ("Recovery Run", "easy", False, False),
        ("Threshold Run", "tempo", True, False),
        ("Day Off", "rest", False, True),
        ("Aerobic Endurance", "easy", False, False),
        ("Long Run", "long", True, False),
    ],
    "runs_laufplan_de.ics": [
        ("Lockerer Lauf 8 km", "easy", False, True),
        ("Intervalle 5x1000m", "intervals", True, False),
        ("Ruhetag", "rest", False, True),
        ("Tempodauerlauf 10 km", "tempo", True, False),
        ("Bergläufe 8x200m", "hills", True, True),
        ("Langer Lauf 24 km", "long", True, True),
    ],
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_a_feed_reads_as_its_app_meant_it_and_strength_fits_around_it(name: str) -> None:
    runs = read(name)
    assert kinds(runs) == FEEDS[name] * 3  # three weeks of the same plan
    a = replace(athlete(), runs_from_calendar=True)
    req = request(a, (), MONDAY, 3, external_runs=tuple(runs), now=NOW)
    plan = build_plan(req)
    assert violations(plan, req) == []
    lifts = [s for s in plan.sessions if s.kind == "strength"]
    assert len(lifts) >= 3
    assert [s for s in plan.sessions if s.kind == "run"] == []
    timed = [r for r in runs if not r.all_day]
    assert all(not (r.start < s.end and s.start < r.end) for r in timed for s in lifts)


def test_a_timed_feed_keeps_its_wall_clock() -> None:
    long_run = next(r for r in read("runs_trainingpeaks.ics") if r.title == "Long Run")
    assert long_run.start == datetime(2027, 1, 17, 8, 0, tzinfo=BERLIN)
    assert long_run.end - long_run.start == timedelta(hours=2)


# -- through the config and a sync pass ---------------------------------------------------


def workspace(base: Path, extra: str = "") -> Path:
    config = example_workspace(base)
    shutil.copy(HERE / "runs_runna.ics", base / "runs.ics")
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[athletes.runs]\nics = ["runs.ics"]\n{extra}')
    return config


def output(entry: AthleteConfig) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    return {str(e["X-RACECAL-SESSION"]): e for e in cal.walk("VEVENT") if "X-RACECAL-SESSION" in e}


def move_run(path: Path, title: str, day: date, to: date) -> None:
    """The other app moves one of its runs, as its feed then holds it."""
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    for event in cal.walk("VEVENT"):
        if str(event["SUMMARY"]) == title and event.start == day:
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", to)
            event.add("dtend", to + timedelta(days=1))
    path.write_bytes(cal.to_ical())


def day(event: icalendar.Event) -> date:
    start = event.start
    return (start.astimezone(BERLIN) if isinstance(start, datetime) else start).date()


def test_the_strength_moves_with_a_run_the_other_app_moved(tmp_path: Path) -> None:
    entry = load_config(workspace(tmp_path)).athletes[0]
    assert entry.athlete.runs_from_calendar
    store = Store.open("sqlite:///var/racecal.db", tmp_path)
    store.upgrade()
    first = run_pass(store, entry, NOW)
    assert first.error is None
    before = output(entry)
    assert before
    assert all("strength" in str(e["SUMMARY"]).lower() for e in before.values())  # no run
    # Week one: a lift on Thursday, the easy run's day.
    week = [e for e in before.values() if MONDAY <= day(e) < MONDAY + timedelta(days=7)]
    target = next(e for e in week if day(e) == MONDAY + timedelta(days=3))
    key = str(target["X-RACECAL-SESSION"])
    # The athlete moves a lift of week three by an hour: it is theirs from now on.
    later = sorted(
        (e for e in before.values() if day(e) >= MONDAY + timedelta(days=14)),
        key=lambda e: e.start,
    )[0]
    mine = str(later["X-RACECAL-SESSION"])
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    for event in cal.walk("VEVENT"):
        if str(event.get("X-RACECAL-SESSION")) == mine:
            start, length = event.start + timedelta(hours=1), event.end - event.start
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start)
            event.add("dtend", start + length)
    entry.output_ics.write_bytes(cal.to_ical())
    # Runna moves Saturday's tempo run onto Thursday, the lift's day.
    thursday = MONDAY + timedelta(days=3)
    move_run(tmp_path / "runs.ics", "Tempo Run - 8km", MONDAY + timedelta(days=5), thursday)
    second = run_pass(store, entry, NOW)
    assert second.error is None
    after = output(entry)
    assert key in after
    assert str(after[key]["UID"]) == str(target["UID"])  # moved, not re-created
    assert day(after[key]) != thursday
    assert not [e for e in after.values() if day(e) == thursday]
    heavy_eve = [e for e in after.values() if day(e) == thursday - timedelta(days=1)]
    assert all("light" in str(e["SUMMARY"]) or "upper" in str(e["SUMMARY"]) for e in heavy_eve)
    assert after[mine].start == start  # the athlete's edit stands
    third = run_pass(store, entry, NOW)
    assert third.writes == 0


def test_plan_show_and_the_page_list_the_other_apps_runs(tmp_path: Path) -> None:
    config = str(workspace(tmp_path))
    week = ("--today", MONDAY.isoformat(), "--weeks", "1")
    shown = CliRunner().invoke(main, ["plan", "show", "--config", config, *week])
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.stdout.splitlines() if "from your other app" in line]
    assert len(lines) == 4
    assert "Tempo Run - 8km (tempo, from your other app)" in lines[2]
    assert "all day" in lines[2]
    listed = CliRunner().invoke(main, ["plan", "show", "--config", config, *week, "--json"])
    runs = json.loads(listed.stdout)["external_runs"]
    assert [(r["title"], r["kind"], r["from"]) for r in runs] == [
        ("Intervals - 6x800m", "intervals", "other app"),
        ("Easy Run - 5km", "easy", "other app"),
        ("Tempo Run - 8km", "tempo", "other app"),
        ("Long Run - 18km", "long", "other app"),
    ]
    entry = load_config(Path(config)).athletes[0]
    html = plan_page(plan_for(entry, MONDAY, 1).plan, (), ["alex"])
    assert html.count("class='outside'") == 4
    assert "Tempo Run - 8km <span>· tempo, some time that day, from your other app" in html


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ('[athletes.runs.kinds]\n"(parkrun" = "race pace"\n', "athletes[0].runs.kinds: '(parkrun'"),
        (
            '[athletes.runs.kinds]\n"parkrun" = "fast"\n',
            "athletes[0].runs.kinds: 'parkrun': 'fast' is not one of long",
        ),
    ],
)
def test_a_bad_override_is_one_line_naming_the_key(tmp_path: Path, extra: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(workspace(tmp_path, extra))
    line = str(caught.value)
    assert "\n" not in line
    assert said in line, line


def test_runs_from_calendar_without_a_runs_calendar_names_the_key(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("runs_from_calendar = false", "runs_from_calendar = true"))
    with pytest.raises(ConfigError, match=r"athletes\[0\]\.runs_from_calendar: true needs"):
        load_config(config)


def test_an_override_in_config_wins_over_the_table(tmp_path: Path) -> None:
    extra = '[athletes.runs.kinds]\n"^Easy Run" = "tempo"\n'
    entry = load_config(workspace(tmp_path, extra)).athletes[0]
    plan = plan_for(entry, MONDAY, 1).plan
    easy = next(r for r in plan.external_runs if r.title == "Easy Run - 5km")
    assert (easy.kind, easy.key_run) == (RunKind.TEMPO.value, True)


def test_a_runs_file_that_is_not_there_is_one_line_naming_the_key(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[athletes.runs]\nics = ["runna-plan.ics"]\n')
    entry = load_config(config).athletes[0]
    with pytest.raises(SourceError) as caught:
        plan_for(entry, MONDAY, 1)
    line = str(caught.value)
    assert "\n" not in line
    assert line == f"{config}: athletes[0].runs.ics: {tmp_path / 'runna-plan.ics'}: file not found"


def test_doctor_counts_the_runs_ahead_and_fails_a_missing_runs_file(tmp_path: Path) -> None:
    config = workspace(tmp_path)
    first = datetime.now(BERLIN).date() + timedelta(days=2)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Runna//Training Plan//EN")
    cal.add("version", "2.0")
    for i, title in enumerate(("Easy Run - 5km", "Tempo Run - 8km", "Long Run - 18km")):
        event = icalendar.Event()
        event.add("uid", f"runna-{i}@runna.com")
        event.add("summary", title)
        event.add("dtstart", first + timedelta(days=2 * i))
        event.add("dtend", first + timedelta(days=2 * i + 1))
        cal.add_component(event)
    (tmp_path / "runs.ics").write_bytes(cal.to_ical())
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert f"{tmp_path / 'runs.ics'}: 3 run(s) from another app ahead (R6)" in result.output
    (tmp_path / "runs.ics").unlink()
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert result.exit_code == 1
    assert any(
        line.startswith("fail") and f"{tmp_path / 'runs.ics'}: file not found" in line
        for line in result.output.splitlines()
    )


def test_the_daemon_watches_the_runs_file_too(tmp_path: Path) -> None:
    config = load_config(workspace(tmp_path))
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    daemon = Daemon(config, store)
    daemon.files.start()
    try:
        assert str((tmp_path / "runs.ics").resolve()) in daemon.files.watched
    finally:
        daemon.files.stop()
