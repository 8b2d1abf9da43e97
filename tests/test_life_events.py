"""L13-L16 and P12 from real .ics files through `racecal plan show --json`: marker events in
the busy and race calendars (#holiday, #travel bodyweight, #sick, #injured, #nostrength,
CATEGORIES:Urlaub) take, ease or shorten the sessions of their days, each change citing its
rule, and `plan check` finds no hard rule broken."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from service.cli.main import main
from tests.support import example_workspace

TODAY = "2027-01-11"  # a Monday, 15 weeks before the example's marathon on 2027-04-25


def _event(uid: str, title: str, first: date, last: date, extra: str = "") -> str:
    """An all-day event from `first` to `last` (DTEND is the day after, as calendars write)."""
    end = last + timedelta(days=1)
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20270101T000000Z\r\nSUMMARY:{title}\r\n"
        f"DTSTART;VALUE=DATE:{first:%Y%m%d}\r\nDTEND;VALUE=DATE:{end:%Y%m%d}\r\n"
        f"{extra}END:VEVENT\r\n"
    )


def _add(ics: Path, *events: str) -> None:
    text = ics.read_text()
    cut = text.rindex("END:VCALENDAR")
    ics.write_text(text[:cut] + "".join(events) + text[cut:])


def _show(config: Path, *extra: str) -> dict[str, Any]:
    args = ["plan", "show", "--config", str(config), "--today", TODAY, "--json", *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _check(config: Path) -> list[dict[str, Any]]:
    args = ["plan", "check", "--config", str(config), "--today", TODAY, "--json"]
    result = CliRunner().invoke(main, args)
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    hard = [r for r in rows if r["hard"] and not r["met"]]
    assert not hard, hard
    assert result.exit_code == 0
    return rows


def _day(session: dict[str, Any]) -> date:
    return datetime.fromisoformat(session["start"]).date()


def _on(data: dict[str, Any], first: date, last: date) -> list[dict[str, Any]]:
    return [s for s in data["sessions"] if first <= _day(s) <= last]


def _warned(data: dict[str, Any], rule: str) -> list[str]:
    return [str(w) for w in data["warnings"] if str(w).endswith(f"({rule})")]


def _workspace(tmp_path: Path, *events: str, races: bool = False) -> Path:
    config = example_workspace(tmp_path)
    _add(config.parent / "examples" / ("races.ics" if races else "busy.ics"), *events)
    return config


FIRST, LAST = date(2027, 1, 18), date(2027, 1, 24)  # week 2 of the plan, Monday to Sunday


def test_holiday_takes_every_session_of_its_days(tmp_path: Path) -> None:
    plain = _show(example_workspace(tmp_path / "plain"))
    assert len(_on(plain, FIRST, LAST)) >= 5  # the week holds runs and strength without it
    config = _workspace(tmp_path / "life", _event("h1", "Skiing #holiday", FIRST, LAST))
    data = _show(config)
    assert _on(data, FIRST, LAST) == []
    (message,) = _warned(data, "L13")
    assert "#holiday 2027-01-18 to 2027-01-24" in message
    # The weeks around it keep their sessions and runs; a lift may take a day the holiday's
    # runs no longer constrain (no long run the day before: L3).
    planned = {s["key"]: s for s in plain["sessions"]}
    before = [s["key"] for s in plain["sessions"] if not FIRST <= _day(s) <= LAST]
    assert sorted(s["key"] for s in data["sessions"]) == sorted(before)
    assert [s for s in data["sessions"] if s["kind"] == "run"] == [
        planned[k] for k in before if planned[k]["kind"] == "run"
    ]
    for s in data["sessions"]:
        assert s["week"] == planned[s["key"]]["week"]
    # The week's lifts found no day: L10 drops them, naming the holiday's rule.
    lifts = [s["key"] for s in _on(plain, FIRST, LAST) if s["kind"] == "strength"]
    dropped = [w for w in _warned(data, "L10") if "rules out strength those days (L13)" in w]
    assert lifts
    assert len(dropped) == len(lifts)
    _check(config)


def test_a_category_marks_a_holiday_and_is_no_race(tmp_path: Path) -> None:
    # In the race calendar: "Urlaub 10K Lauf" would read as a race but for its category.
    category = "CATEGORIES:Urlaub\r\n"
    event = _event("h2", "Urlaub 10K Lauf", FIRST, FIRST + timedelta(days=2), category)
    config = _workspace(tmp_path, event, races=True)
    data = _show(config)
    assert _on(data, FIRST, FIRST + timedelta(days=2)) == []
    assert _warned(data, "L13")
    assert all(s["anchor"] != "h2" for s in data["sessions"])
    _check(config)


def test_travel_bodyweight_keeps_one_bodyweight_session(tmp_path: Path) -> None:
    config = _workspace(tmp_path, _event("t1", "Conference #travel bodyweight", FIRST, LAST))
    data = _show(config)
    (only,) = _on(data, FIRST, LAST)
    assert only["type"] == "strength-bodyweight"
    assert not only["heavy_lower"]
    assert "L13" in only["rules"]
    assert _warned(data, "L13")
    _check(config)


def test_travel_without_bodyweight_is_a_holiday(tmp_path: Path) -> None:
    config = _workspace(tmp_path, _event("t2", "Flight #TRAVEL", FIRST, FIRST + timedelta(days=1)))
    assert _on(_show(config), FIRST, FIRST + timedelta(days=1)) == []


def test_sick_days_then_a_graded_return(tmp_path: Path) -> None:
    plain = _show(example_workspace(tmp_path / "plain"))
    sick_last = FIRST + timedelta(days=4)  # Monday to Friday: 5 days missed
    config = _workspace(tmp_path / "life", _event("s1", "#sick cold", FIRST, sick_last))
    data = _show(config)
    assert _on(data, FIRST, sick_last) == []
    assert _warned(data, "L14")
    back = sick_last + timedelta(days=1)
    window = _on(data, back, back + timedelta(days=4))
    runs = [s for s in window if s["kind"] == "run"]
    assert runs
    assert all("L14" in s["rules"] for s in runs)
    # No key run in the first 3 days back; each run no longer than the plan's that day.
    assert not [s for s in _on(data, back, back + timedelta(days=2)) if s["key_run"]]
    planned = {s["key"]: s for s in plain["sessions"]}
    for s in runs:
        assert s["distance_km"] <= planned[s["key"]]["distance_km"]
    assert sum(s["distance_km"] for s in runs) < sum(planned[s["key"]]["distance_km"] for s in runs)
    # After the return window the plan is the plan again.
    later = _on(data, back + timedelta(days=5), back + timedelta(days=30))
    assert all(s == planned[s["key"]] for s in later)
    _check(config)


def test_injured_no_running_no_legs_then_a_conservative_return(tmp_path: Path) -> None:
    last = FIRST + timedelta(days=9)
    config = _workspace(tmp_path, _event("i1", "Achilles #injured", FIRST, last))
    data = _show(config)
    inside = _on(data, FIRST, last)
    assert inside
    assert all(s["kind"] == "strength" and not s["heavy_lower"] for s in inside)
    assert all("L15" in s["rules"] and "upper body" in s["title"] for s in inside)
    assert _warned(data, "L15")
    # The return is twice as long as the injury, easy runs only.
    after = _on(data, last + timedelta(days=1), last + timedelta(days=20))
    runs = [s for s in after if s["kind"] == "run"]
    assert runs
    assert not [s for s in runs if s["key_run"]]
    assert all(s["type"] == "easy" and "L15" in s["rules"] for s in runs)
    _check(config)


def test_nostrength_keeps_the_runs(tmp_path: Path) -> None:
    plain = _show(example_workspace(tmp_path / "plain"))
    config = _workspace(tmp_path / "life", _event("n1", "Move house #nostrength", FIRST, LAST))
    data = _show(config)
    inside = _on(data, FIRST, LAST)
    assert inside
    assert all(s["kind"] == "run" for s in inside)
    assert [s["key"] for s in inside] == [
        s["key"] for s in _on(plain, FIRST, LAST) if s["kind"] == "run"
    ]
    # A whole week leaves its lifts no day: L10 drops them, naming L16.
    assert [w for w in _warned(data, "L10") if "rules out strength those days (L16)" in w]
    _check(config)


def test_a_block_that_loses_three_weeks_is_replanned_by_p3(tmp_path: Path) -> None:
    last = FIRST + timedelta(days=20)
    config = _workspace(tmp_path, _event("i2", "Stress fracture #injured", FIRST, last))
    data = _show(config)
    (message,) = _warned(data, "P12")
    assert "21 days" in message
    assert "re-planned from 2027-02-08 by P3" in message
    assert any("compressed" in m for m in _warned(data, "P3"))
    _check(config)


def test_a_timed_marker_is_no_busy_time_twice(tmp_path: Path) -> None:
    # A timed #nostrength evening: its runs stay where busy time would have pushed them.
    plain = _show(example_workspace(tmp_path / "plain"))
    day = FIRST
    event = (
        "BEGIN:VEVENT\r\nUID:n2\r\nDTSTAMP:20270101T000000Z\r\nSUMMARY:#nostrength gala\r\n"
        f"DTSTART;TZID=Europe/Berlin:{day:%Y%m%d}T050000\r\n"
        f"DTEND;TZID=Europe/Berlin:{day:%Y%m%d}T230000\r\nEND:VEVENT\r\n"
    )
    data = _show(_workspace(tmp_path / "life", event))
    runs = [s for s in _on(data, day, day) if s["kind"] == "run"]
    assert runs == [s for s in _on(plain, day, day) if s["kind"] == "run"]
    assert not [s for s in _on(data, day, day) if s["kind"] == "strength"]


def test_a_marker_without_its_hash_is_one_line(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    text = config.read_text().replace(
        "[athletes.windows]",
        '[athletes.life]\nmarkers = { "urlaub" = "holiday" }\n\n[athletes.windows]',
    )
    config.write_text(text)
    result = CliRunner().invoke(main, ["plan", "show", "--config", str(config)])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "athletes" in line
    assert "markers" in line
    assert "'urlaub'" in line
    assert "#" in line


def test_own_markers_and_categories_from_the_config(tmp_path: Path) -> None:
    config = _workspace(
        tmp_path,
        _event("o1", "Ferien #weg", FIRST, FIRST + timedelta(days=1)),
        _event("o2", "Zahnarzt", LAST - timedelta(days=1), LAST, "CATEGORIES:Krankmeldung\r\n"),
    )
    text = config.read_text().replace(
        "[athletes.windows]",
        '[athletes.life]\nmarkers = { "#weg" = "holiday" }\n'
        'categories = { "Krankmeldung" = "sick" }\n\n[athletes.windows]',
    )
    config.write_text(text)
    data = _show(config)
    assert _on(data, FIRST, FIRST + timedelta(days=1)) == []
    assert _on(data, LAST - timedelta(days=1), LAST) == []
    assert _warned(data, "L13")
    assert _warned(data, "L14")


def test_doctor_counts_no_marked_event_as_busy_time(tmp_path: Path) -> None:
    def busy_line(config: Path) -> str:
        result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
        return next(line for line in result.output.splitlines() if "busy interval" in line)

    plain = busy_line(example_workspace(tmp_path / "plain"))
    event = (
        "BEGIN:VEVENT\r\nUID:s9\r\nDTSTAMP:20270101T000000Z\r\nSUMMARY:Doctor #krank\r\n"
        "DTSTART;TZID=Europe/Berlin:20260104T080000\r\n"
        "DTEND;TZID=Europe/Berlin:20260104T100000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
    )
    marked = busy_line(_workspace(tmp_path / "life", event))
    assert marked.split(": ")[-1] == plain.split(": ")[-1]


def test_a_pass_deletes_the_marked_days_sessions_and_brings_them_back(tmp_path: Path) -> None:
    """The sync writes the bent plan: the holiday's sessions leave the training calendar, and
    come back when the athlete removes the holiday (racecal took them, not the athlete)."""
    config = example_workspace(tmp_path)
    busy = config.parent / "examples" / "busy.ics"
    before = busy.read_bytes()
    first, last = date(2027, 1, 18), date(2027, 1, 24)

    def held_in_week() -> int:
        text = (config.parent / "var" / "training.ics").read_text()
        days = {f"{first + timedelta(days=i):%Y%m%d}T" for i in range((last - first).days + 1)}
        return sum(
            1
            for line in text.splitlines()
            if line.startswith("DTSTART") and any(d in line for d in days)
        )

    def sync() -> None:
        now = "2027-01-11T05:00:00+01:00"
        result = CliRunner().invoke(main, ["sync", "--once", "--config", str(config), "--now", now])
        assert result.exit_code == 0, result.output

    sync()
    planned = held_in_week()
    assert planned >= 5
    _add(busy, _event("h9", "#holiday", first, last))
    sync()
    assert held_in_week() == 0
    busy.write_bytes(before)
    sync()
    assert held_in_week() == planned
