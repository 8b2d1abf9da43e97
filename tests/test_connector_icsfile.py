"""The .ics-file calendar keeps the connector contract, on real files, and never loses an event
it did not create."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import icalendar
import pytest

from connectors.base import BadData, CalendarConnector, RemoteEvent, SessionEvent, managed_id
from connectors.icswrite import IcsFileCalendar
from tests.connector_contract import T0, ConnectorContract, vevent_of

ROOT = Path(__file__).resolve().parent.parent


class TestIcsFileCalendar(ConnectorContract):
    @pytest.fixture
    def calendar(self, tmp_path: Path) -> IcsFileCalendar:
        return IcsFileCalendar(tmp_path / "training.ics")

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        """Edit the file the way another calendar app would: parse, change, write back."""
        assert isinstance(calendar, IcsFileCalendar)
        path = calendar.path
        cal = (
            icalendar.Calendar.from_ical(path.read_bytes()) if path.exists() else calendar._empty()
        )
        for component in list(cal.subcomponents):
            uid = str(component.get("UID", ""))
            if uid.removesuffix("@racecal") == event.id:
                cal.subcomponents.remove(component)
        cal.add_component(vevent_of(event, event.id))
        path.write_bytes(cal.to_ical())


def test_foreign_events_survive_every_write(tmp_path: Path) -> None:
    path = tmp_path / "shared.ics"
    path.write_bytes((ROOT / "examples" / "races.ics").read_bytes())
    before = icalendar.Calendar.from_ical(path.read_bytes())
    foreign = sorted(str(e["UID"]) for e in before.walk("VEVENT"))
    calendar = IcsFileCalendar(path)
    start = T0
    event = SessionEvent(
        managed_id("alex", "k"), "k", "Easy run 8 km", "easy", start, start + timedelta(minutes=50)
    )
    created = calendar.create(event)
    calendar.update(
        SessionEvent(event.id, "k", "Easy run 9 km", "easy", start, start + timedelta(minutes=55)),
        created.etag,
    )
    after = icalendar.Calendar.from_ical(path.read_bytes())
    uids = sorted(str(e["UID"]) for e in after.walk("VEVENT"))
    assert uids == sorted([*foreign, f"{event.id}@racecal"])
    assert after.walk("VTIMEZONE")  # the race file's own timezone definition is kept
    latest = calendar.events(start - timedelta(hours=1), start + timedelta(hours=2))
    assert [e.title for e in latest] == ["Easy run 9 km"]
    assert not list(tmp_path.glob("*.tmp"))


def test_rewriting_the_same_session_is_byte_identical(tmp_path: Path) -> None:
    calendar = IcsFileCalendar(tmp_path / "t.ics")
    event = SessionEvent(managed_id("a", "k"), "k", "Strength A", "x", T0, T0 + timedelta(hours=1))
    created = calendar.create(event)
    first = calendar.path.read_bytes()
    again = calendar.update(event, created.etag)
    calendar.update(event, again.etag)
    assert calendar.path.read_bytes().count(b"BEGIN:VEVENT") == 1
    assert b"SEQUENCE:2" in calendar.path.read_bytes()
    assert first.replace(b"SEQUENCE:0", b"SEQUENCE:2") == calendar.path.read_bytes()


def test_broken_file_is_bad_data_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.ics"
    path.write_text("garbage", encoding="utf-8")
    with pytest.raises(BadData) as err:
        IcsFileCalendar(path).events(T0, T0 + timedelta(days=1))
    assert err.value.where == str(path)
    assert path.read_text(encoding="utf-8") == "garbage"  # nothing written over it


def test_a_killed_writers_temp_file_is_swept_at_start(tmp_path: Path) -> None:
    stale = tmp_path / ".training.ics.abc123.tmp"
    stale.write_bytes(b"half a calendar")
    IcsFileCalendar(tmp_path / "training.ics")
    assert not stale.exists()
