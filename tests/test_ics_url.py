"""Calendars from URLs against a local HTTP server that speaks ETag / If-None-Match."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from connectors.base import IcsError
from connectors.ics.url import display, fetch
from service.planning import read_races

ROOT = Path(__file__).resolve().parent.parent
RACES = (ROOT / "examples" / "races.ics").read_bytes()


class Feed(BaseHTTPRequestHandler):
    body = RACES
    etag = '"v1"'
    seen: ClassVar[list[dict[str, str | None]]] = []

    def do_GET(self) -> None:
        Feed.seen.append({"path": self.path, "if_none_match": self.headers.get("If-None-Match")})
        if self.path.endswith("/huge.ics"):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"X" * (21 * 1024 * 1024))
            return
        if self.path.endswith("/gone.ics"):
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == Feed.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", Feed.etag)
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(Feed.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Feed.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/private/s3cr3t-token"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_caches_and_revalidates_with_etag(server: str, tmp_path: Path) -> None:
    first = fetch(f"{server}/basic.ics", tmp_path)
    assert first.changed
    races = read_races(first.path, __import__("zoneinfo").ZoneInfo("Europe/Berlin")).races
    assert len(races) == 3
    second = fetch(f"{server}/basic.ics", tmp_path)
    assert not second.changed
    assert Feed.seen[-1]["if_none_match"] == '"v1"'
    assert second.path.read_bytes() == RACES


def test_unreachable_server_falls_back_to_the_last_copy(tmp_path: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/token/basic.ics"
    assert fetch(url, tmp_path).changed
    httpd.shutdown()
    httpd.server_close()
    fallback = fetch(url, tmp_path)
    assert not fallback.changed
    assert fallback.path.read_bytes() == RACES
    assert fallback.warning is not None
    assert "using the last copy" in fallback.warning
    assert "token" not in fallback.warning
    with pytest.raises(IcsError, match=r"cannot be fetched"):
        fetch(url, tmp_path / "never-fetched")


def test_errors_and_limits_are_one_line_without_the_secret(server: str, tmp_path: Path) -> None:
    with pytest.raises(IcsError) as gone:
        fetch(f"{server}/gone.ics", tmp_path)
    assert str(gone.value) == "http://127.0.0.1/...: cannot be fetched (HTTP 404)"
    with pytest.raises(IcsError) as huge:
        fetch(f"{server}/huge.ics", tmp_path)
    assert str(huge.value) == "http://127.0.0.1/...: larger than 20 MiB"
    for message in (str(gone.value), str(huge.value)):
        assert "s3cr3t" not in message
        assert "\n" not in message
    assert display(f"{server}/x.ics") == "http://127.0.0.1/..."
