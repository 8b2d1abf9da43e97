"""Workouts on the watch: `racecal workouts export` writes each session with a workout as a FIT
file, read back here with fitdecode (racecal encodes with Garmin's SDK) and held to the plan's
own JSON: steps, durations, pace targets, repeats; strength sessions' exercises, sets and
reps. Re-run after a race moved, it rewrites the changed files under their names and removes
the ones it wrote for sessions that are gone, and nothing else in the folder."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import fitdecode.profile
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.model import Block, Phase, PlacedSession, Step, Zone
from scheduler.plan import zone
from scheduler.workouts import UPHILL
from service.cli.main import main
from service.config.load import load_config
from service.views.fit_exercises import CATALOGUE
from service.views.fit_workout import file_name, fit_workout
from tests.fit_reading import (
    INTENSITY,
    exercise_name,
    expected_run_steps,
    read_fit,
    step_as_read,
)
from tests.support import example_workspace, move_race

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "config.example.toml")
TODAY = "2027-01-11"


def cli(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def plan_json(config: str, today: str = TODAY, weeks: str = "10") -> list[dict[str, Any]]:
    out = cli("plan", "show", "--config", config, "--today", today, "--weeks", weeks, "--json")
    sessions: list[dict[str, Any]] = json.loads(out)["sessions"]
    return sessions


def export(config: str, out: Path, today: str = TODAY, weeks: str = "10") -> str:
    return cli(
        "workouts", "export", "--config", config, "--today", today, "--weeks", weeks,
        "--out", str(out),
    )  # fmt: skip


def top(span: str) -> int:
    return int(span.partition(" ")[0].rpartition("-")[2])


@pytest.mark.parametrize("heart_rate", [False, True], ids=["paces", "paces-and-heart-rate"])
def test_every_run_file_holds_the_plans_steps_durations_and_paces(
    tmp_path: Path, heart_rate: bool
) -> None:
    config = CONFIG
    if heart_rate:
        path = example_workspace(tmp_path / "work")
        path.write_text(path.read_text().replace("# threshold_hr = 168", "threshold_hr = 168"))
        config = str(path)
    sessions = plan_json(config)
    out = tmp_path / "out"
    export(config, out)
    runs = [s for s in sessions if s["kind"] == "run" and s["steps"]]
    assert {s["type"] for s in runs} >= {"easy", "long", "tempo", "intervals", "strides"}
    repeats = 0
    for session in runs:
        messages = read_fit((out / file_name(session["key"])).read_bytes())
        assert messages["file_id"][0]["type"] == "workout"
        (workout,) = messages["workout"]
        assert workout["sport"] == "running"
        assert session["title"] in workout["wkt_name"]
        want = expected_run_steps(session["steps"])
        got = [step_as_read(s, w) for s, w in zip(messages["workout_step"], want, strict=True)]
        assert got == want, session["key"]
        assert workout["num_valid_steps"] == len(want)
        repeats += sum(1 for w in want if "repeat_steps" in w)
    assert repeats  # cruise intervals, 800 m repeats and strides came through as repeats
    with_hr = [st for s in runs for b in s["steps"] for st in b["steps"] if st["hr"]]
    assert bool(with_hr) == heart_rate


def test_every_strength_file_holds_its_exercises_sets_and_reps(tmp_path: Path) -> None:
    sessions = plan_json(CONFIG, weeks="3")
    export(CONFIG, tmp_path, weeks="3")
    lifts = [s for s in sessions if s["kind"] == "strength"]
    assert lifts
    catalogued = 0
    for session in lifts:
        messages = read_fit((tmp_path / file_name(session["key"])).read_bytes())
        (workout,) = messages["workout"]
        assert (workout["sport"], workout["sub_sport"]) == ("training", "strength_training")
        steps = messages["workout_step"]
        work = [s for s in steps if s.get("intensity") == "active"]
        exercises = [e for e in session["exercises"] if e["role"] != "warm-up"]
        assert [s["wkt_step_name"] for s in work] == [e["name"] for e in exercises]
        warm = next(e for e in session["exercises"] if e["role"] == "warm-up")
        assert steps[0]["intensity"] == "warmup"
        assert steps[0]["duration_time"] == warm["seconds"]
        for step, e in zip(work, exercises, strict=True):
            if e["reps"].endswith(" s"):
                assert step["duration_time"] == top(e["reps"])
            else:
                assert step["duration_reps"] == top(e["reps"])
            if e["name"] in CATALOGUE:
                category, name = CATALOGUE[e["name"]]
                assert step["exercise_category"] == category
                assert exercise_name(category, step["exercise_name"]) == name
                catalogued += 1
            else:
                assert "exercise_category" not in step
        # Every exercise's sets: a repeat over it (and its superset partners), as many times
        # as the top of its sets.
        repeat_counts = [s["repeat_steps"] for s in steps if "repeat_steps" in s]
        leads = [e for e in exercises if e["rest"]]
        assert repeat_counts == [top(e["sets"]) for e in leads if top(e["sets"]) > 1]
    assert catalogued


def test_catalogue_names_are_in_the_fit_profile() -> None:
    for category, name in CATALOGUE.values():
        names = fitdecode.profile.FIELD_TYPES[f"{category}_exercise_name"].enum
        assert name in names.values(), (category, name)


def test_export_again_after_a_race_moved(tmp_path: Path) -> None:
    config = example_workspace(tmp_path / "work")
    out = tmp_path / "NEWFILES"
    out.mkdir()
    (out / "theirs.fit").write_bytes(b"not ours")
    today = "2027-03-15"
    assert "0 removed" in export(str(config), out, today, "3")
    before = {p.name: p.read_bytes() for p in out.glob("*.fit") if p.name != "theirs.fit"}
    sessions = plan_json(str(config), today, "3")
    assert set(before) == {file_name(s["key"]) for s in sessions}

    assert "0 written" in export(str(config), out, today, "3")  # nothing changed, nothing written

    entry = load_config(config).athletes[0]
    move_race(entry, "Hamburg Marathon [A]", 7)
    moved = plan_json(str(config), today, "3")
    line = export(str(config), out, today, "3")
    after = {p.name: p.read_bytes() for p in out.glob("*.fit") if p.name != "theirs.fit"}
    assert set(after) == {file_name(s["key"]) for s in moved}
    gone = set(before) - set(after)
    changed = {n for n in set(before) & set(after) if before[n] != after[n]}
    assert gone
    assert changed
    assert f"{len(gone)} removed" in line
    # A moved session kept its name and its file says the new day.
    by_key = {s["key"]: s for s in moved}
    for name in changed:
        key = next(k for k in by_key if file_name(k) == name)
        start = datetime.fromisoformat(by_key[key]["start"])
        (workout,) = read_fit(after[name])["workout"]
        assert workout["wkt_name"].startswith(f"{start:%a %d %b}")
    assert (out / "theirs.fit").read_bytes() == b"not ours"
    assert not list(out.glob("*.tmp"))


def test_export_into_a_file_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    blocked = tmp_path / "file" / "sub"
    done = CliRunner().invoke(
        main, ["workouts", "export", "--config", CONFIG, "--today", TODAY, "--out", str(blocked)]
    )
    assert done.exit_code == 2
    assert done.stderr.startswith(f"racecal: {blocked}:")
    assert len(done.stderr.splitlines()) == 1
    assert (tmp_path / "file").read_text() == "x"


# -- decode(encode(w)) recovers every step ---------------------------------------------------
KINDS = ("warmup", "work", "recovery", "steady", "cooldown")
paces = st.tuples(st.integers(150, 900), st.integers(0, 120)).map(lambda p: (p[0], p[0] + p[1]))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    fast, slow = draw(paces)
    by = draw(st.sampled_from(("distance", "time")))
    if by == "time":
        seconds = draw(st.integers(10, 4 * 3600))
        km = round(seconds / ((fast + slow) / 2), 2)
    else:
        km = draw(st.integers(1, 5000)) / 100
        seconds = round(km * (fast + slow) / 2)
    note = draw(st.sampled_from(("", UPHILL, "jog recovery")))
    low = draw(st.integers(90, 200))
    hr = draw(st.sampled_from((None, (low, low + draw(st.integers(0, 25))))))
    return Step(
        draw(st.sampled_from(KINDS)),
        draw(st.sampled_from(list(Zone))),
        km,
        seconds,
        by,
        (fast, slow),
        draw(st.integers(1, 10)),
        hr,
        note,
    )


blocks = st.lists(
    st.builds(Block, st.integers(1, 20), st.lists(steps(), min_size=1, max_size=3).map(tuple)),
    min_size=1,
    max_size=6,
).map(tuple)


def session_of(blocks: tuple[Block, ...]) -> PlacedSession:
    start = datetime(2027, 5, 4, 6, 30, tzinfo=zone("Europe/Berlin"))
    return PlacedSession(
        key="race@example.com/w-03/q1",
        kind="run",
        type="intervals",
        slot="q1",
        phase=Phase.RACE_SPECIFIC,
        week=date(2027, 5, 3),
        anchor="race@example.com",
        rel_week=-3,
        start=start,
        end=start.replace(hour=8),
        heavy_lower=False,
        key_run=True,
        title="Generated",
        description="",
        reasons=(),
        steps=blocks,
    )


def decoded_blocks(data: bytes) -> list[tuple[int, list[tuple[Any, ...]]]]:
    """The blocks a file holds, rebuilt from its steps alone: (repeat, [(intensity, by,
    metres or seconds, pace range or None, heart-rate range or None)]); a step no repeat
    covers is a block of one."""
    out: list[tuple[int, list[tuple[Any, ...]]]] = []
    pending: list[tuple[int, tuple[Any, ...]]] = []  # (message index, step) not yet in a block
    for s in read_fit(data)["workout_step"]:
        if s["duration_type"] == "repeat_until_steps_cmplt":
            first = s["duration_step"]
            out.extend((1, [row]) for i, row in pending if i < first)
            out.append((s["repeat_steps"], [row for i, row in pending if i >= first]))
            pending = []
            continue
        pace = None
        if s["target_type"] == "speed":
            high, low = s["custom_target_speed_high"], s["custom_target_speed_low"]
            pace = (round(1000 / high), round(1000 / low))
        if s["duration_type"] == "time":
            amount = ("time", round(s["duration_time"]))
        else:
            amount = ("distance", round(s["duration_distance"]))
        hr = None
        if s.get("secondary_target_type") == "heart_rate":
            hr = (
                s["secondary_custom_target_heart_rate_low"] - 100,
                s["secondary_custom_target_heart_rate_high"] - 100,
            )
        pending.append((s["message_index"], (s["intensity"], *amount, pace, hr)))
    out.extend((1, [row]) for _, row in pending)
    return out


def planned_blocks(blocks: tuple[Block, ...]) -> list[tuple[int, list[tuple[Any, ...]]]]:
    out: list[tuple[int, list[tuple[Any, ...]]]] = []
    for b in blocks:
        rows = [
            (
                INTENSITY[s.kind],
                s.by,
                s.seconds if s.by == "time" else round(s.km * 1000),
                None if s.note == UPHILL else s.pace,
                s.hr,
            )
            for s in b.steps
        ]
        if b.repeat > 1:
            out.append((b.repeat, rows))
        else:
            out.extend((1, [r]) for r in rows)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks)
def test_decoding_the_file_recovers_every_step(generated: tuple[Block, ...]) -> None:
    assert decoded_blocks(fit_workout(session_of(generated))) == planned_blocks(generated)
