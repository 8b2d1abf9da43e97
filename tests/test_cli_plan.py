"""`racecal plan show|explain` through click's runner, on the example config and broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.store.database import Store

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "config.example.toml")
REQUIRED = {
    "key",
    "kind",
    "type",
    "phase",
    "week",
    "start",
    "end",
    "heavy_lower",
    "key_run",
    "title",
    "description",
    "rules",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_show_json_has_every_field() -> None:
    code, out, _ = run("plan", "show", "--config", CONFIG, "--today", "2027-01-11", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"sessions", "warnings"}
    assert len(data["sessions"]) > 50
    for session in data["sessions"]:
        assert set(session) >= REQUIRED
        assert session["kind"] in ("run", "strength")
        assert session["start"][-6] in "+-"  # ISO 8601 with an offset
        assert session["rules"]


def test_show_table_has_weeks_races_and_times() -> None:
    code, out, _ = run("plan", "show", "--config", CONFIG, "--today", "2027-03-22", "--weeks", "2")
    assert code == 0
    assert "Week of Mon 22 Mar 2027" in out
    assert "RACE: Berliner Halbmarathon (B race)" in out
    assert "race-specific" in out
    assert "Long run" not in out.split("Week of Mon 29 Mar")[0].split("Sun 28")[1]


def test_explain_prints_the_rules_of_a_session() -> None:
    _, out, _ = run("plan", "show", "--config", CONFIG, "--today", "2027-01-11", "--json")
    session = next(s for s in json.loads(out)["sessions"] if s["kind"] == "strength")
    code, text, _ = run(
        "plan", "explain", session["key"], "--config", CONFIG, "--today", "2027-01-11"
    )
    assert code == 0
    assert session["title"] in text
    for rule in session["rules"]:
        assert rule in text


def test_unknown_key_exits_1() -> None:
    code, _, err = run("plan", "explain", "nope", "--config", CONFIG, "--today", "2027-01-11")
    assert code == 1
    assert err.startswith("racecal: no session with key 'nope'")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--today", "yesterday"), "--today: 'yesterday' is not a date"),
        (("--config", "/nonexistent/racecal.toml"), "config file not found"),
        (("--athlete", "bob"), "no athlete 'bob'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    base = ["plan", "show"] + (["--config", CONFIG] if "--config" not in args else [])
    code, _, err = run(*base, *args)
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_broken_race_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "races.ics").write_text("garbage", encoding="utf-8")
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('ics = ["examples/busy.ics"]', "ics = []")
    (tmp_path / "c.toml").write_text(text.replace("examples/races.ics", "races.ics"), "utf-8")
    code, _, err = run("plan", "show", "--config", str(tmp_path / "c.toml"))
    assert code == 2
    assert "races.ics: not a valid iCalendar file" in err
    assert err.count("\n") == 1


def test_help_shows_examples() -> None:
    code, out, _ = run("plan", "show", "--help")
    assert code == 0
    assert "Examples:" in out


def test_db_upgrade_creates_the_store_next_to_the_config(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")
    code, out, err = run("db", "upgrade", "--config", str(tmp_path / "c.toml"))
    assert (code, err) == (0, "")
    database = tmp_path / "var" / "racecal.db"
    assert database.exists()
    head = Store.open(f"sqlite:///{database}").head()
    assert out == f"racecal: store at revision {head}\n"


def test_explain_json_carries_the_session_and_its_reasons(tmp_path: Path) -> None:
    from click.testing import CliRunner  # noqa: PLC0415

    from service.cli.main import main  # noqa: PLC0415
    from tests.support import example_workspace  # noqa: PLC0415

    config = str(example_workspace(tmp_path))
    runner = CliRunner()
    shown = runner.invoke(main, ["plan", "show", "--config", config, "--json", "--weeks", "2"])
    key = json.loads(shown.output)["sessions"][0]["key"]
    result = runner.invoke(main, ["plan", "explain", key, "--config", config, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["key"] == key
    plain = runner.invoke(main, ["plan", "explain", key, "--config", config])
    assert body["explanation"] == plain.output.rstrip("\n")


def test_sync_once_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from tests.support import example_workspace  # noqa: PLC0415

    config = example_workspace(tmp_path)
    command = [sys.executable, "-m", "service.cli", "sync", "--once", "--config", str(config)]
    leader, follower = os.openpty()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=follower, env={**os.environ, "COLUMNS": "100"}
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    out = process.communicate(timeout=60)[0].decode()
    os.close(leader)
    assert process.returncode == 0
    assert b"syncing alex" in seen
    assert out.startswith("racecal: alex: ")  # the result line stays plain on stdout
    piped = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "syncing" not in piped.stderr
