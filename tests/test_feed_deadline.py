"""A feed has a deadline for the whole fetch, not only for each read (issue 13, item 4). Seen:
a URL sending 1 byte every 5 s kept `sync --once` past 300 s, kept /readyz at 503, and the
daemon had not stopped 90 s after SIGTERM. Real sockets: a server that trickles its answer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import IcsError
from connectors.ics.url import fetch
from service.daemon.runner import STOP_SECONDS
from tests.support import example_workspace

GOOD = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n"


class Trickle:
    """Answers every request; after `good` answers, sends the next one a byte at a time, one
    every `gap` seconds (in the headers or in the body)."""

    def __init__(self, good: int, gap: float, in_headers: bool = False) -> None:
        self.good, self.gap, self.in_headers = good, gap, in_headers
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/s3cr3t/feed.ics"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            conn, _ = self.listener.accept()
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\n"
            head += b"Content-Length: %d\r\n\r\n" % len(GOOD)
            self.good -= 1
            try:
                if self.good >= 0:
                    conn.sendall(head + GOOD)
                    return
                slow = head + GOOD if self.in_headers else GOOD
                if not self.in_headers:
                    conn.sendall(head)
                for byte in slow:
                    if self.stop.wait(self.gap):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    server = Trickle(good=1, gap=0.5)
    yield server
    server.stop.set()


def test_a_trickling_feed_ends_at_the_deadline_and_the_last_copy_is_used(
    trickle: Trickle, tmp_path: Path
) -> None:
    assert fetch(trickle.url, tmp_path, seconds=3).changed  # the good copy
    started = time.monotonic()
    late = fetch(trickle.url, tmp_path, seconds=3)
    took = time.monotonic() - started
    assert 2.5 < took < 8  # the deadline, not one byte per 0.5 s for the whole body
    assert not late.changed
    assert late.warning is not None
    assert "within 3 s" in late.warning
    assert "s3cr3t" not in late.warning
    assert late.path.read_bytes() == GOOD


@pytest.mark.parametrize("in_headers", [True, False])
def test_without_a_copy_the_deadline_is_one_line_naming_the_host(
    tmp_path: Path, in_headers: bool
) -> None:
    server = Trickle(good=0, gap=0.5, in_headers=in_headers)
    try:
        started = time.monotonic()
        with pytest.raises(IcsError) as caught:
            fetch(server.url, tmp_path, seconds=2)
        assert time.monotonic() - started < 7
        message = str(caught.value)
        assert "within 2 s" in message
        assert "127.0.0.1" in message
        assert "s3cr3t" not in message
        assert "\n" not in message
    finally:
        server.stop.set()


def test_sigterm_stops_the_daemon_while_a_feed_trickles(tmp_path: Path) -> None:
    """The first pass hangs on a feed that sends a byte every half second (its own deadline is
    a minute away): SIGTERM still ends the service within its stop time, exit 0, and the next
    start is a normal one."""
    server = Trickle(good=0, gap=0.5)
    config = example_workspace(tmp_path / "ws")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('ics = ["examples/races.ics"]', f'ics = ["{server.url}"]'))
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    listener.settimeout(60)
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run", "--config", str(config)],
        env={**os.environ, "NOTIFY_SOCKET": str(notify)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert listener.recv(64) == b"READY=1"
        time.sleep(1)  # the first pass is now waiting on the feed
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_SECONDS + 15) == 0
        assert time.monotonic() - stopped < STOP_SECONDS + 10
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()
        server.stop.set()
    log = process.stdout.read().decode() if process.stdout else ""
    assert "stopping without the pass" in log
    assert "Traceback" not in log
    assert "s3cr3t" not in log
