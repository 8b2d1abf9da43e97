"""What the plan page says, read from the served HTML: each week's totals as the plan adds them
up, the next race and its countdown, the A race's week even beyond plan_weeks, and a page (not
an error) that says what is wrong when a source is broken before any plan was made. Seen: the
page had no totals and no next race, ended at plan_weeks with the A race beyond it, and
answered 503 to a broken race file on a first run. (How it looks at a phone's width:
test_page_browser.py.)"""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from service.cli.main import main
from service.daemon.runner import Daemon
from service.sync.engine import run_pass
from tests.web_support import example, get, serving


def embedded(page: str) -> dict[str, Any]:
    found = re.search(r"id='plan-json'>(.*?)</script>", page)
    assert found is not None
    loaded = json.loads(found[1])
    assert isinstance(loaded, dict)
    return loaded


def weeks_on(page: str) -> list[tuple[str, str]]:
    """(Monday, totals line) of every week on the page."""
    found = re.findall(r"data-week='([\d-]+)'.*?<p class='totals'>(.*?)</p>", page)
    return [(week, html.unescape(line)) for week, line in found]


def line(page: str, element_id: str) -> str:
    found = re.search(rf"id='{element_id}'>(.*?)</p>", page)
    assert found is not None, element_id
    return html.unescape(re.sub(r"<[^>]+>", "", found[1]))


def test_every_week_says_its_totals(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    with serving(Daemon(config, store)) as base:
        page = get(base + "/athletes/alex?today=2027-01-11")[2]
    sessions = embedded(page)["sessions"]
    weeks = weeks_on(page)
    assert len(weeks) == 16
    for monday, totals in weeks:
        inside = [s for s in sessions if s["week"] == monday]
        runs = [s for s in inside if s["kind"] == "run"]
        lifts = [s for s in inside if s["kind"] == "strength"]
        km = sum(s["distance_km"] or 0 for s in runs)
        assert totals.startswith(f"Run {km:.1f} km in "), (monday, totals)
        assert f"({len(runs)} runs)" in totals
        assert f"Strength {len(lifts)} session" in totals or (not lifts and "no strength" in totals)
    # The race week's run time, checked by hand: each run from its start to its end.
    race_week = "2027-04-19"
    minutes = sum(
        (datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"])).seconds // 60
        for s in sessions
        if s["week"] == race_week and s["kind"] == "run"
    )
    hours, rest = divmod(minutes, 60)
    assert minutes > 60
    assert f"in {hours} h {rest:02d} min" in dict(weeks)[race_week]


def test_the_next_race_and_its_countdown(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    with serving(Daemon(config, store)) as base:
        early = get(base + "/athletes/alex?today=2027-02-20")[2]
        eve = get(base + "/athletes/alex?today=2027-04-24&weeks=2")[2]
        day = get(base + "/athletes/alex?today=2027-04-25&weeks=2")[2]
        after = get(base + "/athletes/alex?today=2027-05-10&weeks=2")[2]
    assert line(early, "next-race").startswith("Next race: Parkrun 5K #C in 7 days, C race")
    assert line(early, "next-a-race").startswith(
        "A race: Hamburg Marathon [A] in 64 days (9 weeks), A race (Sun 25 Apr 2027"
    )
    assert line(eve, "next-race").startswith("Next race: Hamburg Marathon [A] tomorrow, A race")
    # The next race is the A race: said once.
    assert "id='next-a-race'" not in eve
    assert line(day, "next-race").startswith("Next race: Hamburg Marathon [A] today")
    assert line(after, "next-race") == "No race ahead in your calendar."


def test_the_a_race_week_is_shown_beyond_plan_weeks(tmp_path: Path) -> None:
    """Six months out, plan_weeks (16) ends in February; the page and `plan show` go on to the
    marathon's week, and say which weeks the calendar does not hold yet."""
    config, store = example(tmp_path)
    today = date(2026, 11, 2)
    race_week = date(2027, 4, 19)
    with serving(Daemon(config, store)) as base:
        page = get(base + f"/athletes/alex?today={today}")[2]
        asked = get(base + f"/athletes/alex?today={today}&weeks=4")[2]
    mondays = [w for w, _ in weeks_on(page)]
    assert mondays[0] == today.isoformat()
    assert mondays[-1] == race_week.isoformat()
    assert len(mondays) == (race_week - today).days // 7 + 1 == 25
    race_section = page.split(f"data-week='{race_week}'")[1].split("</section>")[0]
    assert "Hamburg Marathon [A]" in race_section
    written_to = today + timedelta(weeks=16)
    assert f"The weeks from {written_to:%d %b %Y} look ahead to the A race" in page
    # Weeks asked for are the weeks shown.
    assert len(weeks_on(asked)) == 4
    assert "look ahead" not in asked

    shown = CliRunner().invoke(
        main, ["plan", "show", "--json", "--config", str(config.path), "--today", str(today)]
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == embedded(page)
    assert max(s["week"] for s in json.loads(shown.stdout)["sessions"]) == str(race_week)


def test_a_broken_source_before_any_plan_is_a_page_that_says_so(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    config.athletes[0].race_ics[0].write_text("BEGIN:VCALENDAR\nbroken", encoding="utf-8")
    with serving(Daemon(config, store)) as base:
        status, content_type, page = get(base + "/athletes/alex?today=2027-01-11")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    banner = re.search(r"<div class='banner' id='stale' role='alert'>(.*?)</div>", page)
    assert banner is not None
    text = html.unescape(re.sub(r"<[^>]+>", "", banner[1]))
    assert text.startswith("No plan yet.")
    assert "races.ics" in text
    assert "racecal doctor" in text
    # The way to the other athletes stays.
    assert "href='/'" in page


def test_a_broken_source_after_a_pass_shows_the_last_good_plan_on_local_time(
    tmp_path: Path,
) -> None:
    config, store = example(tmp_path)
    entry = config.athletes[0]
    made = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert run_pass(store, entry, made).error is None
    entry.race_ics[0].write_text("BEGIN:VCALENDAR\nbroken", encoding="utf-8")
    with serving(Daemon(config, store)) as base:
        status, _, page = get(base + "/athletes/alex?today=2027-01-11")
    assert status == 200
    banner = re.search(r"<div class='banner' id='stale' role='alert'>(.*?)</div>", page)
    assert banner is not None
    text = html.unescape(re.sub(r"<[^>]+>", "", banner[1]))
    # The pass's time on the athlete's clock, as every time on the page.
    assert text.startswith("The last good plan (made Mon 11 Jan 2027 05:00)")
    assert "races.ics" in text
    assert len(weeks_on(page)) == 16
