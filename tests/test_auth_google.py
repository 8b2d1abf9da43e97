"""`racecal auth google` runs the real installed-app flow (google-auth-oauthlib): it prints the
consent URL, takes the browser's redirect on localhost, exchanges the code at the token
endpoint, and saves a 0600 token that the next pass uses. The test is the browser."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from service.calendars import AthleteCalendars
from service.config.load import load_config
from service.sync.engine import run_pass
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.radicale_server import free_port


def test_auth_google_saves_a_private_token_that_works(tmp_path: Path) -> None:
    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(fake, tmp_path)
        secrets = tmp_path / "client_secret.json"
        secrets.write_text(
            json.dumps(
                {
                    "installed": {
                        "client_id": "racecal-test.apps.googleusercontent.com",
                        "client_secret": "not-a-secret",
                        "auth_uri": f"{fake.url}/o/oauth2/auth",
                        "token_uri": f"{fake.url}/token",
                        "redirect_uris": ["http://localhost"],
                    }
                }
            )
        )
        world.config(google='client_secrets = "client_secret.json"')
        token_file = tmp_path / "tokens" / "alex.json"
        token_file.unlink()  # not authorized yet
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "auth", "google", "--athlete", "alex",
             "--config", "config.toml", "--port", str(port)],
            cwd=tmp_path,
            env={**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        assert process.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline:
            line = process.stdout.readline()
            found = re.search(r"(http://\S+/o/oauth2/auth\?\S+)", line)
            url = found.group(1) if found else ""
        assert url, "no consent URL was printed"
        query = parse_qs(urlsplit(url).query)
        assert sorted(query["scope"][0].split()) == [
            "https://www.googleapis.com/auth/calendar.app.created",
            "https://www.googleapis.com/auth/calendar.events.readonly",
        ]
        redirect = query["redirect_uri"][0]
        assert redirect.startswith(f"http://localhost:{port}")
        # The consent screen would send the browser here:
        back = redirect + "?" + urlencode({"code": "user:alex", "state": query["state"][0]})
        # The flow listens before it prints the URL, and answers exactly one request.
        with urllib.request.urlopen(back, timeout=10) as response:
            assert b"racecal is authorized" in response.read()
        output = process.communicate(timeout=30)[0]
        assert process.returncode == 0, output
        assert "authorized; token saved" in output
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert json.loads(token_file.read_text())["refresh_token"] == "user:alex"
        assert "user:alex" not in output  # the token is never printed
        entry = load_config(tmp_path / "config.toml").athletes[0]
        store = world.store()
        result = run_pass(
            store,
            entry,
            datetime(2027, 1, 11, 5, tzinfo=ZoneInfo("Europe/Berlin")),
            AthleteCalendars(entry, store=store),
        )
        assert result.error is None, result.error
        assert result.created > 60
