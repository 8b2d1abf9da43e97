"""`racecal run`: the long-running service.

APScheduler 3 only triggers: one interval job per athlete (coalesced, one instance at a time,
with a misfire grace), a pass at once when the kernel tells of a saved race or busy file
(service.daemon.files), and a once-a-second job that is the heartbeat and checks the files
that cannot be watched. All pending work lives in the store, so a kill loses nothing
APScheduler knew.
Lifecycle: start -> READY -> (passes, WATCHDOG) -> SIGTERM/SIGINT -> STOPPING -> the current pass
finishes (or, after STOP_SECONDS, is left behind) -> exit 0. systemd's sd_notify protocol is a
datagram on $NOTIFY_SOCKET.
With `[service] http` set, an HTTP endpoint (service.daemon.web) serves health, metrics and the plan
page from a thread of its own; it is bound before READY and closed after the last pass.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from connectors import observe
from scheduler.plan import zone
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, Config
from service.daemon.figures import Passes
from service.daemon.files import FileWatcher
from service.daemon.health import ServiceState
from service.daemon.lifecycle import sd_notify, watchdog_seconds
from service.daemon.metrics import Metrics
from service.daemon.push import Push
from service.daemon.roster import ROSTER_SECONDS, Roster
from service.daemon.web import WebServer
from service.store import athletes, state
from service.store.database import Store
from service.store.figures import Figures
from service.store.history import prune_runs
from service.sync.athletes import settle
from service.sync.engine import run_pass
from service.sync.result import PassResult

PUSH_DELAY = timedelta(seconds=0.5)
FILE_DELAY = timedelta(seconds=0.05)
# How long a stop waits for the passes under way (deploy/racecal.service: TimeoutStopSec=60).
STOP_SECONDS = 20.0
# A pass asked for by a change: replacing a pending one merges a burst, and it runs even while
# the pass before it is still finishing (it waits for the athlete's lock) and however late a
# busy scheduler gets to it. APScheduler's defaults (one instance, a second's grace) dropped
# the change when the pass it followed had not returned yet.
SOON: dict[str, Any] = {"max_instances": 2, "misfire_grace_time": None}
log = logging.getLogger("racecal")
WATCH_SECONDS = 1.0


class Daemon(Roster):
    def __init__(self, config: Config, store: Store, interval_minutes: float = 15.0) -> None:
        # The config's athletes laid into the store, and the store's own: the athletes synced
        # at start (service.daemon.roster follows the store from there).
        roster = settle(config, store, datetime.now(UTC))
        for line in roster.broken:
            log.error("%s; not synced", line)
        config = roster.config
        self._versions = athletes.versions(store)
        self._entries = {a.athlete.id: a for a in config.athletes}
        self.config = config
        self.store = store
        self.interval = interval_minutes
        self.stop = threading.Event()
        # The watcher has a thread of its own: it is /healthz's heartbeat, and ten slow passes
        # (a CalDAV server retrying) filling the pass pool must not read as a stalled scheduler.
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(10), "watch": ThreadPoolExecutor(1)},
        )
        self._locks = {a.athlete.id: threading.Lock() for a in config.athletes}
        # One connector per athlete for the life of the service, so its caches carry over.
        self._calendars = {a.athlete.id: AthleteCalendars(a, store=store) for a in config.athletes}
        # The sources each athlete's last pass held (the empty-source guard), to warn on change.
        self._held: dict[str, set[str]] = {}
        # What each athlete's last pass reported, in plain form, to warn of what is new.
        self._said: dict[str, set[str]] = {}
        self._stamps: dict[str, tuple[tuple[float, int], ...]] = {}
        # Race, busy and runs files: the kernel tells of a save; what it cannot watch is polled.
        self.files = FileWatcher(
            (
                (a.athlete.id, p)
                for a in config.athletes
                for p in (*a.race_ics, *a.busy_ics, *a.runs_ics)
            ),
            self.file_changed,
        )
        self._polled: list[AthleteConfig] = list(config.athletes)
        # Passes under way, for the stop to wait on; True when the stop left one behind.
        self._running = 0
        self._idle = threading.Condition()
        self.abandoned = False
        ids = [a.athlete.id for a in config.athletes]
        self.metrics = Metrics()
        self.metrics.athletes(ids)
        self.passes = Passes(self.scheduler)
        self.metrics.round(self._round())
        self.state = ServiceState(ids, store, WATCH_SECONDS)
        self.web: WebServer | None = None
        webhook = config.shared.get("google", {}).get("webhook_url")
        self.push = self._push(webhook) if webhook and config.service.http else None
        self._unsubscribe: Callable[[], None] = lambda: None

    def _push(self, webhook_url: str) -> Push:
        return Push(webhook_url, self.trigger, self.store)

    def _round(self) -> Callable[[], Figures]:
        """Where /metrics reads the round's figures: due athletes, pass lag and this minute's
        Google requests kept here, the one process that runs passes."""
        return self.passes.recent

    def trigger(self, athlete_id: str) -> None:
        """A pass for this athlete now (a push notification said its calendar changed).
        Half a second late on purpose: a burst of notifications (one per changed event, our
        own writes included) becomes one pass."""
        self._soon(athlete_id, "now", PUSH_DELAY)

    def file_changed(self, athlete_id: str) -> None:
        """A race or busy file of this athlete's was saved: a pass now. The short delay makes
        one pass of the several events a save is (write, close, rename)."""
        self._soon(athlete_id, "changed", FILE_DELAY)

    def _soon(self, athlete_id: str, why: str, delay: timedelta) -> None:
        self.scheduler.add_job(
            self.pass_for,
            "date",
            run_date=datetime.now(UTC) + delay,
            args=[self.config.athlete(athlete_id)],
            id=f"{why}-{athlete_id}",
            replace_existing=True,
            **SOON,
        )

    def pass_for(self, entry: AthleteConfig) -> None:
        """One pass, counted so that a stop knows when the last one is done."""
        with self._idle:
            self._running += 1
        self.passes.waiting(entry.athlete.id)
        try:
            self._pass(entry)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _pass(self, entry: AthleteConfig) -> None:
        """One pass; never raises, so one athlete's trouble never stops the others."""
        with self._locks.setdefault(entry.athlete.id, threading.Lock()):
            self.passes.began(entry.athlete.id)
            current = self._entries.get(entry.athlete.id)
            if current is None:
                return  # removed from the store meanwhile
            entry = current  # its newest settings
            started = datetime.now(zone(entry.athlete.timezone))
            clock = time.perf_counter()
            try:
                calendar = self._calendars[entry.athlete.id]
                with observe.counted() as tally:
                    try:
                        result = run_pass(self.store, entry, started, calendar)
                    finally:
                        self.passes.recent.spent(tally["google"])
            except Exception:  # a bug must not take the service down; it is logged in full
                log.exception("athlete %s: pass crashed", entry.athlete.id)
                self.metrics.crashed(entry.athlete.id, time.perf_counter() - clock)
                self.state.pass_finished(entry.athlete.id)
                return
            self._prune(entry.athlete.id, started)
            seconds = time.perf_counter() - clock
            took = seconds * 1000
            self.metrics.record(result, seconds, time.time())
            self._count_reauth()
            self.state.pass_finished(entry.athlete.id)
            if result.error:
                log.error("athlete %s: pass failed: %s", entry.athlete.id, result.error)
            else:
                if result.race_news:
                    # Without titles: event contents never reach the log above DEBUG.
                    log.info("athlete %s: %s", entry.athlete.id, result.race_news)
                    for line in result.races_said:
                        log.debug("athlete %s: %s", entry.athlete.id, line)
                log.info(
                    "athlete %s: pass ok: %d created, %d updated, %d deleted in %.0f ms",
                    entry.athlete.id,
                    result.created,
                    result.updated,
                    result.deleted,
                    took,
                )
            held = set(result.held)
            if held != self._held.get(entry.athlete.id, set()):
                # Once per change, not every pass: the plan is kept until the athlete acts.
                for line in sorted(held):
                    log.warning("athlete %s: %s", entry.athlete.id, line)
                self._held[entry.athlete.id] = held
            self._tell(entry.athlete.id, result, held)
            if self.push is not None and not result.error:
                self.push.ensure(entry.athlete.id, self._calendars[entry.athlete.id].watched())

    def _tell(self, athlete_id: str, result: PassResult, held: set[str]) -> None:
        """What the pass reports (an event left out, a feed served from its last copy, a
        session dropped): each at WARNING when it first shows, in its plain form (no event or
        race titles above DEBUG), not again while it stands; the titled line at DEBUG. A pass
        that failed tells nothing new: what it found before failing is not the whole story."""
        if result.error:
            return
        notices = [n for n in result.notices if n.line not in held]
        before = self._said.get(athlete_id, set())
        for notice in notices:
            if notice.plain not in before:
                log.warning("athlete %s: %s", athlete_id, notice.plain)
                log.debug("athlete %s: %s", athlete_id, notice.line)
        self._said[athlete_id] = {n.plain for n in notices}

    def _prune(self, athlete_id: str, now: datetime) -> None:
        before = now - timedelta(days=self.config.service.pass_history_days)
        try:
            prune_runs(self.store, [athlete_id], before)
        except Exception:  # the store refusing shows in the pass and /healthz; prune later
            log.debug("athlete %s: cannot prune the pass history", athlete_id, exc_info=True)

    def _count_reauth(self) -> None:
        try:
            self.metrics.reauth.set(state.athletes_needing_reauth(self.store))
        except Exception:  # the store being down shows in /healthz; keep the last figure
            log.debug("cannot count athletes needing re-auth", exc_info=True)

    def _stamp(self, entry: AthleteConfig) -> tuple[tuple[float, int], ...]:
        stamps = []
        for path in (*entry.race_ics, *entry.busy_ics, *entry.runs_ics):
            if os.path.abspath(path) in self.files.watched:
                continue
            try:
                info = path.stat()
                stamps.append((info.st_mtime, info.st_size))
            except OSError:
                stamps.append((0.0, -1))
        return tuple(stamps)

    def watch(self) -> None:
        """A changed race or busy file the kernel cannot tell of triggers that athlete's pass
        now (the others are FileWatcher's). Each run is also the scheduler's heartbeat for
        /healthz."""
        self.state.beat()
        for entry in self._polled:
            stamp = self._stamp(entry)
            if self._stamps.get(entry.athlete.id) not in (None, stamp):
                self.scheduler.add_job(
                    self.pass_for,
                    args=[entry],
                    id=f"changed-{entry.athlete.id}",
                    replace_existing=True,
                    **SOON,
                )
            self._stamps[entry.athlete.id] = stamp

    def _on_signal(self, *_: object) -> None:
        # The handler runs on the main thread between bytecodes, possibly while that thread
        # holds the stop Event's internal lock inside wait(): setting it here could deadlock.
        threading.Thread(target=self.stop.set, name="racecal-stop", daemon=True).start()

    def run(self, install_signals: bool = True) -> int:
        # Handlers are restored on the way out, so tests and embedding callers get theirs back.
        previous: list[tuple[signal.Signals, Any]] = []
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous.append((sig, signal.signal(sig, self._on_signal)))
        try:
            if not self.begin():
                return 2
            return self.follow()
        finally:
            self.close()
            for sig, handler in previous:
                signal.signal(sig, handler)

    def begin(self) -> bool:
        """The endpoint bound, the files watched and the jobs started; False (logged) when
        [service] http cannot be listened on. close() undoes it, whatever the outcome."""
        if self.config.service.http and not self._listen(self.config.service.http):
            return False
        self._unsubscribe = observe.subscribe(self.metrics.api)
        self.files.start()
        for entry in self.config.athletes:
            self.schedule(entry)
        # Only athletes with a file the kernel cannot tell of are stat-ed every second.
        self._polled = [a for a in self.config.athletes if self._stamps[a.athlete.id]]
        self.scheduler.add_job(
            self.watch,
            "interval",
            seconds=WATCH_SECONDS,
            id="watch",
            executor="watch",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.add_job(
            self.reread,
            "interval",
            seconds=ROSTER_SECONDS,
            id="athletes",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()
        return True

    def follow(self) -> int:
        """After begin(): READY, then the watchdog until `stop` is set, then the passes under
        way are waited for (STOP_SECONDS at most) and the channels stopped. 0."""
        sd_notify("READY=1")
        log.info(
            "racecal running: %d athlete(s), a pass every %g min",
            len(self.config.athletes),
            self.interval,
        )
        watchdog = watchdog_seconds()
        ping = time.monotonic() + (watchdog or 0)
        # Short waits: Linux may deliver SIGTERM to any thread, and Python runs the handler
        # only when the main thread wakes; a long wait left the service deaf to it.
        while not self.stop.wait(0.5):
            if watchdog and time.monotonic() >= ping:
                sd_notify("WATCHDOG=1")
                ping = time.monotonic() + watchdog
        sd_notify("STOPPING=1")
        log.info("racecal stopping: finishing the current pass")
        self.scheduler.shutdown(wait=False)
        with self._idle:
            done = self._idle.wait_for(lambda: self._running == 0, STOP_SECONDS)
        if not done:
            # A source that answers slowly (each has a deadline of its own, longer than
            # this). Leaving the pass is safe: every write is recorded as it lands, and
            # the next start reads the calendar before it writes.
            log.warning(
                "racecal stopping without the pass still running after %g s "
                "(a slow calendar source); the next start takes up from there",
                STOP_SECONDS,
            )
            self.abandoned = True
        if self.push is not None:
            self.push.stop_all()
        for calendars in list(self._calendars.values()) if done else ():
            calendars.close()
        return 0

    def close(self) -> None:
        """The file watches, the endpoint and the API counting let go."""
        self.files.stop()
        if self.web is not None:
            self.web.stop()
        self._unsubscribe()

    def _listen(self, address: tuple[str, int]) -> bool:
        try:
            self.web = WebServer(
                address,
                self.config,
                self.state,
                self.metrics,
                push=self.push,
                calendars=lambda athlete: (self._locks[athlete], self._calendars[athlete]),
                released=self.trigger,
            )
        except OSError as exc:
            log.error(
                "cannot listen on %s:%d (service.http): %s",
                *address,
                exc.strerror or exc,
            )
            return False
        self.web.start()
        host, port = self.web.address
        log.info("http on http://%s:%d/ (healthz, readyz, metrics, plan page)", host, port)
        return True
