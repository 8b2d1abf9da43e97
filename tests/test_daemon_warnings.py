"""Issue 13, item 9: the daemon hid what a pass reports (stale feed, dropped sessions, malformed
events) at DEBUG, below its default level. Each now shows at WARNING once when it first
shows, in a form without event or race titles, and not again on the passes while it stands;
the titled line stays at DEBUG."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.config.load import load_config
from service.daemon.runner import Daemon
from service.store.database import Store
from tests.support import example_workspace

SECRET = "Secret Dentist Visit"
HOLIDAY = "Holiday in Rome"


def busy_events() -> bytes:
    """A malformed event, and a whole week busy three weeks from now (its runs are dropped)."""
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=21 - today.weekday())
    start, end = monday - timedelta(days=1), monday + timedelta(days=8)
    return (
        "BEGIN:VEVENT\r\nUID:bad-end@work.example\r\n"
        f"SUMMARY:{SECRET}\r\nDTSTART:{today + timedelta(days=3):%Y%m%d}T090000Z\r\n"
        "DTEND:not-a-time\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:away@work.example\r\n"
        f"SUMMARY:{HOLIDAY}\r\nDTSTART:{start:%Y%m%d}T000000Z\r\n"
        f"DTEND:{end:%Y%m%d}T000000Z\r\nEND:VEVENT\r\n"
    ).encode()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_dropped_session_and_a_malformed_busy_event_are_warned_once_without_titles(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config_path = example_workspace(tmp_path)
    busy = tmp_path / "examples" / "busy.ics"
    busy.write_bytes(busy.read_bytes().replace(b"END:VCALENDAR", busy_events() + b"END:VCALENDAR"))
    config = load_config(config_path)
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    daemon = Daemon(config, store)
    entry = config.athletes[0]
    caplog.set_level(logging.DEBUG, logger="racecal")
    daemon.pass_for(entry)
    said = warnings(caplog)
    bad = [m for m in said if "bad-end@work.example" in m]
    assert len(bad) == 1
    assert bad[0].startswith("athlete alex: ")
    assert "DTEND is malformed" in bad[0]
    dropped = [m for m in said if ": dropped " in m]
    assert dropped  # the busy week leaves its runs no room
    assert len(set(dropped)) == len(dropped)
    for line in said:
        assert SECRET not in line
        assert HOLIDAY not in line
        assert "Hamburg" not in line  # no race title either
        assert "'" not in line.partition("dropped")[2]  # sessions by key, not title
    # The titled lines are there, at DEBUG only.
    titled = [r for r in caplog.records if SECRET in r.getMessage()]
    assert titled
    assert {r.levelno for r in titled} == {logging.DEBUG}
    caplog.clear()
    daemon.pass_for(entry)  # nothing changed: nothing said again
    assert warnings(caplog) == []
    # One more bad event: only it is said.
    text = busy.read_bytes().replace(
        b"END:VCALENDAR",
        b"BEGIN:VEVENT\r\nUID:fourth@work.example\r\nSUMMARY:Gym\r\n"
        b"DTSTART:2027-01-09\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )
    busy.write_bytes(text)
    caplog.clear()
    daemon.pass_for(entry)
    (new,) = warnings(caplog)
    assert "(UID fourth@work.example)" in new
    assert "Gym" not in new
