"""`racecal doctor` looks and never touches: no calendar is created on a CalDAV server or in
Google, a dead server costs seconds, and "writable" means a real write succeeded (permission
bits say nothing to root)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from click.testing import CliRunner

from service.cli.main import main
from tests.caldav_world import World
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.radicale_server import Radicale, free_port
from tests.support import example_workspace


def doctor(config: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    return result.exit_code, result.output.strip().splitlines()


def test_caldav_training_calendar_is_not_created(radicale: Radicale, tmp_path: Path) -> None:
    world = World(radicale, tmp_path)
    world.config()
    names = lambda: sorted(c.get_display_name() for c in world.app.principal().calendars())  # noqa: E731
    before = names()
    assert "Training" not in before
    code, lines = doctor(tmp_path / "config.toml")
    assert code == 0, lines
    assert names() == before
    assert any("'Training'" in line and "first pass" in line for line in lines), lines


def test_google_doctor_creates_no_calendar(tmp_path: Path) -> None:
    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(fake, tmp_path)
        world.config()
        for _ in range(2):
            code, lines = doctor(tmp_path / "config.toml")
            assert code == 0, lines
        listing = world.app().calendarList().list().execute()["items"]
        assert [c["summary"] for c in listing if c.get("summary") == "Training"] == []
        # The token refresh is the only POST; a calendar insert or an event write would be another.
        writes = [e for e in fake.log if e.method != "GET" and e.path != "/token"]
        assert writes == []


def test_a_dead_caldav_server_costs_seconds_not_the_retry_budget(
    radicale: Radicale, tmp_path: Path
) -> None:
    world = World(radicale, tmp_path)
    world.config(retry=60)
    config = tmp_path / "config.toml"
    dead = f"http://127.0.0.1:{free_port()}/"
    config.write_text(config.read_text().replace(radicale.url, dead))
    started = time.monotonic()
    code, lines = doctor(config)
    took = time.monotonic() - started
    assert code == 1
    assert any(line.startswith("fail") and "127.0.0.1" in line for line in lines), lines
    assert took < 8, f"doctor took {took:.1f} s on a dead server"


def test_output_under_a_file_fails_even_for_root(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    (tmp_path / "blocker").write_text("a file, not a folder")
    text = config.read_text().replace('ics = "var/training.ics"', 'ics = "blocker/training.ics"')
    config.write_text(text)
    code, lines = doctor(config)
    assert code == 1
    [failed] = [line for line in lines if line.startswith("fail")]
    assert "blocker" in failed


class LoginPage(BaseHTTPRequestHandler):
    """What an expired share link often answers: 200 and an HTML page."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>Please sign in</body></html>")

    def log_message(self, *args: object) -> None:
        pass


def test_a_feed_answering_with_a_web_page_fails(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = example_workspace(tmp_path)
        url = f"http://127.0.0.1:{server.server_address[1]}/secret-token/basic.ics"
        config.write_text(config.read_text().replace('"examples/races.ics"', f'"{url}"'))
        code, lines = doctor(config)
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1
    [failed] = [line for line in lines if line.startswith("fail")]
    assert "http://127.0.0.1/... (races): answered 200 with no calendar (text/html" in failed
    assert "secret-token" not in "\n".join(lines)
