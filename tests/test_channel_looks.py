"""The cluster's channel keeper looks only at athletes with something to do (real PostgreSQL,
the local Google Calendar server, the keeper's ticks run here with the time they are given):
one added gets a channel, its training calendar made gets one, one near its end is renewed and
one removed has its channels stopped; a tick over athletes that all hold fresh channels sends
Google nothing, and the statements it sends the store are as many for 200 athletes as for 10.
An athlete whose token Google revoked is warned of once (for the cluster), not every tick."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from service.config.load import Config, load_config
from service.daemon.channels import RETRY_AFTER, Keeper
from service.store import athletes, claims, cursors
from service.store.database import Store
from service.store.records import TRAINING
from tests.fakes.google_calendar import FakeGoogleCalendar

HOOK = "https://racecal.example/google/notify"


class World:
    """A config of Google athletes on the local server, their tokens and a store."""

    def __init__(self, fake: FakeGoogleCalendar, folder: Path, pg_url: str) -> None:
        self.fake = fake
        self.folder = folder
        path = folder / "config.toml"
        path.write_text(
            f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
            f'[google]\napi_endpoint = "{fake.url}/"\ntoken_uri = "{fake.url}/token"\n'
            f'webhook_url = "{HOOK}"\n'
        )
        self.config: Config = load_config(path, env={})
        self.store = Store.open(pg_url)
        self.store.upgrade()
        (folder / "tokens").mkdir(mode=0o700)

    def add(self, athlete_id: str, now: datetime) -> None:
        token = self.folder / "tokens" / f"{athlete_id}.json"
        token.write_text(
            json.dumps(
                {
                    "refresh_token": f"user:{athlete_id}",
                    "token_uri": f"{self.fake.url}/token",
                    "client_id": "racecal-test.apps.googleusercontent.com",
                    "client_secret": "not-a-secret",
                }
            )
        )
        os.chmod(token, 0o600)
        settings: dict[str, Any] = {
            "id": athlete_id,
            "timezone": "Europe/Berlin",
            "run_days": ["mon", "tue", "thu", "sat", "sun"],
            "long_run_day": "sun",
            "weekly_km": 45,
            "easy_pace": "5:45",
            "google": {
                "races": ["primary"],
                "busy": ["primary"],
                "training": "Training",
                "token_file": f"tokens/{athlete_id}.json",
                "retry_seconds": 0,
            },
        }
        athletes.put(self.store, athlete_id, settings, "cli", str(self.folder), now)

    def keeper(self) -> Keeper:
        return Keeper(self.config, self.store)

    def at_server(self, athlete_id: str) -> set[str]:
        """The athlete's stored channels open at the server."""
        there = {c.id for c in self.fake.channels()}
        return {c.id for c in cursors.channels(self.store) if c.athlete_id == athlete_id} & there

    def requests(self) -> int:
        return len(self.fake.log)


@pytest.fixture
def world(tmp_path: Path, pg_url: str) -> Iterator[World]:
    with FakeGoogleCalendar() as fake:
        made = World(fake, tmp_path, pg_url)
        yield made
        made.store.engine.dispose()


class Statements:
    """The statements the store's engine sends while counting."""

    def __init__(self, store: Store) -> None:
        self.sent: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.sent.append(str(args[2]))


def test_a_tick_looks_only_at_athletes_with_something_to_do(world: World) -> None:
    now = datetime.now(UTC)
    world.add("alex", now)
    world.add("bea", now)
    keeper = world.keeper()
    keeper._tick(now)
    # One channel each, on the race and busy calendar; no training calendar yet.
    assert len(world.at_server("alex")) == len(world.at_server("bea")) == 1

    before = world.requests()
    keeper._tick(now + timedelta(seconds=10))
    assert world.requests() == before  # nothing to do: nothing asked

    # Alex's first pass makes the training calendar: a channel on it at the next tick, and
    # nothing asked for bea.
    training = world.fake.add_calendar("Training", user="alex")
    claims.claim(world.store, "alex", TRAINING, training, None)
    keeper._tick(now + timedelta(seconds=20))
    assert len(world.at_server("alex")) == 2
    assert {c.calendar_id for c in cursors.channels(world.store)} == {"primary", training}
    watched = [e for e in world.fake.log[before:] if e.path.endswith("/watch")]
    assert len(watched) == 1

    # Near their end (less than a day left; the server's clock is real, so the store is told):
    # each renewed, the old ones stopped at the server.
    old = {c.id for c in world.fake.channels()}
    with world.store.engine.begin() as c:
        c.execute(text("UPDATE push_channels SET expires = now() + interval '12 hours'"))
    later = now + timedelta(seconds=30)
    keeper._tick(later)
    assert len(world.at_server("alex")) == 2
    assert len(world.at_server("bea")) == 1
    assert not old & {c.id for c in world.fake.channels()}
    before = world.requests()
    keeper._tick(later + timedelta(seconds=10))
    assert world.requests() == before

    # Removed: its channel stopped at the server at the next tick, alex's left alone.
    athletes.remove(world.store, "bea", later)
    kept = world.at_server("alex")
    keeper._tick(later + timedelta(seconds=20))
    assert world.at_server("bea") == set()
    assert {c.id for c in world.fake.channels()} == kept  # alex's only, left alone
    assert not [c for c in cursors.channels(world.store) if c.athlete_id == "bea"]


