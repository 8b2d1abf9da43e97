"""API traffic in /metrics: every request to a calendar server counted by backend and status,
every retry by the status that caused it; checked against what the servers saw."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prometheus_client.parser import text_string_to_metric_families

from connectors import observe
from service.calendars import AthleteCalendars
from service.daemon.metrics import Metrics
from service.sync.engine import run_pass
from tests.caldav_world import World
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.radicale_server import Radicale

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def samples(metrics: Metrics, name: str) -> dict[tuple[str, str], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if sample.name == name:
                found[(sample.labels["backend"], sample.labels["status"])] = sample.value
    return found


def test_google_requests_and_retries_are_counted(tmp_path: Path) -> None:
    metrics = Metrics()
    stop = observe.subscribe(metrics.api)
    try:
        with FakeGoogleCalendar() as fake:
            world = GoogleWorld(fake, tmp_path)
            entry, store = world.config(retry=2), world.store()
            fake.fail_next(2, "503")
            result = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
            assert result.error is None, result.error
            sent = sum(entry.path != "/token" for entry in fake.log)
    finally:
        stop()
    requests = samples(metrics, "racecal_api_requests_total")
    assert requests[("google", "503")] == 2
    assert requests[("google", "200")] == sent - 2
    assert samples(metrics, "racecal_api_retries_total")[("google", "503")] == 2


def test_caldav_requests_are_counted_as_the_server_logs_them(
    radicale: Radicale, tmp_path: Path
) -> None:
    world = World(radicale, tmp_path)
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    run_pass(store, entry, NOW, calendars)
    metrics = Metrics()
    stop = observe.subscribe(metrics.api)
    world.edit_race("Hamburg Marathon [A]", days=7)  # the athlete's app: not counted
    before = radicale.requests
    try:
        assert run_pass(store, entry, NOW, calendars).error is None
    finally:
        stop()
    counted = sum(v for (backend, _s), v in samples(metrics, "racecal_api_requests_total").items()
                  if backend == "caldav")  # fmt: skip
    assert counted == radicale.requests - before > 3
