"""Every CalDAV and Google request has a total deadline (issue 13, item 4). Seen with a feed: a
server sending 1 byte every 5 s kept a pass alive for ever, as each read came within its
timeout; CalDAV and Google had the same per-read timeouts only. Real sockets: the local Google
server and a proxy in front of Radicale send a reply one byte every 0.2 s, which at that pace
would take many minutes, so only the deadline can end these passes."""

from __future__ import annotations

import gc
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google_auth_httplib2 import AuthorizedHttp

from service.calendars import AthleteCalendars
from service.config.load import load_config
from service.daemon.runner import STOP_SECONDS, Daemon
from service.sync.engine import run_pass
from tests.caldav_world import World
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fault_proxy import FaultProxy
from tests.google_world import GoogleWorld
from tests.radicale_server import Radicale

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def shut(sock: socket.socket) -> bool:
    """The socket was shut down (reads end of file) rather than idle and open."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def pooled_sockets(fake: FakeGoogleCalendar) -> list[socket.socket]:
    """The pooled connections to `fake` (httplib2 keys them "scheme:host:port"): earlier
    tests' clients, in the same run, hold connections to servers long stopped."""
    gc.collect()
    authority = fake.url.split("://", 1)[1]
    found = []
    for http in (o for o in gc.get_objects() if isinstance(o, AuthorizedHttp)):
        for key, conn in http.http.connections.items():
            if key.endswith(f":{authority}") and conn.sock is not None:
                found.append(conn.sock)
    return found


def test_a_trickling_google_server_fails_the_pass_at_the_deadline(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    slow = GoogleWorld(fake, tmp_path / "slow", athlete="slow")
    other = GoogleWorld(fake, tmp_path / "other", athlete="other")
    slow_entry, slow_store = slow.config(account="request_seconds = 1"), slow.store()
    slow_calendars = AthleteCalendars(slow_entry, store=slow_store)
    other_entry, other_store = other.config(), other.store()
    other_calendars = AthleteCalendars(other_entry, store=other_store)
    assert run_pass(slow_store, slow_entry, NOW, slow_calendars).error is None
    assert pooled_sockets(fake)  # the pool looked at below is the one this test filled
    slow.move_race("Hamburg Marathon [A]", days=7)
    fake.reset_log()
    fake.fail_next(1, "trickle")
    result = run_pass(slow_store, slow_entry, NOW, slow_calendars)
    assert result.error is not None
    assert "Google calendar 'primary'" in result.error
    assert "took longer than 1 s" in result.error
    assert "\n" not in result.error
    assert "Traceback" not in result.error
    # Cut, not retried: the trickled request was asked for once.
    assert fake.injected["trickle"] == 1
    assert len([e for e in fake.log if e.path.endswith("/calendars/primary/events")]) == 1
    # Its connection is not kept to be read on by the next request.
    assert not any(shut(sock) for sock in pooled_sockets(fake))
    assert run_pass(other_store, other_entry, NOW, other_calendars).error is None
    # The next pass of the slow athlete, the server well again, takes up the move.
    again = run_pass(slow_store, slow_entry, NOW, slow_calendars)
    assert again.error is None
    assert again.updated > 0
    slow_calendars.close()
    other_calendars.close()


def test_a_trickling_caldav_server_fails_the_pass_at_the_deadline(
    radicale: Radicale, tmp_path: Path
) -> None:
    other = World(radicale, tmp_path / "other")
    other_entry, other_store = other.config(), other.store()
    with FaultProxy(radicale.url, rate=0) as proxy:
        slow = World(radicale, tmp_path / "slow")
        slow.server = proxy  # type: ignore[assignment]  # racecal talks through the proxy
        entry, store = slow.config("request_seconds = 1"), slow.store()
        slow.server = radicale
        calendars = AthleteCalendars(entry, store=store)
        assert run_pass(store, entry, NOW, calendars).error is None
        slow.edit_race("Hamburg Marathon [A]", days=7)
        asked: list[str] = []

        def first_report(method: str, path: str) -> str | None:
            asked.append(method)
            return "trickle" if method == "REPORT" and asked.count("REPORT") == 1 else None

        proxy.script = first_report
        result = run_pass(store, entry, NOW, calendars)
        assert result.error is not None
        assert "took longer than 1 s" in result.error
        assert "127.0.0.1" in result.error  # the server, named as the source
        assert "\n" not in result.error
        assert "Traceback" not in result.error
        assert asked.count("REPORT") == 1  # cut, not retried
        assert run_pass(other_store, other_entry, NOW, AthleteCalendars(other_entry)).error is None
        again = run_pass(store, entry, NOW, calendars)
        assert again.error is None
        assert again.updated > 0
        calendars.close()


def test_the_daemon_stops_within_its_stop_time_while_google_trickles(
    fake: FakeGoogleCalendar, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every request trickles and the deadline (the default, a minute) is longer than the stop
    time: the stop still returns, leaving the pass behind."""
    world = GoogleWorld(fake, tmp_path / "a")
    world.config()
    config = load_config(world.base / "config.toml", env={})
    asked = threading.Event()

    def trickle(method: str, path: str, in_batch: bool) -> str | None:
        asked.set()
        return None if in_batch else "trickle"

    fake.script = trickle
    daemon = Daemon(config, world.store())
    returned: list[int] = []
    runner = threading.Thread(target=lambda: returned.append(daemon.run(install_signals=False)))
    with caplog.at_level(logging.WARNING, logger="racecal"):
        runner.start()
        assert asked.wait(30)
        daemon.stop.set()
        runner.join(STOP_SECONDS + 15)
    assert not runner.is_alive()
    assert returned == [0]
    assert daemon.abandoned
    assert "stopping without the pass" in caplog.text