def _roster(world: World, n: int, now: datetime) -> None:
    """n Google athletes, each with a training calendar and a fresh channel on each of its
    calendars, as a keeper's clean look leaves them (nothing due)."""
    for i in range(n):
        athlete_id = f"a{i:04d}"
        world.add(athlete_id, now)
        claims.claim(world.store, athlete_id, TRAINING, f"training-{athlete_id}", None)
        for calendar_id in ("primary", f"training-{athlete_id}"):
            channel = cursors.Channel(
                f"{athlete_id}-{calendar_id}",
                athlete_id,
                calendar_id,
                f"r-{athlete_id}-{calendar_id}",
                "secret",
                HOOK,
                now + timedelta(days=6),
            )
            cursors.open_channel(world.store, channel, now)
    with world.store.engine.begin() as c:
        c.execute(text("UPDATE athletes SET channels_due_at = NULL"))


@pytest.mark.parametrize("n", [10, 200])
def test_a_tick_over_fresh_channels_costs_the_same_for_any_roster(world: World, n: int) -> None:
    now = datetime.now(UTC)
    _roster(world, n, now)
    counted = Statements(world.store)
    keeper = world.keeper()
    started = time.perf_counter()
    keeper._tick(now)  # a keeper's first tick in its process: the address checked once
    first = len(counted.sent)
    keeper._tick(now + timedelta(seconds=10))
    took = (time.perf_counter() - started) / 2
    second = len(counted.sent) - first
    print(f"{n} athletes: {first} and {second} statements, {took * 1e3:.1f} ms a tick")
    assert world.requests() == 0  # no calendar opened: no token asked, no channel
    with world.store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM quota_minutes")).scalar_one() == 0
    # Statements per tick, whatever the roster: the due athletes, those whose channels end.
    assert (first, second) == (3, 2), counted.sent
    assert len(cursors.channels(world.store)) == 2 * n


def _said(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_a_revoked_token_is_warned_of_once_while_it_stands(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="racecal.push")
    now = datetime.now(UTC)
    world.add("alex", now)
    world.fake.revoke()  # the token endpoint answers invalid_grant, the API 401
    keeper = world.keeper()
    keeper._tick(now)
    [warned] = _said(caplog, logging.WARNING)
    assert "alex" in warned
    assert "refused the stored authorization" in warned
    caplog.clear()

    # Not looked at again every tick: polling goes on, and a look waits RETRY_AFTER.
    asked = world.requests()
    for n in range(1, 6):
        keeper._tick(now + timedelta(seconds=10 * n))
    assert world.requests() == asked
    assert _said(caplog, logging.DEBUG) == []

    # Looked at again later, on this node and on another: said at DEBUG only.
    keeper._tick(now + RETRY_AFTER + timedelta(seconds=1))
    world.keeper()._tick(now + 2 * RETRY_AFTER + timedelta(seconds=2))
    assert world.requests() > asked
    assert _said(caplog, logging.WARNING) == []
    assert len([m for m in _said(caplog, logging.DEBUG) if "(still)" in m]) == 2
    assert world.at_server("alex") == set()
    caplog.clear()

    # Granted again: the channel opens at the next look, and the problem's end is said.
    world.fake.revoke(False)
    keeper._tick(now + 3 * RETRY_AFTER + timedelta(seconds=3))
    assert len(world.at_server("alex")) == 1
    assert any("no problem any more" in m for m in _said(caplog, logging.INFO))
    caplog.clear()

    # Revoked again, found when the channel is renewed: warned of again, once.
    world.fake.revoke()
    with world.store.engine.begin() as c:
        c.execute(text("UPDATE push_channels SET expires = now() + interval '12 hours'"))
    later = now + 4 * RETRY_AFTER
    keeper._tick(later)
    keeper._tick(later + RETRY_AFTER + timedelta(seconds=1))
    assert len(_said(caplog, logging.WARNING)) == 1


def test_a_keeper_with_a_new_address_moves_the_channels_there(world: World) -> None:
    """Workers restarted on a config with another webhook_url: a keeper's first tick makes
    due the athletes whose channels post elsewhere and those with none posting where it says
    (added while no address was set), opens theirs there and stops the old ones."""
    now = datetime.now(UTC)
    world.add("alex", now)
    world.keeper()._tick(now)
    [old] = world.at_server("alex")

    def keeper(address: str | None) -> Keeper:
        path = world.folder / f"config-{address is not None}.toml"
        written = world.config.path.read_text()
        line = f'webhook_url = "{address}"\n' if address else ""
        path.write_text(written.replace(f'webhook_url = "{HOOK}"\n', line))
        return Keeper(load_config(path, env={}), world.store)

    moved = "https://other.example/google/notify"
    keeper(moved)._tick(now + timedelta(seconds=10))
    assert len(world.at_server("alex")) == 1
    assert old not in {c.id for c in world.fake.channels()}
    assert {c.address for c in world.fake.channels()} == {moved}

    # No address: every channel stopped; one added meanwhile gets none, and is not due after.
    world.add("bea", now)
    keeper(None)._tick(now + timedelta(seconds=20))
    assert world.fake.channels() == []
    assert cursors.channels(world.store) == []

    # An address again: both get their channel at the first tick, then nothing is asked.
    back = keeper(HOOK)
    back._tick(now + timedelta(seconds=30))
    assert len(world.at_server("alex")) == len(world.at_server("bea")) == 1
    assert {c.address for c in cursors.channels(world.store)} == {HOOK}
    asked = world.requests()
    back._tick(now + timedelta(seconds=40))
    assert world.requests() == asked
