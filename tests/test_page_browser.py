"""The plan page in a real browser: headless Chromium (Debian's `chromium`) loads it from the
daemon's HTTP endpoint, dumps the DOM it built and takes a screenshot, which is kept in
var/test-artifacts/ for a person to look at.

With CI=true a missing chromium fails the run (`make test` installs it when run as root);
elsewhere the test skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from service.daemon.runner import Daemon
from service.views.page import PHASE_COLOURS
from tests.web_support import example, get, serving

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "test-artifacts"
WIDTH, HEIGHT = 1280, 1600
TODAY = "2027-01-11"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "chromium is required in CI (Debian package chromium; make test installs it)"
            )
        pytest.skip("chromium not installed")
    return found


def browse(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_lines(stderr: str) -> list[str]:
    """What the page said on the browser console: uncaught errors, refused resources, logs."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_console_check_catches_a_script_error(tmp_path: Path) -> None:
    """The check below would see an error: a page with a broken script shows on stderr."""
    bad = tmp_path / "bad.html"
    bad.write_text("<p>x</p><script>notDefined()</script>", encoding="utf-8")
    result = browse(bad.as_uri(), tmp_path / "profile", "--dump-dom")
    assert any("Uncaught ReferenceError" in line for line in console_lines(result.stderr))


def test_plan_page_in_headless_chromium(tmp_path: Path) -> None:
    config, store = example(tmp_path / "work")
    with serving(Daemon(config, store)) as base:
        url = f"{base}/athletes/alex?today={TODAY}"
        served = get(url)[2]
        plan = json.loads(
            re.search(r"id='plan-json'>(.*?)</script>", served)[1]  # type: ignore[index]
        )
        dom = browse(url, tmp_path / "profile", "--dump-dom")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "plan-page.png"
        shot.unlink(missing_ok=True)
        screenshot = browse(
            url, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}"
        )

    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_lines(dom.stderr) == []
    assert screenshot.returncode == 0, screenshot.stderr[-2000:]
    assert console_lines(screenshot.stderr) == []

    # The DOM the browser built holds every session of the plan, the races and the chart.
    html = dom.stdout
    assert len(plan["sessions"]) > 60
    for session in plan["sessions"]:
        assert f'data-key="{session["key"]}"' in html
    for race in ("Hamburg Marathon", "Berliner Halbmarathon", "Parkrun 5K"):
        assert race in html
    assert html.count('class="bar-run"') == 16
    assert html.count('class="bar-strength"') == 16
    assert html.count("<tr data-phase=") == 16

    # The screenshot is the size asked for and shows the page, chart colours included.
    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=WIDTH * HEIGHT)
    assert colours is not None
    counts = {colour: n for n, colour in colours}
    background = max(counts.values())
    assert len(counts) > 50
    assert background < WIDTH * HEIGHT * 0.9
    # Phases the 16 weeks from TODAY go through, each as solid chart bars.
    for phase in ("base", "strength", "race-specific", "taper"):
        assert counts.get(rgb(PHASE_COLOURS[phase]), 0) > 500, phase
