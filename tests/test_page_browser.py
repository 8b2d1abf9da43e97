"""The plan page in a real browser: headless Chromium (Debian's `chromium`, driven over the
DevTools protocol by tests/browser_support.py) loads it from the HTTP endpoint at a phone's
width (400 px) and a desktop's (1400 px). The DOM it built is asked what a person sees: no
sideways scrolling, a list of days on the phone and seven columns on the desktop, each week's
totals, the next race, today marked, the athlete's moved and deleted sessions, no console
errors. Full-page screenshots are kept in var/test-artifacts/ for a person to look at.

With CI=true a missing chromium fails the run (`make browser` installs it as root); elsewhere
the tests skip.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store.database import Store
from service.views.style import PHASE_COLOURS
from tests.browser_support import ARTIFACTS, Browser, Tab, browser
from tests.test_plan_as_held import TODAY, edited_world
from tests.web_support import example

PHONE, DESKTOP = 400, 1400


@dataclass(frozen=True)
class World:
    base: str
    moved: str
    gone: str
    gone_title: str
    browser: Browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The example athlete with one session moved and one deleted in the training calendar,
    served on a local port, and one browser for every test here."""
    root = tmp_path_factory.mktemp("page")
    config, moved, gone, gone_title, _start = edited_world(root / "work")
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    web = WebServer(("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 3600), Metrics())
    web.start()
    try:
        host, port = web.address
        with browser(root / "profile") as started:
            yield World(f"http://{host}:{port}", moved, gone, gone_title, started)
    finally:
        web.stop()


def opened(world: World, width: int, path: str = f"/athletes/alex?today={TODAY}") -> Tab:
    tab = world.browser.tab(width, 900, mobile=width < 720)
    tab.open(world.base + path)
    return tab


def plan_of(tab: Tab) -> dict[str, Any]:
    loaded = json.loads(tab.evaluate("document.getElementById('plan-json').textContent"))
    assert isinstance(loaded, dict)
    return loaded


def texts(tab: Tab, selector: str) -> list[str]:
    found = tab.evaluate(f"[...document.querySelectorAll({selector!r})].map(e => e.innerText)")
    assert isinstance(found, list)
    return [str(t) for t in found]


def shown(tab: Tab, selector: str) -> bool:
    """Whether the first element matching `selector` takes up room on the page."""
    return bool(
        tab.evaluate(
            f"(e => !!e && e.getBoundingClientRect().width > 0 && "
            f"e.getBoundingClientRect().height > 0)(document.querySelector({selector!r}))"
        )
    )


def common_checks(tab: Tab, world: World, width: int) -> None:
    """What both widths show alike."""
    assert tab.evaluate("innerWidth") == width
    # Nothing scrolls sideways.
    assert tab.evaluate("document.scrollingElement.scrollWidth") <= width
    plan = plan_of(tab)
    weeks = texts(tab, "section.week .totals")
    assert len(weeks) == 16 == len(texts(tab, "section.week"))
    # The first week's totals, as the plan's JSON adds them up.
    first = [s for s in plan["sessions"] if s["week"] == "2027-01-11"]
    km = sum(s["distance_km"] or 0 for s in first if s["kind"] == "run")
    lifts = sum(1 for s in first if s["kind"] == "strength")
    assert f"Run {km:.1f} km" in weeks[0]
    assert f"Strength {lifts} sessions" in weeks[0]
    # The next race and its countdown, at the top.
    [next_race] = texts(tab, "#next-race")
    assert next_race.startswith("Next race: Parkrun 5K #C in 47 days (6 weeks), C race")
    [a_race] = texts(tab, "#next-a-race")
    assert a_race.startswith("A race: Hamburg Marathon [A] in 104 days (14 weeks), A race")
    assert tab.evaluate("document.querySelector('#next-race').getBoundingClientRect().top") < 200
    # Today, for eyes and for screen readers.
    [today] = tab.evaluate(
        "[...document.querySelectorAll('[aria-current=date]')].map(e => e.dataset.date)"
    )
    assert today == TODAY
    assert "today" in texts(tab, "[aria-current=date] .now")[0]
    assert shown(tab, "[aria-current=date] .now")
    # The session the athlete moved says so; the deleted one is struck through in its day.
    moved = f"details[data-key='{world.moved}']"
    assert shown(tab, moved)
    assert "you moved this" in texts(tab, f"{moved} summary")[0]
    gone = f"[data-deleted='{world.gone}'] del"
    assert shown(tab, gone)
    assert world.gone_title in texts(tab, gone)[0]
    assert "line-through" in tab.evaluate(
        f"getComputedStyle(document.querySelector({gone!r})).textDecorationLine"
    )
    # Every session of the plan is on the page.
    keys = tab.evaluate("[...document.querySelectorAll('details.s')].map(e => e.dataset.key)")
    assert sorted(keys) == sorted(s["key"] for s in plan["sessions"])
    assert tab.console.errors == []


def labels_stand_apart(tab: Tab) -> None:
    """The narrow chart's week labels: apart from each other, none cut off at the edges."""
    labels = tab.evaluate(
        "(() => { const svg = document.querySelector('#volume-chart-narrow');"
        " const s = svg.getBoundingClientRect();"
        " const all = [...svg.querySelectorAll('text')];"
        " const y = Math.max(...all.map(t => +t.getAttribute('y')));"
        " return all.filter(t => +t.getAttribute('y') === y).map(t => {"
        " const r = t.getBoundingClientRect(); return [r.left - s.left, r.right - s.left, s.width];"
        " }); })()"
    )
    assert len(labels) >= 4
    assert all(a[1] <= b[0] for a, b in pairwise(labels)), labels
    assert labels[0][0] >= 0
    assert labels[-1][1] <= labels[-1][2]


def test_the_page_on_a_phone(world: World) -> None:
    tab = opened(world, PHONE)
    common_checks(tab, world, PHONE)
    # A list of days: each day as wide as its week, one below the other.
    boxes = tab.evaluate(
        "[...document.querySelectorAll('section.week')[1].querySelectorAll('li.day')]"
        ".map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width]; })"
    )
    assert len(boxes) == 7
    assert len({round(left) for left, _, _ in boxes}) == 1
    assert all(b[1] < a[1] for b, a in pairwise(boxes))
    assert all(width > PHONE * 0.8 for _, _, width in boxes)
    # Each day names its weekday (no column headers on a phone).
    assert texts(tab, "section.week li.day .date")[0].startswith("Mon 11 Jan")
    # The narrow chart, scaled to the screen; the wide one is not shown.
    assert shown(tab, "#volume-chart-narrow")
    assert not shown(tab, "#volume-chart")
    assert (
        tab.evaluate("document.querySelector('#volume-chart-narrow').getBoundingClientRect().right")
        <= PHONE
    )
    labels_stand_apart(tab)
    # Six months out, 25 weeks share the narrow chart.
    longer = opened(world, PHONE, "/athletes/alex?today=2026-11-02")
    assert longer.evaluate("document.querySelectorAll('section.week').length") == 25
    labels_stand_apart(longer)
    # Text stays readable: nothing in the weeks is set below 11 px.
    smallest = tab.evaluate(
        "Math.min(...[...document.querySelectorAll('.plan *')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 11
    shot = tab.screenshot(ARTIFACTS / "plan-page-400.png")
    with Image.open(shot) as image:
        assert image.size[0] == PHONE
        assert image.size[1] > 3000  # the whole page, not the first screen


def test_the_page_on_a_wide_screen(world: World) -> None:
    tab = opened(world, DESKTOP)
    common_checks(tab, world, DESKTOP)
    # Seven columns: a week's days side by side, on one line.
    boxes = tab.evaluate(
        "[...document.querySelectorAll('section.week')[1].querySelectorAll('li.day')]"
        ".map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top]; })"
    )
    assert len({round(top) for _, top in boxes}) == 1
    assert [left for left, _ in boxes] == sorted(left for left, _ in boxes)
    assert shown(tab, "#volume-chart")
    assert not shown(tab, "#volume-chart-narrow")
    assert tab.evaluate("document.querySelectorAll('#volume-chart .bar-run').length") == 16
    shot = tab.screenshot(ARTIFACTS / "plan-page-1400.png")
    # The screenshot shows the page, chart colours included.
    with Image.open(shot) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=width * height)
    assert width == DESKTOP
    assert colours is not None
    counts = {colour: n for n, colour in colours}
    assert len(counts) > 50
    assert max(counts.values()) < width * height * 0.9
    # Phases the 16 weeks from TODAY go through, each as solid chart bars.
    for phase in ("base", "strength", "race-specific", "taper"):
        rgb = tuple(int(PHASE_COLOURS[phase][i : i + 2], 16) for i in (1, 3, 5))
        assert counts.get(rgb, 0) > 500, phase


def test_the_console_check_sees_a_script_error(world: World, tmp_path: Path) -> None:
    """The checks above would see an error: a page with a broken script reports it."""
    bad = tmp_path / "bad.html"
    bad.write_text("<p>x</p><script>notDefined()</script>", encoding="utf-8")
    tab = world.browser.tab(PHONE, 600, mobile=True)
    tab.open(bad.as_uri())
    assert any("ReferenceError" in line for line in tab.console.errors)


def test_a_broken_source_on_a_phone(world: World, tmp_path: Path) -> None:
    """Before any plan, a broken race file: a banner that says what is wrong, readable at a
    phone's width."""
    config, store = example(tmp_path / "work")
    config.athletes[0].race_ics[0].write_text("BEGIN:VCALENDAR\nbroken", encoding="utf-8")
    web = WebServer(("127.0.0.1", 0), config, ServiceState(["alex"], store, 3600), Metrics())
    web.start()
    try:
        host, port = web.address
        tab = world.browser.tab(PHONE, 900, mobile=True)
        tab.open(f"http://{host}:{port}/athletes/alex?today={TODAY}")
        assert shown(tab, "#stale")
        [banner] = texts(tab, "#stale")
        assert banner.startswith("No plan yet.")
        assert "races.ics" in banner
        assert tab.evaluate("document.scrollingElement.scrollWidth") <= PHONE
        assert tab.console.errors == []
        tab.screenshot(ARTIFACTS / "plan-page-400-broken-source.png")
    finally:
        web.stop()
