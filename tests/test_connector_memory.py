"""The in-memory calendar keeps the connector contract, as a training calendar and as a source."""

from __future__ import annotations

from dataclasses import replace

import icalendar
import pytest

from connectors.base import CalendarConnector, RemoteEvent, Source, TrainingCalendar, managed_id
from connectors.ical import component
from connectors.memory import MemoryCalendar
from tests.connector_contract import ConnectorContract, SourceContract


class TestMemoryCalendar(ConnectorContract):
    @pytest.fixture
    def calendar(self) -> MemoryCalendar:
        return MemoryCalendar()

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        assert isinstance(calendar, MemoryCalendar)
        calendar.put(event)

    def vanish(self, calendar: TrainingCalendar) -> None:
        assert isinstance(calendar, MemoryCalendar)
        calendar.vanish()

    def reopen(self, calendar: TrainingCalendar) -> TrainingCalendar:
        return calendar  # a memory calendar lives as long as its process: it is the backend

    def decorate(self, calendar: TrainingCalendar, event: RemoteEvent) -> None:
        assert isinstance(calendar, MemoryCalendar)
        extras = (("colour", "5"), ("reminders", "-PT30M"))
        calendar.put(replace(event, location="Stadtpark", extras=extras))


class TestMemorySource(SourceContract):
    # It holds events as they are read, one occurrence each: no series, nothing malformed.
    holds_series = False
    holds_malformed = False
    quiet_after_restart = True

    @pytest.fixture
    def source(self) -> MemoryCalendar:
        return MemoryCalendar("races")

    def add(self, source: Source, event: icalendar.Event) -> None:
        assert isinstance(source, MemoryCalendar)
        read = component(event, source.name)
        assert isinstance(read, RemoteEvent)
        source.put(read)

    def remove(self, source: Source, uid: str) -> None:
        assert isinstance(source, MemoryCalendar)
        source.remove(uid)

    def reopen(self, source: Source) -> Source:
        return source


def test_managed_ids_are_stable_google_safe_and_distinct() -> None:
    a = managed_id("alex", "race/w-03/long")
    assert a == managed_id("alex", "race/w-03/long")
    assert a != managed_id("sam", "race/w-03/long")
    assert a != managed_id("alex", "race/w-02/long")
    assert len(a) == 32
    assert set(a) <= set("0123456789abcdefghijklmnopqrstuv")
