"""The procrastinate executor (`[service] executor = "procrastinate"`): `racecal worker`
processes on any number of machines sharing one PostgreSQL.

Four tasks on racecal's queue. `racecal.dispatch` is periodic (procrastinate's periodic defer:
one per cluster per tick, whichever worker wins the tick); it asks the store which athletes are
due (service.store.rounds) and defers one `racecal.sync_athlete` job each with `lock` = the
athlete's id, and nothing else: procrastinate runs no two jobs of one lock at once, so two
passes of one athlete cannot overlap. No `queueing_lock` and no retries beside the lock (the
two together have left an athlete blocked for good); "one follow-up pass while one runs" is
kept in racecal's own change_seq / synced_seq instead. `racecal.sync_athlete` runs the same
pass as the embedded executor (service.sync.engine.run_pass) and ends with the fenced commit.
`racecal.janitor` (periodic too) retries the jobs of a worker that stopped beating
(procrastinate's get_stalled_jobs + retry_job). `racecal.channels` (periodic, every 10 s) keeps
the cluster's Google watch channels (service.daemon.channels.Keeper).

procrastinate's schema is applied by racecal itself, once, under the store's schema lock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import procrastinate
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from connectors import observe, registry
from connectors.base import CalendarConnector
from scheduler.plan import zone
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, Config
from service.config.reader import ConfigError
from service.daemon.channels import Keeper
from service.daemon.kept import CALENDARS_KEPT, KeptCalendars
from service.daemon.metrics import Metrics
from service.store import athletes, locks, quota, rounds
from service.store.database import UPGRADE_WAIT, Store, StoreError
from service.store.records import Stored
from service.sync.athletes import build
from service.sync.engine import run_pass
from service.sync.result import PassResult

QUEUE = "racecal"
# The dispatcher's tick, every 2 seconds (procrastinate reads seconds from a sixth column,
# the last): a tick costs the cluster one query.
DISPATCH_CRON = "* * * * * */2"
# A worker beats every HEARTBEAT seconds; one silent for STALLED seconds is taken for dead
# (SIGKILLed, its machine gone, or paused) and the janitor runs its pass again elsewhere: its
# job would otherwise keep the athlete's lock for good.
HEARTBEAT_SECONDS = 2.0
STALLED_SECONDS = 10.0
JANITOR_CRON = "* * * * * */5"
# The channel keeper's tick (service.daemon.channels): a channel missing is opened this soon.
CHANNELS_CRON = "* * * * * */10"
# How often a node's worker loop tells its /healthz it is alive.
BEAT_SECONDS = 1.0
# Athletes deferred per tick at most: a large roster coming due at once is spread over ticks.
DISPATCH_LIMIT = 500
# A tick that deferred this many jobs has procrastinate's table analyzed afterwards (its
# queries planned for what it holds now), by one node at most once every ANALYZE_SECONDS.
ANALYZE_AFTER = 200
ANALYZE_SECONDS = 60.0
log = logging.getLogger("racecal")


def conninfo(url: str) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL URL (postgresql+psycopg://...)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def apply_schema(engine: Engine) -> bool:
    """procrastinate's tables, made when they are not there yet (True then); under the schema
    lock, so two workers starting at once on an empty database do not both make them."""
    with locks.lock(engine, "schema", UPGRADE_WAIT) as held:
        if not held:
            where = engine.url.render_as_string(hide_password=True)
            raise StoreError(f"{where}: another racecal is upgrading the schema; try again later")
        with engine.begin() as connection:
            there = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
            if there is not None:
                return False
            # The raw driver: the schema's text has % signs that are not parameters.
            raw: Any = connection.connection.driver_connection
            raw.execute(SchemaManager.get_schema())
            return True


def google_budget(config: Config) -> quota.Budget:
    """The minute's Google budget as [google] sets it; with no [google] table, the defaults
    its settings declare (the one place they are written)."""
    table = config.shared.get("google")
    if table is None:
        shared = registry.settings("google").Shared
        table = dict(shared()) if shared is not None else {}
    return quota.Budget(
        int(table["requests_per_minute"]), int(table["requests_per_minute_per_user"])
    )


@dataclass
class Worker:
    """What the tasks of one worker process share: the config, the store and the calendars of
    the athletes it passed most recently (service.daemon.kept: kept while an athlete's settings
    stay at one version, so caches carry over)."""

    config: Config
    store: Store
    interval_seconds: float
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # A node's figures (service.daemon.node), which its passes are counted in.
    metrics: Metrics | None = None
    # The moment a pass plans at, in the athlete's timezone (a test or a benchmark passes at
    # a moment of its own).
    now: Callable[[ZoneInfo], datetime] = datetime.now
    # Where a pass's calendars come from when not the athlete's settings (a benchmark's or a
    # test's calendars, kept by the caller); None: made here and kept per settings version.
    calendars_of: Callable[[AthleteConfig], AthleteCalendars | CalendarConnector] | None = None
    # Told every pass's result, once it ended (committed, fenced out or failed).
    on_pass: Callable[[PassResult], None] | None = None
    # The minute's Google budget the dispatcher admits passes within; None: [google]'s.
    budget: quota.Budget | None = None
    # Athletes whose calendars are kept between passes (the most recently passed).
    calendars_kept: int = CALENDARS_KEPT
    kept: KeptCalendars = field(init=False)
    _keeper: Keeper | None = None

    def __post_init__(self) -> None:
        self.kept = KeptCalendars(
            lambda row: AthleteCalendars(build(self.config, row), store=self.store),
            self.calendars_kept,
        )

    @property
    def keeper(self) -> Keeper:
        if self._keeper is None:
            self._keeper = Keeper(self.config, self.store)
        return self._keeper

    def due(self) -> list[tuple[str, int, int]]:
        budget = self.budget or google_budget(self.config)
        return rounds.dispatch(self.store, self.interval_seconds, DISPATCH_LIMIT, budget)

    def analyze(self, deferred: int) -> None:
        """After a tick that deferred `deferred` jobs: procrastinate's table analyzed when they
        were many (service.store.rounds.analyze_jobs); a failure only logs."""
        if deferred < ANALYZE_AFTER:
            return
        try:
            if rounds.analyze_jobs(self.store, ANALYZE_SECONDS):
                log.info("dispatch: procrastinate_jobs analyzed after %d jobs deferred", deferred)
        except Exception:  # the next large tick tries again; autovacuum analyzes too
            log.warning("dispatch: cannot analyze procrastinate_jobs", exc_info=True)

    def sync(self, athlete_id: str, seq: int, held: int = 0) -> None:
        """One pass of the athlete, for the change `seq`; never raises (a job that fails is
        not retried: the athlete comes due again rounds.RETRY_SECONDS later). The Google
        requests it sent are recorded, and what its job `held` of the minute's budget let go."""
        passed = False
        with observe.counted() as tally:
            try:
                passed = self._sync(athlete_id, seq)
            except DBAPIError as exc:
                # The database went away (a restart, the network, too many clients): trouble
                # of the moment, not a bug, so one line; the athlete comes due again soon.
                passed = True
                said = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
                log.warning(
                    "athlete %s: pass stopped: the store cannot be reached (%s%s)",
                    athlete_id,
                    type(exc.orig).__name__,
                    f": {said}" if said else "",
                )
                self._again(athlete_id)
            except Exception:  # a bug must not take the worker down; it is logged in full
                passed = True
                log.exception("athlete %s: pass crashed", athlete_id)
                self._again(athlete_id)
        try:
            quota.spent(self.store, athlete_id, tally["google"], held, passed)
        except Exception:  # the store being down: the hold lapses after HOLD_SECONDS
            log.warning("athlete %s: the pass's Google requests could not be recorded", athlete_id)

    def _calendars(
        self, row: Stored, entry: AthleteConfig
    ) -> AbstractContextManager[AthleteCalendars | CalendarConnector]:
        if self.calendars_of is not None:
            return nullcontext(self.calendars_of(entry))
        return self.kept.using(row)

    def _again(self, athlete_id: str) -> None:
        # Also when the crash came before the pass began (no end() of its own to do it).
        try:
            rounds.retry_soon(self.store, athlete_id)
        except Exception:  # the store still away: the athlete waits for its next poll
            log.debug("athlete %s: cannot make it due again", athlete_id, exc_info=True)

    def _sync(self, athlete_id: str, seq: int) -> bool:
        """True when a pass ran (its requests are the estimate of the next)."""
        row = athletes.one(self.store, athlete_id)
        if row is None:
            log.info("athlete %s: removed; no pass", athlete_id)
            return False
        try:
            entry = build(self.config, row)
        except ConfigError as exc:
            log.error("athlete %s: not synced: %s", athlete_id, exc)
            return False
        begun = rounds.begin_for(self.store, athlete_id, self.name, seq)
        if begun is None:
            log.debug("athlete %s: change %d covered by a pass since", athlete_id, seq)
            return False
        ok = False
        try:
            now = self.now(zone(entry.athlete.timezone))
            with self._calendars(row, entry) as calendars:
                clock = time.perf_counter()
                result = run_pass(self.store, entry, now, calendars)
            ok = not result.error
            if self.metrics is not None:
                self.metrics.record(result, time.perf_counter() - clock, time.time())
        finally:
            held = rounds.commit(self.store, begun) if ok else rounds.end(self.store, begun)
        if self.on_pass is not None:
            self.on_pass(result)
        if result.error:
            log.error("athlete %s: pass failed: %s", athlete_id, result.error)
            return True
        if not held:
            # Another pass committed since this one started (this worker was paused past its
            # job being run elsewhere): its calendar writes were idempotent; its commit is not.
            log.warning(
                "athlete %s: pass finished on a stale sync row (version %d moved meanwhile); "
                "nothing committed there",
                athlete_id,
                begun.version,
            )
            return True
        log.info(
            "athlete %s: pass ok: %d created, %d updated, %d deleted",
            athlete_id,
            result.created,
            result.updated,
            result.deleted,
        )
        return True

    def close(self) -> None:
        self.kept.close()
        if self._keeper is not None:
            self._keeper.close()


