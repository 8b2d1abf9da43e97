"""The daemon's athletes, followed in the store while it runs: every ROSTER_SECONDS one small
query counts the athletes' rows and sums their versions, and only when that moved is each
one's version read (service.store.athletes). An athlete added gets its calendars, lock, file
watches, metrics and pass job, and a pass at once; one changed gets them anew from its new
settings (after the pass under way), and a pass; one removed loses them, its push channels
are stopped, and no pass of it starts again. Nothing restarts.

Daemon (service.daemon.runner) holds the per-athlete state; this is the part of it that
follows the store.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.plan import zone
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, Config
from service.config.reader import ConfigError
from service.daemon.files import FileWatcher
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.push import Push
from service.daemon.web import WebServer
from service.store import athletes
from service.store.database import Store
from service.sync.athletes import build

# How often the store is asked whether an athlete was added, changed or removed.
ROSTER_SECONDS = 2.0
log = logging.getLogger("racecal")


class Roster:
    config: Config
    store: Store
    scheduler: BackgroundScheduler
    interval: float
    files: FileWatcher
    metrics: Metrics
    state: ServiceState
    web: WebServer | None
    push: Push | None
    _locks: dict[str, threading.Lock]
    _calendars: dict[str, AthleteCalendars]
    _stamps: dict[str, tuple[tuple[float, int], ...]]
    _held: dict[str, set[str]]
    _polled: list[AthleteConfig]
    # The athletes synced now, by id, and the version of each that is in use.
    _entries: dict[str, AthleteConfig]
    _versions: dict[str, int]
    # athletes.changes() at the last look: while it stays, nothing is read.
    _changes: tuple[int, int] | None = None

    if TYPE_CHECKING:

        def pass_for(self, entry: AthleteConfig) -> None: ...

        def _stamp(self, entry: AthleteConfig) -> tuple[tuple[float, int], ...]: ...

    def schedule(self, entry: AthleteConfig) -> None:
        """The athlete's pass every interval, the first one now."""
        self._stamps[entry.athlete.id] = self._stamp(entry)
        self.scheduler.add_job(
            self.pass_for,
            "interval",
            args=[entry],
            minutes=self.interval,
            id=f"pass-{entry.athlete.id}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
            next_run_time=datetime.now(zone("UTC")),
        )

    def reread(self) -> None:
        """Follow the store's athletes: what was added, changed or removed since the last look."""
        try:
            seen = athletes.changes(self.store)
            if seen == self._changes:
                return
            now = athletes.versions(self.store)
            changed = [i for i, version in now.items() if self._versions.get(i) != version]
            rows = athletes.stored(self.store, changed) if changed else []
        except Exception:  # the store being down shows in /healthz; look again next time
            log.debug("cannot read the athletes from the store", exc_info=True)
            return
        gone = [i for i in self._versions if i not in now]
        for athlete_id in gone:
            self._close(athlete_id)
            del self._versions[athlete_id]
            log.info("athlete %s: removed; no more passes", athlete_id)
        for row in rows:
            self._versions[row.id] = row.version
            known = row.id in self._entries
            try:
                entry = build(self.config, row)
            except ConfigError as exc:
                log.error("athlete %s: not synced: %s", row.id, exc)
                self._close(row.id)
                continue
            if known:
                self._close(row.id, gone=False)
            self._open(entry)
            log.info("athlete %s: %s; a pass now", row.id, "changed" if known else "added")
        self._changes = seen
        if gone or rows:
            self._publish()

    def _open(self, entry: AthleteConfig) -> None:
        athlete_id = entry.athlete.id
        self._locks.setdefault(athlete_id, threading.Lock())
        self._calendars[athlete_id] = AthleteCalendars(entry, store=self.store)
        self._entries[athlete_id] = entry
        self.files.add(athlete_id, (*entry.race_ics, *entry.busy_ics, *entry.runs_ics))
        self.metrics.athletes([athlete_id])
        self.schedule(entry)
        if self._stamps[athlete_id]:
            self._polled = [*self._polled, entry]

    def _close(self, athlete_id: str, gone: bool = True) -> None:
        """The athlete's jobs, watches and calendars, after the pass under way; when it is
        `gone`, its push channels and metrics too (a changed athlete's next pass keeps the
        channels it still wants)."""
        for why in ("pass", "changed", "now"):
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(f"{why}-{athlete_id}")
        self.files.drop(athlete_id)
        self._polled = [e for e in self._polled if e.athlete.id != athlete_id]
        # The lock stays: a pass that was about to start takes it and finds no athlete.
        with self._locks.setdefault(athlete_id, threading.Lock()):
            self._entries.pop(athlete_id, None)
            calendars = self._calendars.pop(athlete_id, None)
            if calendars is not None:
                calendars.close()
        self._stamps.pop(athlete_id, None)
        self._held.pop(athlete_id, None)
        if gone and self.push is not None:
            self.push.forget(athlete_id)
        if gone:
            self.metrics.forget(athlete_id)

    def _publish(self) -> None:
        """The athletes as the page, the feeds and /readyz see them."""
        self.config = replace(self.config, athletes=tuple(self._entries.values()))
        self.state.athlete_ids = list(self._entries)
        if self.web is not None:
            self.web.config = self.config
