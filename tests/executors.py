"""The sync suites run on both executors: one way to "run a pass of this athlete at this moment"
that is the in-process pass (embedded) or the real queue (procrastinate).

`Embedded` calls service.sync.engine.run_pass as the embedded daemon does. `Queued` goes the way
a `racecal worker` cluster does, on the real PostgreSQL: the suite's athletes are laid into the
store as the config file's (service.sync.athletes.settle), a pass notes a change
(rounds.note_change), the dispatcher task defers the athlete's job with its lock, and
procrastinate's own worker runs it in this process until the queue is empty (Worker.sync:
rounds.begin, the pass, the fenced commit, the quota's record). The dispatcher's job is
deferred here rather than waited for at its 2-second tick: the same task, at once. A dry run
is no pass of an executor (`racecal sync --dry-run` decides in the process that asks): it is
the in-process one on both.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import procrastinate
import psycopg_pool

from connectors.base import CalendarConnector
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, Config, load_config
from service.daemon import queue
from service.store import athletes, quota, rounds
from service.store.database import Store
from service.sync.athletes import build, settle
from service.sync.engine import run_pass
from service.sync.result import PassResult
from tests.support import example_workspace

Calendars = AthleteCalendars | CalendarConnector
UNPACED = 1_000_000


class Passes(Protocol):
    """A pass of the athlete at `now`, as service.sync.engine.run_pass takes it."""

    def __call__(
        self,
        store: Store,
        entry: AthleteConfig,
        now: datetime,
        calendars: Calendars | None = None,
        dry_run: bool = False,
    ) -> PassResult: ...


class Embedded:
    """Passes in this process (the embedded daemon's), on the suite's own store: `url`, or the
    config's SQLite when None."""

    kind = "embedded"

    def __init__(self, url: str | None) -> None:
        self.url = url

    def adopt(self, config: Config, store: Store) -> None:
        """The suite's athletes are `config`'s, on `store` (nothing to do in process)."""

    def example(self, base: Path) -> tuple[Store, AthleteConfig]:
        """The example workspace in `base` with its store at the newest schema."""
        config = load_config(example_workspace(base))
        store = Store.open(self.url or config.service.database_url, base)
        store.upgrade()
        self.adopt(config, store)
        return store, config.athletes[0]

    def run_pass(
        self,
        store: Store,
        entry: AthleteConfig,
        now: datetime,
        calendars: Calendars | None = None,
        dry_run: bool = False,
    ) -> PassResult:
        return run_pass(store, entry, now, calendars, dry_run=dry_run)

    def close(self) -> None:
        pass


class Queued(Embedded):
    """Passes through racecal's procrastinate queue on PostgreSQL (`url`), run by a real
    procrastinate worker in this process at the moment the suite names."""

    kind = "procrastinate"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.worker: queue.Worker | None = None
        self.app: procrastinate.App | None = None
        self.told: list[PassResult] = []
        # One event loop for the test's passes, the app's connections open on it throughout.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pool: psycopg_pool.AsyncConnectionPool | None = None
        # What the procrastinate round added to the suite's own time (seconds, all passes).
        self.spent = 0.0

    def adopt(self, config: Config, store: Store) -> None:
        assert self.worker is None, "one config per test"
        assert self.url is not None
        config = replace(
            config, service=replace(config.service, database_url=self.url, executor="procrastinate")
        )
        queue.apply_schema(store.engine)
        settle(config, store, datetime.now(UTC))
        # Polled hourly: a pass runs for the change a suite's pass notes, none by time.
        # Not paced: a suite's minute can hold more of one user's Google requests than
        # Google's 600 (faults retried), which would hold its next pass back to the next
        # minute. Pacing has tests of its own (test_queue_quota).
        unpaced = quota.Budget(UNPACED, UNPACED)
        self.worker = queue.Worker(
            config, store, 3600, name="suite", on_pass=self.told.append, budget=unpaced
        )
        self.app = queue.make_app(self.worker)
        # Few connections: the suites share the server with everything else the machine runs.
        pool = psycopg_pool.AsyncConnectionPool(
            queue.conninfo(self.url), min_size=1, max_size=2, open=False
        )
        self.pool = pool
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(pool.open(wait=True))
        self.loop.run_until_complete(self.app.open_async(pool))

    def run_pass(
        self,
        store: Store,
        entry: AthleteConfig,
        now: datetime,
        calendars: Calendars | None = None,
        dry_run: bool = False,
    ) -> PassResult:
        if dry_run:
            return run_pass(store, entry, now, calendars, dry_run=True)
        worker = self.worker
        assert worker is not None, "adopt(config, store) first"
        assert store is worker.store, "the store adopted"
        athlete_id = entry.athlete.id
        row = athletes.one(store, athlete_id)
        assert row is not None, f"{athlete_id} is not in the store"
        # The worker builds the athlete from the store: a suite's entry must be that athlete,
        # named in messages as the file names it.
        built = build(worker.config, row)
        differ = [f.name for f in fields(entry) if getattr(built, f.name) != getattr(entry, f.name)]
        assert not differ, f"the suite's entry is not the store's: {differ}"
        worker.now = now.astimezone
        worker.calendars_of = None if calendars is None else (lambda _: calendars)
        started = time.perf_counter()
        seq = rounds.note_change(store, athlete_id)
        self.told.clear()
        assert self.loop is not None
        self.loop.run_until_complete(self._work())
        passes = [r for r in self.told if r.athlete == athlete_id]
        assert len(passes) == 1, f"{len(passes)} passes of {athlete_id} for one change"
        [result] = passes
        if result.error is None:
            assert rounds.synced(store, athlete_id) >= seq, "the pass's commit was refused"
        self.spent += time.perf_counter() - started
        return result

    async def _work(self) -> None:
        app = self.app
        assert app is not None
        await app.tasks["racecal.dispatch"].defer_async(timestamp=int(time.time()))
        await app.run_worker_async(
            queues=[queue.QUEUE],
            name="suite",
            concurrency=1,  # the dispatcher's job ends before the pass's is taken
            wait=False,
            delete_jobs="successful",
            install_signal_handlers=False,
            listen_notify=False,  # no job to wait for: it stops when the queue is empty
        )

    def close(self) -> None:
        if self.loop is not None and self.pool is not None:
            self.loop.run_until_complete(self.pool.close())
            self.loop.close()
        if self.worker is not None:
            self.worker.close()
