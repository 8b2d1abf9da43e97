"""Credentials for a CalDAV server that checks them (Radicale with an htpasswd file): the
password comes from the environment or a 0600 file, a wrong one marks the athlete `needs
re-auth` with one line, and no secret reaches an error or a log."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from service.calendars import AthleteCalendars
from service.cli.main import main
from service.sync.engine import run_pass
from service.views.status import athlete_status
from tests.caldav_world import World
from tests.radicale_server import Radicale, start_guarded

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
SECRET = "correct-horse-battery"
ENV = "RACECAL_TEST_CALDAV_PASSWORD"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = start_guarded(tmp_path_factory.mktemp("radicale-auth"), "alex", SECRET)
    yield server
    server.remove()


@pytest.fixture
def world(guarded: Radicale, tmp_path: Path) -> World:
    return World(guarded, tmp_path, password=SECRET, user="alex")


def test_the_right_password_from_the_environment_syncs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    entry, store = world.config(f'password_env = "{ENV}"'), world.store()
    result = run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert result.error is None, result.error
    assert result.created > 60


def test_a_wrong_password_marks_the_athlete_and_leaks_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    entry, store = world.config(f'password_env = "{ENV}"'), world.store()
    assert run_pass(store, entry, NOW, AthleteCalendars(entry)).error is None
    written = {k: e.start for k, e in world.sessions().items()}
    monkeypatch.setenv(ENV, "wrong-" + SECRET)
    caplog.set_level(logging.DEBUG)
    result = run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert result.needs_reauth
    assert result.error is not None
    assert "credentials rejected (HTTP 401)" in result.error
    assert "\n" not in result.error
    [state] = athlete_status(store, ["alex"], 15)
    assert state["needs_reauth"] is True
    shown = CliRunner().invoke(main, ["status", "--config", str(world.base / "config.toml")])
    assert "alex:" in shown.output
    assert "NEEDS RE-AUTH" in shown.output
    assert SECRET not in shown.output
    assert SECRET not in result.error
    assert SECRET not in caplog.text
    assert {k: e.start for k, e in world.sessions().items()} == written  # nothing lost
    monkeypatch.setenv(ENV, SECRET)
    healed = run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert (healed.error, healed.writes) == (None, 0)
    [state] = athlete_status(store, ["alex"], 15)
    assert state["needs_reauth"] is False


def test_a_password_file_must_be_private(world: World) -> None:
    secret_file = world.base / "caldav.secret"
    world.base.mkdir(parents=True, exist_ok=True)
    secret_file.write_text(SECRET + "\n")
    os.chmod(secret_file, 0o644)
    entry, store = world.config('password_file = "caldav.secret"'), world.store()
    refused = run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert refused.error is not None
    assert "caldav.secret is readable by others; chmod 600 it" in refused.error
    os.chmod(secret_file, 0o600)
    assert run_pass(store, entry, NOW, AthleteCalendars(entry)).error is None


def test_an_unset_password_variable_is_named(world: World) -> None:
    entry, store = world.config('password_env = "RACECAL_NOT_SET_ANYWHERE"'), world.store()
    result = run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert result.error == (
        f"{world.base / 'config.toml'}: athletes[0].caldav.password_env: environment variable "
        "RACECAL_NOT_SET_ANYWHERE is not set"
    )


def test_a_quiet_pass_after_the_password_is_fixed_clears_re_auth(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quiet pass's key outlives a pass whose credentials were refused: the pass after the
    fix finds nothing changed, and must still clear the flag (status said NEEDS RE-AUTH on)."""
    monkeypatch.setenv(ENV, SECRET)
    entry, store = world.config(f'password_env = "{ENV}"'), world.store()
    assert run_pass(store, entry, NOW, AthleteCalendars(entry)).error is None
    assert run_pass(store, entry, NOW, AthleteCalendars(entry)).writes == 0  # keeps its key
    monkeypatch.setenv(ENV, "wrong-" + SECRET)
    assert run_pass(store, entry, NOW, AthleteCalendars(entry)).needs_reauth
    assert athlete_status(store, ["alex"], 15)[0]["needs_reauth"] is True
    monkeypatch.setenv(ENV, SECRET)
    healed = run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert (healed.error, healed.writes) == (None, 0)
    assert athlete_status(store, ["alex"], 15)[0]["needs_reauth"] is False
