"""The in-memory calendar keeps the connector contract."""

from __future__ import annotations

import pytest

from connectors.base import CalendarConnector, RemoteEvent, managed_id
from connectors.memory import MemoryCalendar
from tests.connector_contract import ConnectorContract


class TestMemoryCalendar(ConnectorContract):
    @pytest.fixture
    def calendar(self) -> MemoryCalendar:
        return MemoryCalendar()

    def outside_edit(self, calendar: CalendarConnector, event: RemoteEvent) -> None:
        assert isinstance(calendar, MemoryCalendar)
        calendar.put(event)


def test_managed_ids_are_stable_google_safe_and_distinct() -> None:
    a = managed_id("alex", "race/w-03/long")
    assert a == managed_id("alex", "race/w-03/long")
    assert a != managed_id("sam", "race/w-03/long")
    assert a != managed_id("alex", "race/w-02/long")
    assert len(a) == 32
    assert set(a) <= set("0123456789abcdefghijklmnopqrstuv")
