"""The training calendar as a feed to subscribe to: /feeds/<athlete>/<token>.ics on the
service's HTTP endpoint, the token made and kept in the store, shown by `racecal feed url`
and replaced by `racecal feed rotate`; ETag and Last-Modified make an unchanged feed a 304.
Seen: the README's advice was `python -m http.server -d var`, which served the database, the
cached secret feeds and the tokens to the network."""

from __future__ import annotations

import stat
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import icalendar
from click.testing import CliRunner

from service.cli.main import main
from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store.database import Store
from service.sync.engine import run_pass
from tests.support import example_workspace
from tests.test_plan_as_held import NOW


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (looked up regardless of case, as HTTP says) and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def feed_url(config: Path, base: str, *command: str) -> str:
    done = CliRunner().invoke(
        main, ["feed", *command, "alex", "--config", str(config), "--base", base]
    )
    assert done.exit_code == 0, done.output
    return done.stdout.strip()


def test_the_feed_is_served_at_its_secret_url_and_nothing_else_is(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    store.upgrade()
    entry = loaded.athletes[0]
    first = run_pass(store, entry, NOW)
    assert first.error is None
    (tmp_path / "var" / "cache" / "alex").mkdir(parents=True, exist_ok=True)
    (tmp_path / "var" / "cache" / "alex" / "secret-feed.ics").write_text("BEGIN:VCALENDAR")
    web = WebServer(("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 3600), Metrics())
    web.start()
    try:
        host, port = web.address
        base = f"http://{host}:{port}"
        url = feed_url(config, base, "url")
        assert url.startswith(f"{base}/feeds/alex/")
        assert url.endswith(".ics")
        assert feed_url(config, base, "url") == url  # kept, not made anew

        status, headers, body = fetch(url)
        assert status == 200
        assert headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert headers["Cache-Control"] == "max-age=900"
        calendar = icalendar.Calendar.from_ical(body)
        assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT15M"
        events = list(calendar.walk("VEVENT"))
        assert len(events) == first.created  # every session racecal wrote, nothing else
        assert all(e.decoded("DTSTART").tzinfo is not None for e in events)  # timed, zoned
        assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {"Europe/Berlin"}

        # An app polling again gets a 304 by either validator.
        again = fetch(url, {"If-None-Match": headers["ETag"]})
        assert again[0] == 304
        assert again[2] == b""
        assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200

        token = url.rsplit("/", 1)[1].removesuffix(".ics")
        for path in (
            f"/feeds/alex/{token[:-1]}x.ics",  # one character off
            "/feeds/alex/.ics",
            f"/feeds/nobody/{token}.ics",
            f"/feeds/alex/{token}",
            f"/feeds/alex/{token}.ics/../../var/racecal.db",
            "/feeds/alex/../../var/racecal.db",
            "/feeds/../var/racecal.db",
            "/var/racecal.db",
            "/racecal.db",
            "/var/cache/alex/secret-feed.ics",
            "/feeds/alex/../cache/alex/secret-feed.ics",
            "/tokens/alex-google.json",
        ):
            status, _, body = fetch(base + path)
            assert status == 404, path
            assert b"SQLite" not in body, path
            assert b"BEGIN:VCALENDAR" not in body, path

        fresh = feed_url(config, base, "rotate")
        assert fresh != url
        assert fetch(url)[0] == 404  # the old address answers no more
        assert fetch(fresh)[0] == 200
    finally:
        web.stop()


def test_the_output_is_readable_by_a_web_server_unless_kept_private(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    store.upgrade()
    entry = loaded.athletes[0]
    assert run_pass(store, entry, NOW).error is None
    assert stat.S_IMODE(entry.output_ics.stat().st_mode) == 0o644
    text = config.read_text(encoding="utf-8").replace(
        'ics = "var/training.ics"', 'ics = "var/private.ics"\nprivate = true'
    )
    config.write_text(text, encoding="utf-8")
    private = load_config(config).athletes[0]
    assert run_pass(store, private, NOW).error is None
    assert stat.S_IMODE(private.output_ics.stat().st_mode) == 0o600


def test_feed_url_without_an_endpoint_says_what_to_set(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    done = CliRunner().invoke(main, ["feed", "url", "alex", "--config", str(config)])
    assert done.exit_code == 2
    assert "[service] http is not set" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    unknown = CliRunner().invoke(main, ["feed", "url", "nobody", "--config", str(config)])
    assert unknown.exit_code == 2
    assert "no athlete 'nobody'" in unknown.stderr
