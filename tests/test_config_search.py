"""The config is found where `racecal init` puts it and where gcalcli, khal and vdirsyncer
users look: --config, then $RACECAL_CONFIG, then ./racecal.toml, then
$XDG_CONFIG_HOME/racecal/config.toml, then /etc/racecal/config.toml. Seen: after `racecal init`
every other command failed, looking only for ./config.example.toml."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.config.load import config_path, load_config
from service.config.reader import ConfigError
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store.database import Store
from tests.support import example_workspace
from tests.web_support import get


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder of its own and an XDG config home of its own."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.delenv("RACECAL_CONFIG", raising=False)
    return tmp_path


def test_the_search_order(home: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(home / "xdg")}
    user = home / "xdg" / "racecal" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("", encoding="utf-8")
    assert config_path(None, env) == user
    Path("racecal.toml").write_text("", encoding="utf-8")
    assert config_path(None, env) == Path("racecal.toml")
    assert config_path(None, {**env, "RACECAL_CONFIG": "/x/from-env.toml"}) == Path(
        "/x/from-env.toml"
    )
    assert config_path("given.toml", {**env, "RACECAL_CONFIG": "/x/from-env.toml"}) == Path(
        "given.toml"
    )
    # The example config is not taken by surprise: `make run` names it.
    Path("racecal.toml").unlink()
    user.unlink()
    shutil.copy(Path(__file__).resolve().parent.parent / "config.example.toml", ".")
    with pytest.raises(ConfigError) as caught:
        config_path(None, env)
    message = str(caught.value)
    assert "\n" not in message
    for place in ("racecal.toml", str(user), "/etc/racecal/config.toml", "racecal init"):
        assert place in message


def test_a_missing_config_names_every_place_and_init(home: Path) -> None:
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 2
    assert "racecal init" in result.stderr
    assert str(home / "xdg" / "racecal" / "config.toml") in result.stderr
    assert "Traceback" not in result.output


def test_init_then_every_command_finds_the_config(home: Path) -> None:
    """A person's first run: init with its defaults, then status, plan show and doctor, with
    no --config anywhere."""
    races = example_workspace(home / "ws").parent / "examples" / "races.ics"
    args = ["init", "--yes", "--athlete", "sam", "--timezone", "Europe/Berlin"]
    result = CliRunner().invoke(main, [*args, "--races-ics", str(races)])
    assert result.exit_code == 0, result.output
    written = home / "xdg" / "racecal" / "config.toml"
    assert load_config(written).athletes[0].athlete.id == "sam"
    for command in (["status"], ["plan", "show", "--weeks", "2"], ["doctor"]):
        result = CliRunner().invoke(main, command)
        assert "no config file" not in result.output, (command, result.output)
        assert result.exit_code in (0, 1), (command, result.output)
    shown = CliRunner().invoke(main, ["plan", "show", "--json", "--weeks", "2"])
    assert shown.exit_code == 0, shown.output
    assert '"athlete": "sam"' in shown.stdout
    synced = CliRunner().invoke(main, ["sync", "--once"])
    assert synced.exit_code == 0, synced.output
    # State goes where the XDG base directories say, not into the config folder.
    state = home / "xdg-state" / "racecal"
    assert (state / "var" / "racecal.db").is_file()
    assert (state / "var" / "sam-training.ics").is_file()
    assert sorted(p.name for p in written.parent.iterdir()) == ["config.toml"]
    status = CliRunner().invoke(main, ["status"])
    assert status.exit_code == 0, status.output
    assert "sam" in status.stdout


def test_state_an_earlier_racecal_kept_beside_the_user_config_stays_in_use(home: Path) -> None:
    """Moving a user's state silently would start an empty store and write every session to
    the calendar a second time: the old folder is used, with a warning, until it is moved."""
    config = home / "xdg" / "racecal" / "config.toml"
    config.parent.mkdir(parents=True)
    shutil.copy(example_workspace(home / "ws"), config)
    env = {"XDG_CONFIG_HOME": str(home / "xdg"), "XDG_STATE_HOME": str(home / "xdg-state")}
    assert load_config(config, env).state_dir == home / "xdg-state" / "racecal"
    (config.parent / "var").mkdir()
    assert load_config(config, env).state_dir == config.parent
    (home / "xdg-state" / "racecal").mkdir(parents=True)
    assert load_config(config, env).state_dir == home / "xdg-state" / "racecal"


def test_init_then_plan_show_and_the_page_agree(home: Path) -> None:
    """A person's first day: `racecal init`, a pass, `racecal plan show`, then the plan page
    on the phone: the same sessions, the same weeks, the next race named on both."""
    races = example_workspace(home / "ws").parent / "examples" / "races.ics"
    args = ["init", "--yes", "--athlete", "sam", "--timezone", "Europe/Berlin"]
    assert CliRunner().invoke(main, [*args, "--races-ics", str(races)]).exit_code == 0
    assert CliRunner().invoke(main, ["sync", "--once"]).exit_code == 0
    today = "2027-01-11"
    shown = CliRunner().invoke(main, ["plan", "show", "--json", "--today", today])
    assert shown.exit_code == 0, shown.output
    text = CliRunner().invoke(main, ["plan", "show", "--today", today])
    assert text.exit_code == 0, text.output

    loaded = load_config(config_path(None))
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    web = WebServer(("127.0.0.1", 0), loaded, ServiceState(["sam"], store, 3600), Metrics())
    web.start()
    try:
        host, port = web.address
        status, _, page = get(f"http://{host}:{port}/athletes/sam?today={today}")
    finally:
        web.stop()
    assert status == 200
    embedded = re.search(r"id='plan-json'>(.*?)</script>", page)
    assert embedded is not None
    plan = json.loads(shown.stdout)
    assert json.loads(embedded[1]) == plan
    assert len(plan["sessions"]) > 30
    for session in plan["sessions"]:
        assert f"data-key='{html.escape(session['key'])}'" in page
    # The weeks `plan show` prints are the weeks on the page.
    printed = re.findall(r"Week of \w{3} (\d\d \w{3} \d{4})", text.stdout)
    assert len(printed) == 16
    assert printed == re.findall(r"<h2 id='w-[\d-]+'>Week of (\d\d \w{3} \d{4})</h2>", page)
    # The next race on the page is the first race `plan show` lists from today.
    first_race = re.findall(r"RACE: (.+?)\s*$", text.stdout, re.M)[0]
    next_race = re.search(r"id='next-race'>Next race: <b>(.*?)</b>", page)
    assert next_race is not None
    assert html.unescape(next_race[1]) == first_race