def make_app(worker: Worker) -> procrastinate.App:
    """racecal's procrastinate app on the worker's database, its two tasks bound to `worker`."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(worker.config.service.database_url)
        )
    )

    @app.task(name="racecal.sync_athlete", queue=QUEUE)
    def sync_athlete(athlete_id: str, seq: int, held: int = 0) -> None:
        worker.sync(athlete_id, seq, held)

    @app.periodic(cron=DISPATCH_CRON, periodic_id="dispatch")
    @app.task(name="racecal.dispatch", queue=QUEUE)
    async def dispatch(timestamp: int) -> None:
        import asyncio  # noqa: PLC0415 (the only async part)

        due = await asyncio.to_thread(worker.due)
        for athlete_id, seq, held in due:
            await sync_athlete.configure(lock=athlete_id).defer_async(
                athlete_id=athlete_id, seq=seq, held=held
            )
        if due:
            log.info("dispatch: %d athlete(s) due", len(due))
            await asyncio.to_thread(worker.analyze, len(due))

    @app.periodic(cron=CHANNELS_CRON, periodic_id="channels")
    @app.task(name="racecal.channels", queue=QUEUE)
    def channels(timestamp: int) -> None:
        worker.keeper.tick()

    @app.periodic(cron=JANITOR_CRON, periodic_id="janitor")
    @app.task(name="racecal.janitor", queue=QUEUE)
    async def janitor(timestamp: int) -> None:
        stalled = await app.job_manager.get_stalled_jobs(
            queue=QUEUE,
            task_name="racecal.sync_athlete",
            seconds_since_heartbeat=STALLED_SECONDS,
        )
        for job in stalled:
            # Retried with its own lock: still one pass of the athlete at a time, and a pass
            # of the stalled worker that wakes up finds its sync row moved (fenced commit).
            await app.job_manager.retry_job(job)
            log.warning("job %s: its worker went silent; the pass runs again", job.id)

    return app


def run(
    app: procrastinate.App,
    name: str,
    concurrency: int,
    beat: Callable[[], None] | None = None,
) -> None:
    """The worker on this thread until SIGTERM or SIGINT (procrastinate's own handlers let the
    passes under way finish); `beat` is called every second from its event loop while it runs
    (a node's /healthz: the loop that takes jobs is alive)."""
    import asyncio  # noqa: PLC0415 (the only async part)

    async def beating(beat: Callable[[], None]) -> None:
        while True:
            beat()
            await asyncio.sleep(BEAT_SECONDS)

    async def main() -> None:
        async with app.open_async():
            ticker = asyncio.create_task(beating(beat)) if beat is not None else None
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    name=name,
                    concurrency=concurrency,
                    delete_jobs="successful",
                    update_heartbeat_interval=HEARTBEAT_SECONDS,
                    stalled_worker_timeout=STALLED_SECONDS,
                )
            finally:
                if ticker is not None:
                    ticker.cancel()

    asyncio.run(main())
