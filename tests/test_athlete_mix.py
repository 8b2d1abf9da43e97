"""A random mix of good and broken athletes in one config always gives every good athlete its
pass (issue 13): whatever the others' trouble, in whatever order they stand, each good athlete
is planned and written and each broken one is one line naming it and what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import example_workspace

ROOT = Path(__file__).resolve().parent.parent
NOW = "2027-01-11T05:00:00+01:00"
KINDS = ("good", "race in 9999", "no race file", "not a calendar", "output is a folder")


def workspace(base: Path, kinds: list[str]) -> Path:
    config = example_workspace(base)
    text = config.read_text(encoding="utf-8")
    head, athlete = text[: text.index("[[athletes]]")], text[text.index("[[athletes]]") :]
    races = (base / "examples" / "races.ics").read_text(encoding="utf-8")
    tables = []
    for n, kind in enumerate(kinds):
        name = f"a{n}"
        race_file = base / "examples" / f"{name}.ics"
        if kind == "race in 9999":
            race_file.write_text(races.replace("20270425T", "99991230T"), encoding="utf-8")
        elif kind == "not a calendar":
            race_file.write_text("<html><body>Sign in</body></html>\n", encoding="utf-8")
        elif kind != "no race file":
            race_file.write_text(races, encoding="utf-8")
        if kind == "output is a folder":
            (base / "var" / f"{name}.ics").mkdir(parents=True)
        tables.append(
            athlete.replace('id = "alex"', f'id = "{name}"')
            .replace("examples/races.ics", f"examples/{name}.ics")
            .replace('ics = "var/training.ics"', f'ics = "var/{name}.ics"')
        )
    config.write_text(head + "\n".join(tables), encoding="utf-8")
    return config


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(KINDS), min_size=2, max_size=4).filter(lambda k: "good" in k))
def test_every_good_athlete_gets_its_pass_whatever_the_others_do(kinds: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        config = workspace(base, kinds)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "service.cli",
                "sync",
                "--once",
                "--now",
                NOW,
                "--config",
                "config.toml",
            ],
            cwd=base,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        said = (done.stdout + done.stderr).splitlines()
        assert "Traceback" not in done.stderr, done.stderr
        assert config.exists()
        for n, kind in enumerate(kinds):
            lines = [line for line in said if line.startswith(f"racecal: a{n}:")]
            assert len(lines) >= 1, (kind, said)
            if kind == "good":
                assert "created" in lines[0], (kind, lines)
                written = icalendar.Calendar.from_ical((base / "var" / f"a{n}.ics").read_bytes())
                assert len(written.walk("VEVENT")) > 50
            else:
                assert "created" not in " ".join(lines), (kind, lines)
        assert (done.returncode == 0) == (set(kinds) == {"good"}), (kinds, done.returncode)
