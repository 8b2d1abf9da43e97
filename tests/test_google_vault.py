"""A Google athlete whose token was granted on the web is kept sealed in the store: a pass signs
in with it through the real google-api-python-client against the local Calendar v3 server
(refreshing at its token endpoint), the refreshed token is sealed back into the store so the
next process does not refresh again, and a token file, when there is one, is not used."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from service.calendars import AthleteCalendars
from service.store import onboarding, secrets
from service.sync.engine import run_pass
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld

NOW = datetime(2027, 1, 11, 5, tzinfo=ZoneInfo("Europe/Berlin"))


def granted(user: str) -> dict[str, str]:
    """What /connect/google stores: the web client's token for `user` (the fake's refresh
    tokens name the user whose data they open), not yet refreshed."""
    return {
        "refresh_token": f"user:{user}",
        "client_id": "racecal-web.apps.googleusercontent.com",
        "client_secret": "web-secret",
    }


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "secret.key"
    path.write_text(Fernet.generate_key().decode() + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def test_a_stored_token_signs_in_and_its_refresh_is_sealed_back(tmp_path: Path, key: Path) -> None:
    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(fake, tmp_path)
        # The token file names another user: a pass that read it would write elsewhere.
        entry = world.config(service='secret_key_file = "secret.key"')
        token_file = tmp_path / "tokens" / "alex.json"
        token_file.write_text(
            json.dumps({**json.loads(token_file.read_text()), "refresh_token": "user:other"})
        )
        store = world.store()
        sealer = secrets.sealer(key, None, {})
        onboarding.save_google(store, sealer, "alex", granted("alex"), NOW)

        result = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
        assert result.error is None, result.error
        assert result.created > 60
        assert len(world.sessions()) == result.created  # in alex's own calendar
        assert fake.tokens_issued == 1

        kept = onboarding.google(store, sealer, "alex")
        assert kept is not None
        assert kept["refresh_token"] == "user:alex"
        assert kept["token"] == "user:alex"  # the access token the fake issued
        assert kept["expiry"]
        with store.engine.connect() as c:
            held = c.exec_driver_sql("SELECT sealed FROM google_tokens").all()
        assert "user:alex" not in repr(held)

        # A new process starts from the sealed, still valid access token: no refresh.
        again = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
        assert again.error is None, again.error
        assert fake.tokens_issued == 1


def test_a_stored_token_no_key_opens_is_an_auth_error_naming_the_way_out(
    tmp_path: Path, key: Path
) -> None:
    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(fake, tmp_path)
        entry = world.config(service='secret_key_file = "secret.key"')
        store = world.store()
        onboarding.save_google(
            store,
            secrets.parse(Fernet.generate_key().decode(), "old"),
            "alex",
            granted("alex"),
            NOW,
        )
        result = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
        assert result.error is not None
        assert f"{key}: no key opens a sealed secret" in result.error
        assert fake.tokens_issued == 0
