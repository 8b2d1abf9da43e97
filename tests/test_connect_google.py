"""Onboarding on the web, over real HTTP on a local port: an invite link leads through
/connect/google (google-auth-oauthlib's web-server flow, PKCE and a sealed state) to the local
Google server's token endpoint; the refresh token lands sealed in the store, and a pass writes
the athlete's sessions into their Google calendar with it. Wrong or missing state is a 400, a
used invite a 410. Then the endpoint's login: the admin's token (bearer or basic) or an
athlete's own link."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from service.calendars import AthleteCalendars
from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store import cursors, feeds, onboarding, secrets
from service.sync.engine import run_pass
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.web_support import example

PUBLIC = "https://racecal.example.com"
CALLBACK = f"{PUBLIC}/connect/google/callback"
ADMIN = "admin-token-of-the-test-0123456789"


def fetch(
    base: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One GET, redirects not followed: (status, headers by lowercase name, body)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read().decode(),
        )
    finally:
        connection.close()


def private(path: Path, text: str) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def web_client(path: Path, fake_url: str) -> None:
    path.write_text(
        '{"web": {"client_id": "racecal-web.apps.googleusercontent.com", '
        '"client_secret": "web-secret", '
        f'"auth_uri": "{fake_url}/o/oauth2/auth", "token_uri": "{fake_url}/token", '
        f'"redirect_uris": ["{CALLBACK}"]}}}}',
        encoding="utf-8",
    )


def onboarding_world(fake: FakeGoogleCalendar, folder: Path) -> GoogleWorld:
    """The athlete's world on the local Google server with web onboarding set up: a secret
    key, a Web application client, the public address and the callback."""
    world = GoogleWorld(fake, folder)
    private(folder / "secret.key", Fernet.generate_key().decode())
    web_client(folder / "client_web.json", fake.url)
    world.config(
        service=f'public_url = "{PUBLIC}"\nsecret_key_file = "secret.key"',
        google=f'client_secrets = "client_web.json"\nredirect_url = "{CALLBACK}"',
    )
    return world


def test_an_invite_connects_google_and_a_pass_writes_with_the_stored_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local token endpoint is plain http; Google's is https.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGoogleCalendar() as fake:
        world = onboarding_world(fake, tmp_path)
        (tmp_path / "tokens" / "alex.json").unlink()  # no token but the one granted here
        loaded = load_config(tmp_path / "config.toml")
        store = world.store()
        # The cluster's channel keeper has looked at everyone: nobody is due.
        for look in cursors.looks(store, datetime.now(UTC), datetime.now(UTC), 10):
            cursors.looked(store, look, None, None)
        connected: list[str] = []
        web = WebServer(
            ("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 3600), Metrics(),
            released=connected.append,
        )  # fmt: skip
        web.start()
        try:
            base = "http://{}:{}".format(*web.address)
            invite = onboarding.invite(store, "alex", datetime.now(UTC))

            assert fetch(base, "/connect/google")[0] == 400
            assert fetch(base, "/connect/google?invite=forged")[0] == 403
            status, headers, _ = fetch(base, f"/connect/google?{urlencode({'invite': invite})}")
            assert status == 302
            consent = urlsplit(headers["location"])
            assert (
                f"{consent.scheme}://{consent.netloc}{consent.path}" == f"{fake.url}/o/oauth2/auth"
            )
            asked = {k: v[0] for k, v in parse_qs(consent.query).items()}
            assert asked["redirect_uri"] == CALLBACK
            assert asked["code_challenge_method"] == "S256"
            assert asked["access_type"] == "offline"
            assert invite not in asked["state"]  # sealed, not readable
            nonce = headers["set-cookie"].split(";")[0]
            assert "HttpOnly" in headers["set-cookie"]

            # The consent screen sends the browser back to the callback (through the proxy).
            back = urlsplit(CALLBACK).path
            good = {"code": "user:alex", "state": asked["state"]}
            cookie = {"Cookie": nonce}
            assert fetch(base, f"{back}?code=user:alex", cookie)[0] == 400
            forged = {"code": "user:alex", "state": asked["state"][:-8] + "AAAAAAAA"}
            assert fetch(base, f"{back}?{urlencode(forged)}", cookie)[0] == 400
            assert fetch(base, f"{back}?{urlencode(good)}")[0] == 400  # another browser
            assert fake.code_exchanges == []
            status, _, body = fetch(base, f"{back}?{urlencode(good)}", cookie)
            assert status == 200, body
            assert "Google Calendar connected" in body
            assert f"{PUBLIC}/athletes/alex?token=" in body
            assert connected == ["alex"]

            # PKCE: the verifier sent with the code is the one the challenge was made of.
            (exchange,) = fake.code_exchanges
            digest = hashlib.sha256(exchange["code_verifier"].encode()).digest()
            assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]
            assert exchange["redirect_uri"] == CALLBACK

            # The invite is used up: once more, either way, is refused.
            assert fetch(base, f"/connect/google?{urlencode({'invite': invite})}")[0] == 410
            assert fetch(base, f"{back}?{urlencode(good)}", cookie)[0] == 410
            assert len(fake.code_exchanges) == 1
        finally:
            web.stop()

        # Connected: the keeper looks at the athlete at its next tick.
        later = datetime.now(UTC) + timedelta(seconds=1)
        assert [look.id for look in cursors.looks(store, later, later, 10)] == ["alex"]
        sealer = secrets.sealer(tmp_path / "secret.key", None, {})
        kept = onboarding.google(store, sealer, "alex")
        assert kept is not None
        assert kept["refresh_token"] == "user:alex"
        entry = loaded.athletes[0]
        now = datetime(2027, 1, 11, 5, tzinfo=ZoneInfo("Europe/Berlin"))
        result = run_pass(store, entry, now, AthleteCalendars(entry, store=store))
        assert result.error is None, result.error
        assert result.created > 60
        assert len(world.sessions()) == result.created


def test_a_state_older_than_15_minutes_is_a_400_and_a_younger_one_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's clock is moved on between the consent and the callback: the same answer
    from Google is refused 15 minutes and 5 seconds after the start, taken at 14:55."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGoogleCalendar() as fake:
        world = onboarding_world(fake, tmp_path)
        loaded = load_config(tmp_path / "config.toml")
        store = world.store()
        started = datetime.now(UTC)
        moment = [started]

        def clock(tz_name: str) -> datetime:
            return moment[0].astimezone(ZoneInfo(tz_name))

        web = WebServer(
            ("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 3600), Metrics(), clock=clock
        )
        web.start()
        try:
            base = "http://{}:{}".format(*web.address)
            invite = onboarding.invite(store, "alex", started)
            status, headers, _ = fetch(base, f"/connect/google?{urlencode({'invite': invite})}")
            assert status == 302
            state = parse_qs(urlsplit(headers["location"]).query)["state"][0]
            cookie = {"Cookie": headers["set-cookie"].split(";")[0]}
            back = f"{urlsplit(CALLBACK).path}?{urlencode({'code': 'user:alex', 'state': state})}"

            moment[0] = started + timedelta(minutes=15, seconds=5)
            status, _, body = fetch(base, back, cookie)
            assert status == 400
            assert "too old" in body
            assert fake.code_exchanges == []

            moment[0] = started + timedelta(minutes=14, seconds=55)
            status, _, body = fetch(base, back, cookie)
            assert status == 200, body
            assert len(fake.code_exchanges) == 1
        finally:
            web.stop()
            store.engine.dispose()


def test_admin_routes_need_the_login_and_an_athlete_sees_only_their_own_page(
    tmp_path: Path,
) -> None:
    token_file = private(tmp_path / "admin.token", ADMIN)
    config, store = example(tmp_path / "ws", {"RACECAL_ADMIN_TOKEN_FILE": str(token_file)})
    web = WebServer(("127.0.0.1", 0), config, ServiceState(["alex"], store, 3600), Metrics())
    web.start()
    try:
        base = "http://{}:{}".format(*web.address)
        for route in ("/", "/metrics", "/athletes/alex", "/?athlete=alex"):
            status, headers, _ = fetch(base, route)
            assert status == 401, route
            assert headers["www-authenticate"].startswith("Basic")
        assert fetch(base, "/", {"Authorization": "Bearer wrong-token-0123456789"})[0] == 401
        assert fetch(base, "/", {"Authorization": f"Bearer {ADMIN}"})[0] == 200
        basic = base64.b64encode(f"admin:{ADMIN}".encode()).decode()
        assert fetch(base, "/metrics", {"Authorization": f"Basic {basic}"})[0] == 200
        assert fetch(base, "/healthz")[0] in (200, 503)  # open, whatever it says

        own = feeds.token(store, "alex", datetime.now(UTC))
        assert fetch(base, "/athletes/alex?token=wrong")[0] == 401
        status, headers, _ = fetch(base, f"/athletes/alex?token={own}")
        assert status == 303
        assert headers["location"] == "/athletes/alex"
        cookie = {"Cookie": headers["set-cookie"].split(";")[0]}
        assert "Path=/athletes/alex" in headers["set-cookie"]
        status, _, body = fetch(base, "/athletes/alex", cookie)
        assert status == 200
        assert "Training plan" in body
        feeds.token(store, "blake", datetime.now(UTC))
        assert fetch(base, "/athletes/blake", cookie)[0] == 401  # not theirs
        assert fetch(base, "/", cookie)[0] == 401
    finally:
        web.stop()
        store.engine.dispose()
    assert os.stat(token_file).st_mode & 0o077 == 0
