"""Calendars from URLs against a local HTTP server that speaks ETag / If-None-Match."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import icalendar
import pytest

from connectors.base import IcsError, Source
from connectors.ics.url import IcsUrlSource, display, fetch
from service.planning import read_races
from tests import ics_support
from tests.connector_contract import MALFORMED, SourceContract, cancelled_occurrence

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


class Served(BaseHTTPRequestHandler):
    """A feed served from a file another app keeps editing, with an ETag of its content."""

    path_served: ClassVar[Path]
    requests: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        body = self.path_served.read_bytes()
        tag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == tag:
            Served.requests.append(304)
            self.send_response(304)
            self.end_headers()
            return
        Served.requests.append(200)
        self.send_response(200)
        self.send_header("ETag", tag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class TestIcsUrlSource(SourceContract):
    """A feed as a source: the contract over HTTP, each look one conditional request."""

    quiet_after_restart = True  # the cache and its ETag are on disk

    @pytest.fixture
    def source(self, tmp_path: Path) -> Iterator[IcsUrlSource]:
        Served.path_served = tmp_path / "feed.ics"
        Served.path_served.write_bytes(ics_support.EMPTY)
        Served.requests = []
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Served)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.cache = tmp_path / "cache"
        yield IcsUrlSource(
            f"http://127.0.0.1:{httpd.server_address[1]}/s3cr3t/feed.ics", self.cache
        )
        httpd.shutdown()
        httpd.server_close()

    def add(self, source: Source, event: icalendar.Event) -> None:
        ics_support.put(Served.path_served, event)

    def remove(self, source: Source, uid: str) -> None:
        ics_support.drop(Served.path_served, uid)

    def cancel_occurrence(self, source: Source, uid: str, start: datetime) -> None:
        ics_support.put(Served.path_served, cancelled_occurrence(uid, start))

    def add_malformed(self, source: Source) -> None:
        ics_support.put_raw(Served.path_served, MALFORMED)

    def reopen(self, source: Source) -> Source:
        assert isinstance(source, IcsUrlSource)
        return IcsUrlSource(source.url, self.cache)


def test_a_feed_looked_at_again_costs_a_304_and_shows_its_warning_while_unreachable(
    tmp_path: Path,
) -> None:
    Served.path_served = tmp_path / "feed.ics"
    Served.path_served.write_bytes(RACES)
    Served.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Served)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    source = IcsUrlSource(f"http://127.0.0.1:{httpd.server_address[1]}/s3cr3t/f.ics", tmp_path)
    first = source.changes(None)
    assert len(first.events) == 4
    quiet = source.changes(first.cursor)
    assert quiet.quiet
    assert Served.requests == [200, 304]
    assert "s3cr3t" not in source.name + source.locator
    httpd.shutdown()
    httpd.server_close()
    down = source.changes(quiet.cursor)
    [warning] = [p.line for p in down.problems if p.title is None]
    assert warning.startswith("http://127.0.0.1/...: unreachable (")
    assert warning.endswith("; using the last copy")
    assert len(down.events) == 4  # the last good copy still counts
    assert source.changes(down.cursor).quiet  # said once, while it stays down


class Portal(BaseHTTPRequestHandler):
    """A feed that turns into a sign-in page (200, text/html), or a cut-off calendar."""

    body = RACES
    content_type = "text/calendar"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", Portal.content_type)
        self.end_headers()
        self.wfile.write(Portal.body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_sign_in_page_never_replaces_the_last_good_copy(tmp_path: Path) -> None:
    """Seen: a feed answering 200 with an HTML sign-in page replaced the cached calendar, and
    the plan lost its races."""
    Portal.body, Portal.content_type = RACES, "text/calendar"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/s3cr3t/f.ics"
    try:
        source = IcsUrlSource(url, tmp_path / "cache")
        first = source.changes(None)
        assert len(first.events) == 4
        [cached] = (tmp_path / "cache").glob("*.ics")
        Portal.body = b"<!doctype html><html><body>Please sign in</body></html>"
        Portal.content_type = "text/html; charset=utf-8"
        portal = source.changes(first.cursor)
        [warning] = [p.line for p in portal.problems if p.title is None]
        assert warning == (
            "http://127.0.0.1/...: answered 200 with no calendar (text/html; a sign-in or "
            "error page?); using the last copy"
        )
        assert len(portal.events) == 4
        assert cached.read_bytes() == RACES
        Portal.body, Portal.content_type = RACES[: len(RACES) // 2], "text/calendar"
        cut = source.changes(portal.cursor)
        assert cut.quiet or len(cut.events) == 4
        assert fetch(url, tmp_path / "cache").warning == (
            "http://127.0.0.1/...: answered 200 with a calendar cut off before its end; "
            "using the last copy"
        )
        assert cached.read_bytes() == RACES
        # With no good copy yet, one line naming the host, never the secret path.
        Portal.body, Portal.content_type = b"<html>sign in</html>", "text/html"
        with pytest.raises(IcsError) as caught:
            fetch(url, tmp_path / "fresh")
        assert "answered 200 with no calendar (text/html" in str(caught.value)
        assert "s3cr3t" not in str(caught.value)
    finally:
        httpd.shutdown()
        httpd.server_close()
