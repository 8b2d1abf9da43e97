"""Google clients are bounded (issue 13, item 11). Seen: with 100 Google athletes on a pool of
threads, live Calendar API client objects rose from 100 to 775 (about 0.7 MB each) and RSS by
~22 MiB a quiet round: a client was built per athlete per thread and never released. Now the
clients that build requests are one per thread for all athletes, and each athlete keeps at
most a couple of idle connections."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import Resource

from connectors.google.api import IDLE_CONNECTIONS
from service.calendars import AthleteCalendars
from service.store.database import Store
from service.sync.engine import run_pass
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
ATHLETES = 12
THREADS = 4


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def live(kind: type) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_clients_stay_bounded_by_threads_not_athletes_times_threads(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    worlds = [GoogleWorld(fake, tmp_path / f"a{n}", athlete=f"a{n}") for n in range(ATHLETES)]
    store = Store.open("sqlite:///var/racecal.db", tmp_path)
    store.upgrade()
    calendars = [AthleteCalendars(world.config(), store=store) for world in worlds]
    resources_before = live(Resource)
    # Other tests' connections may still be about: only the ones this test makes count.
    gc.collect()
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, AuthorizedHttp)}
    counts = []
    with ThreadPoolExecutor(THREADS) as pool:
        for _round in range(6):  # the first sync, its read-back, then quiet passes
            # Each athlete on a different thread each round, as a scheduler's pool hands out.
            calendars.append(calendars.pop(0))
            results = list(pool.map(lambda c: run_pass(c.store, c.entry, NOW, c), calendars))
            assert all(r.error is None for r in results), [r.error for r in results]
            counts.append(live(Resource) - resources_before)
        # A client is the API object and its events, calendars and channels collections.
        # Every thread of the pool (and no more) holds one, whatever the number of athletes.
        assert max(counts) <= 4 * THREADS, counts
        assert counts[-1] == counts[-2]
        gc.collect()
        ours = [
            weakref.ref(o)
            for o in gc.get_objects()
            if isinstance(o, AuthorizedHttp) and id(o) not in earlier
        ]
        assert 0 < len(ours) <= ATHLETES * IDLE_CONNECTIONS
    for c in calendars:
        c.close()
    gc.collect()
    assert all(ref() is None for ref in ours)  # closed with the calendars, not kept
