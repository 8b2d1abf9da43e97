"""A race feed that answers only when the test lets it (`HeldFeed.release`), so a pass reading
it is under way for as long as the test wants; `HeldFeed.asked` says a pass has asked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

RACES = (Path(__file__).resolve().parent.parent / "examples" / "races.ics").read_bytes()


class HeldFeed(BaseHTTPRequestHandler):
    asked: ClassVar[threading.Event] = threading.Event()
    release: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        HeldFeed.asked.set()
        HeldFeed.release.wait(60)
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(RACES)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving() -> Iterator[str]:
    """The feed on a free local port; yields its URL. Released on the way out."""
    HeldFeed.asked.clear()
    HeldFeed.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), HeldFeed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/races.ics"
    finally:
        HeldFeed.release.set()
        server.shutdown()
        server.server_close()
