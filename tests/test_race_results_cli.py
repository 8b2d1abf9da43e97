"""A result written in a race event, end to end (R7): from the .ics race file through
`plan show --json`, `plan explain`, `sync --once`, `status` and the plan page, as a runner
meets it after `racecal init`. Expected paces come from the pace model (paces_for over the
same result), never from numbers written here."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from scheduler.model import Athlete, Zone
from scheduler.paces import paces_for, vdot
from service.cli.main import main
from service.config.load import load_config
from service.views.held import held_plan
from service.views.page import plan_page
from tests.ics_support import put_raw
from tests.support import example_workspace

HAMBURG = "0k2m4qf6p1lq8v3c9s7e5b2n1d@google.com"
TODAY = "2026-12-07"


def race_event(uid: str, title: str, day: str, description: str) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261116T080000Z\r\n"
        f"DTSTART;VALUE=DATE:{day}\r\nSUMMARY:{title}\r\n"
        f"DESCRIPTION:{description}\r\nEND:VEVENT\r\n"
    )


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def show(config: Path) -> dict[str, object]:
    code, out, err = run("plan", "show", "--config", str(config), "--today", TODAY, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def block_paces(data: dict[str, object], zone: Zone) -> set[tuple[int, int]]:
    """The pace ranges of `zone` in the steps of the A race's block (the next block)."""
    sessions = data["sessions"]
    assert isinstance(sessions, list)
    return {
        (step["pace_s_per_km"][0], step["pace_s_per_km"][1])
        for s in sessions
        if s["anchor"] == HAMBURG
        for block in s["steps"]
        for step in block["steps"]
        if step["zone"] == zone.value
    }


def model(a: Athlete, km: float, seconds: int, zone: Zone) -> tuple[int, int]:
    z = paces_for(replace(a, recent_race_km=km, recent_race_s=seconds), None).of(zone)
    return (z.fast, z.slow)


def with_result(tmp_path: Path, description: str, title: str = "Stadtlauf 10K") -> Path:
    config = example_workspace(tmp_path)
    put_raw(
        tmp_path / "examples" / "races.ics",
        race_event("stadtlauf@example", title, "20261115", description),
    )
    return config


def test_a_10k_result_in_the_race_file_sets_the_next_blocks_paces(tmp_path: Path) -> None:
    before = show(example_workspace(tmp_path / "before"))
    config = with_result(tmp_path / "after", "Startnummer 4458. Startzeit 10:00. Zeit: 44:58")
    after = show(config)
    a = load_config(config).athletes[0].athlete
    for zone in (Zone.EASY, Zone.LONG, Zone.THRESHOLD, Zone.INTERVAL):
        assert block_paces(after, zone) == {model(a, 10.0, 2698, zone)}, zone
        assert block_paces(before, zone) != block_paces(after, zone), zone
    paces = after["paces"]
    assert isinstance(paces, dict)
    assert paces["vdot"] == round(vdot(10.0, 2698), 1)
    assert "Stadtlauf 10K" in paces["from"]
    [result] = paces["results"]
    assert (result["verdict"], result["seconds"], result["outcome"]) == (
        "applied",
        2698,
        "finished",
    )
    before_paces = before["paces"]
    assert isinstance(before_paces, dict)
    assert before_paces["results"] == []

    sessions = after["sessions"]
    assert isinstance(sessions, list)
    tempo = next(
        s for s in sessions if s["anchor"] == HAMBURG and s["kind"] == "run" and s["key_run"]
    )
    code, text, err = run(
        "plan", "explain", tempo["key"], "--config", str(config), "--today", TODAY
    )
    assert code == 0, err
    r7 = [line for line in text.splitlines() if line.strip().startswith("R7")]
    assert any("44:58" in line and "Stadtlauf 10K" in line for line in r7), text

    code, table, _ = run("plan", "show", "--config", str(config), "--today", TODAY, "--weeks", "1")
    assert code == 0
    assert "Stadtlauf 10K" in table
    assert "sets your" in table


def test_the_page_and_status_show_the_result_and_its_paces(tmp_path: Path) -> None:
    config = with_result(tmp_path, "Zeit: 44:58")
    entry = load_config(config).athletes[0]
    held = held_plan(entry, None, datetime.fromisoformat(f"{TODAY}T08:00:00+01:00"))
    html = plan_page(held.plan, held.problems, [entry.athlete.id], held)
    box = html.split("id='paces'>", 1)[1].split("</div>", 1)[0]
    assert "Stadtlauf 10K" in box
    assert "44:58" in box
    easy = paces_for(replace(entry.athlete, recent_race_km=10.0, recent_race_s=2698), None)
    fast, slow = easy.of(Zone.EASY).fast, easy.of(Zone.EASY).slow
    assert f"easy {fast // 60}:{fast % 60:02d}-{slow // 60}:{slow % 60:02d} /km" in box

    code, _, err = run(
        "sync", "--once", "--config", str(config), "--now", f"{TODAY}T08:00:00+01:00"
    )
    assert code == 0, err
    code, out, err = run("status", "--config", str(config))
    assert code == 0, err
    assert "Stadtlauf 10K" in out
    assert "44:58" in out
    assert "result:" in out
    code, out, _ = run("status", "--config", str(config), "--json")
    [row] = json.loads(out)
    assert row["paces"]["results"][0]["verdict"] == "applied"
    assert row["paces"]["vdot"] == round(vdot(10.0, 2698), 1)


def test_an_impossible_result_is_reported_and_paces_stay(tmp_path: Path) -> None:
    config = with_result(tmp_path / "fast", "Ergebnis: 15:00")
    text = config.read_text().replace('# recent_race = "half 1:44:10"', 'recent_race = "10K 50:00"')
    config.write_text(text)
    data = show(config)
    a = load_config(config).athletes[0].athlete
    assert block_paces(data, Zone.EASY) == {model(a, 10.0, 3000, Zone.EASY)}
    warnings = data["warnings"]
    assert isinstance(warnings, list)
    [line] = [w for w in warnings if "Stadtlauf 10K" in w]
    assert "not applied" in line
    assert line.endswith("(R7)")

    marathon = with_result(tmp_path / "marathon", "result 1:20:00", "Frankfurt Marathon")
    data = show(marathon)
    paces = data["paces"]
    assert isinstance(paces, dict)
    assert [r["verdict"] for r in paces["results"]] == ["impossible"]
    warnings = data["warnings"]
    assert isinstance(warnings, list)
    assert any("Frankfurt Marathon" in w and "world record" in w for w in warnings)


def test_a_dnf_leaves_the_paces_as_they_were(tmp_path: Path) -> None:
    before = show(example_workspace(tmp_path / "before"))
    after = show(with_result(tmp_path / "after", "DNF - Wade bei km 6"))
    for zone in (Zone.EASY, Zone.THRESHOLD, Zone.MARATHON):
        assert block_paces(after, zone) == block_paces(before, zone)
    paces = after["paces"]
    assert isinstance(paces, dict)
    assert [r["outcome"] for r in paces["results"]] == ["dnf"]
    assert after["warnings"] == before["warnings"]
