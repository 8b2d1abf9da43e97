"""The round's figures in /metrics: queue depth, due athletes, pass lag and this minute's
Google requests, read from the real PostgreSQL for the procrastinate executor (so every node
answers the same) and kept in memory by the embedded one, read back from the /metrics text."""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import procrastinate
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from service.config.load import load_config
from service.daemon import queue
from service.daemon.figures import Recent
from service.daemon.metrics import Metrics
from service.daemon.node import Node
from service.daemon.runner import Daemon
from service.store import athletes, figures, quota, rounds
from service.store.database import Store
from tests.support import ROOT, ics_athlete
from tests.web_support import example, get, serving, wait_for

# The defaults of [google] requests_per_minute and requests_per_minute_per_user.
GOOGLE = quota.Budget(10_000, 600)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(body: str) -> Samples:
    out = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def lag(values: Samples, q: str) -> float:
    return values[("racecal_pass_lag_seconds", (("quantile", q),))]


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    opened = Store.open(pg_url)
    opened.upgrade()
    queue.apply_schema(opened.engine)
    yield opened
    opened.engine.dispose()


def _metrics(store: Store) -> Metrics:
    metrics = Metrics()
    metrics.round(functools.partial(figures.read, store, queue.QUEUE))
    return metrics


def _defer(url: str, ids: list[str], take: int) -> None:
    """One job each on racecal's queue, as the dispatcher defers them; `take` of them then
    fetched by a registered worker (doing)."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=queue.conninfo(url)))

    @app.task(name="racecal.sync_athlete", queue=queue.QUEUE)
    def sync_athlete(athlete_id: str, seq: int, held: int = 0) -> None: ...

    async def run() -> None:
        async with app.open_async():
            for athlete_id in ids:
                await sync_athlete.configure(lock=athlete_id).defer_async(
                    athlete_id=athlete_id, seq=1
                )
            worker_id = await app.job_manager.register_worker()
            for _ in range(take):
                assert await app.job_manager.fetch_job([queue.QUEUE], worker_id) is not None

    asyncio.run(run())


def test_queue_depth_due_athletes_lag_and_quota_read_from_the_store(
    store: Store, pg_url: str
) -> None:
    for athlete_id in ("ana", "ben", "cleo"):
        athletes.put(store, athlete_id, {"id": athlete_id}, "cli", "/", NOW)
    values = samples(_metrics(store).render().decode())
    assert values[("racecal_queue_jobs", (("state", "todo"),))] == 0
    assert values[("racecal_queue_jobs", (("state", "doing"),))] == 0
    assert values[("racecal_due_athletes", ())] == 3  # never dispatched: all due
    assert math.isnan(lag(values, "0.5"))  # no pass began yet
    assert values[("racecal_pass_lag_passes", ())] == 0
    assert values[("racecal_google_requests_this_minute", ())] == 0

    assert len(rounds.dispatch(store, 3600, 10, GOOGLE)) == 3
    _defer(pg_url, ["ana", "ben", "cleo"], take=1)
    rounds.note_change(store, "ben")
    # The athletes came due 30 and 90 seconds ago; their passes begin now.
    with store.engine.begin() as c:
        c.execute(text("UPDATE sync_rows SET due_at = now() - interval '30 seconds'"))
        c.execute(
            text(
                "UPDATE sync_rows SET due_at = now() - interval '90 seconds' "
                "WHERE athlete_id = 'ana'"
            )
        )
    for athlete_id in ("ana", "ben", "cleo"):
        rounds.commit(store, rounds.begin(store, athlete_id, "w1"))
    quota.spent(store, None, 7)
    quota.spent(store, "ana", 5)
    # Another node's Metrics reads the same.
    for metrics in (_metrics(store), _metrics(store)):
        values = samples(metrics.render().decode())
        assert values[("racecal_queue_jobs", (("state", "todo"),))] == 2
        assert values[("racecal_queue_jobs", (("state", "doing"),))] == 1
        assert values[("racecal_due_athletes", ())] == 1  # ben's change, not dispatched
        assert values[("racecal_pass_lag_passes", ())] == 3
        assert 30 <= lag(values, "0.5") < 40
        assert 80 < lag(values, "0.95") < 100  # interpolated towards ana's 90 s
        assert values[("racecal_google_requests_this_minute", ())] in (12, 0)  # 0: a new minute

    # A pass begun is lag once: its row lets go of the due time, the next job waits afresh.
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(due_at) FROM sync_rows")).scalar_one() == 0
    rounds.dispatch(store, 3600, 10, GOOGLE)
    assert rounds.begin(store, "ben", "w1").version > 0
    with store.engine.connect() as c:
        newest = c.execute(
            text("SELECT started_at - due_at FROM worker_passes ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert 0 <= newest.total_seconds() < 10  # since its change was noted, a moment ago


def test_a_worker_node_shows_the_clusters_round(tmp_path: Path, store: Store, pg_url: str) -> None:
    races = ROOT / "examples" / "races.ics"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
        + "".join(ics_athlete(i, str(races)) for i in ("ana", "ben"))
    )
    node = Node(load_config(config, env={}), store, "node-1")
    _defer(pg_url, ["ana"], take=0)
    values = samples(node.metrics.render().decode())
    assert values[("racecal_queue_jobs", (("state", "todo"),))] == 1
    assert values[("racecal_due_athletes", ())] == 2  # laid in from the config, not dispatched
    node.close()


def test_the_figures_are_read_once_per_cache_period(store: Store) -> None:
    metrics = _metrics(store)
    athletes.put(store, "ana", {"id": "ana"}, "cli", "/", NOW)
    assert samples(metrics.render().decode())[("racecal_due_athletes", ())] == 1
    athletes.put(store, "ben", {"id": "ben"}, "cli", "/", NOW)
    assert samples(metrics.render().decode())[("racecal_due_athletes", ())] == 1  # cached
    time.sleep(2.1)
    assert samples(metrics.render().decode())[("racecal_due_athletes", ())] == 2
    store.engine.dispose()


def test_the_embedded_executor_shows_due_athletes_and_pass_lag(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    daemon = Daemon(config, store, interval_minutes=60)
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False}, daemon=True)
    runner.start()
    try:
        with serving(daemon) as base:
            assert wait_for(lambda: daemon.state.readiness()[0], 60), "no first pass"

            def now() -> Samples:
                time.sleep(2.1)  # past the figures' cache
                return samples(get(base + "/metrics")[2])

            values = now()
            assert values[("racecal_due_athletes", ())] == 0
            assert values[("racecal_pass_lag_passes", ())] == 1
            assert 0 <= lag(values, "0.95") < 5
            assert values[("racecal_google_requests_this_minute", ())] == 0
            assert ("racecal_queue_jobs", (("state", "todo"),)) not in values  # no queue
            # A change comes in while the scheduler cannot run it: alex is due, and its pass
            # begins late by as long.
            daemon.scheduler.pause()
            daemon.trigger("alex")
            values = now()
            assert values[("racecal_due_athletes", ())] == 1
            daemon.scheduler.resume()
            assert wait_for(lambda: now()[("racecal_pass_lag_passes", ())] == 2, 30)
            values = now()
            assert values[("racecal_due_athletes", ())] == 0
            assert lag(values, "0.95") > 1.0
    finally:
        daemon.stop.set()
        runner.join(30)


def test_the_embedded_figures_keep_a_window_and_a_minute() -> None:
    clock = [600.0]
    recent = Recent(lambda: 0, clock=lambda: clock[0], window=300)
    for seconds in (1.0, 2.0, 3.0, 4.0, 100.0):
        recent.lagged(seconds)
    recent.spent(4)
    recent.spent(3)
    found = recent()
    assert (found.lag_passes, found.lag[0.5], found.google_this_minute) == (5, 3.0, 7)
    assert found.lag[0.95] == pytest.approx(4 + 0.8 * 96)  # as percentile_cont interpolates
    clock[0] += 60
    assert recent().google_this_minute == 0  # a new minute
    recent.lagged(7.0)
    clock[0] += 270
    found = recent()
    assert (found.lag_passes, found.lag[0.5]) == (1, 7.0)  # the first five out of the window
