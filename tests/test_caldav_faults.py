"""Passes through a proxy that fails 30% of requests (503, 429, 500, dropped connections, and
replies lost after the server applied the write) converge on exactly the calendar a fault-free
run writes, with no UID twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from service.calendars import AthleteCalendars
from service.sync.engine import run_pass
from tests.caldav_world import World
from tests.fault_proxy import FaultProxy
from tests.radicale_server import Radicale

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
MOVES = (7, -14, 21, -7)  # the A race moves by these many days, one move every few passes


def shape(world: World) -> dict[str, tuple[str, str, str]]:
    return {
        k: (str(e["SUMMARY"]), e.start.isoformat(), e.end.isoformat())
        for k, e in world.sessions().items()
    }


def test_a_30_percent_fault_rate_converges_on_the_fault_free_calendar(
    radicale: Radicale, tmp_path: Path
) -> None:
    clean = World(radicale, tmp_path / "clean")
    clean_entry, clean_store = clean.config(), clean.store()
    clean_calendars = AthleteCalendars(clean_entry)
    with FaultProxy(radicale.url, rate=0.3, seed=7) as proxy:
        faulty = World(radicale, tmp_path / "faulty")
        faulty.server = proxy  # type: ignore[assignment]  # racecal talks through the proxy
        # A short retry budget (backoff scales with it) keeps the suite quick; the faults are
        # the same.
        entry, store = faulty.config(retry=0.3), faulty.store()
        faulty.server = radicale
        calendars = AthleteCalendars(entry)
        failed = 0
        for move in (0, *MOVES):
            if move:
                clean.edit_race("Hamburg Marathon [A]", days=move)
                faulty.edit_race("Hamburg Marathon [A]", days=move)
            assert run_pass(clean_store, clean_entry, NOW, clean_calendars).error is None
            for _ in range(3):  # a few passes per move, each may fail part-way
                failed += run_pass(store, entry, NOW, calendars).error is not None
        for _ in range(40):  # then until a pass succeeds with nothing left to write
            result = run_pass(store, entry, NOW, calendars)
            if result.error is None and result.writes == 0:
                break
            failed += result.error is not None
        else:
            raise AssertionError("no quiet pass after 40 tries")
    assert sum(proxy.injected.values()) > 50
    assert proxy.injected["lost"] > 5
    assert failed > 0  # the faults did bite
    assert shape(faulty) == shape(clean)  # sessions() also fails on a UID seen twice
    clean_calendars.close()
    calendars.close()
