"""Google watch channels kept by the cluster ([service] executor = "procrastinate"): every
channel is in the store (service.store.cursors), so a notification posted to any node's
/google/notify is checked against the store, not against what one process opened, and only
notes a change for the athlete (service.store.rounds.note_change): the dispatcher defers one
pass, and a storm of notifications merges into it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from connectors import observe
from connectors.base import CalendarError, SourceError, Watchable
from service.calendars import AthleteCalendars
from service.config.load import Config
from service.config.reader import ConfigError
from service.daemon.push import RENEW_BEFORE, TTL, Channel, Push
from service.store import athletes, cursors, locks, quota, state
from service.store.database import Store
from service.store.records import TRAINING, Stored
from service.sync.athletes import build

log = logging.getLogger("racecal.push")


class ClusterPush(Push):
    """A node's webhook: accepts a notification of any channel stored by the cluster. It opens,
    renews and stops nothing itself, and leaves the channels open when the node stops: they are
    the cluster's, not this process's."""

    def __init__(self, webhook_url: str, trigger: Callable[[str], None], store: Store) -> None:
        # No store for the base class: it would take up (and on stop, close) the stored channels.
        super().__init__(webhook_url, trigger)
        self.cluster_store = store

    def _find(self, channel_id: str) -> Channel | None:
        if not channel_id:
            return None
        try:
            kept = cursors.channel(self.cluster_store, channel_id)
        except Exception:  # the store being down: a 403, and Google retries; polling goes on
            log.warning("a push notification could not be checked (the store does not answer)")
            return None
        if kept is None:
            return None
        return Channel(
            kept.id, kept.resource_id, kept.token, kept.athlete_id, kept.calendar_id, kept.expires
        )

    def ensure(self, athlete_id: str, calendars: object) -> None:
        """Nothing: the cluster's channel keeper opens and renews the channels."""

    def forget(self, athlete_id: str) -> None:
        """Nothing: the cluster's channel keeper stops a removed athlete's channels."""

    def stop_all(self) -> None:
        """Nothing: the channels stay open for the nodes still running."""


@dataclass
class _Opened:
    """The keeper's own calendars of one athlete (never a pass's: httplib2 is not thread-safe),
    kept while the athlete's settings and remembered training calendar stay as they were."""

    version: int
    training: str | None
    calendars: AthleteCalendars


class Keeper:
    """The cluster's channel keeper, run by the periodic `racecal.channels` task (one per
    cluster per tick): a channel on every calendar of every Google athlete whose server
    pushes, opened when missing and a day before it expires; channels of athletes removed (or
    no longer on Google), on calendars no longer followed or posting to another address,
    stopped at the server. Every channel is in the store before Google is asked for it (its
    first message may come before the answer), and leaves the store once stopped. The Google
    requests each athlete's channels cost are recorded in the quota."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        google = config.shared.get("google", {})
        # Where Google posts (a proxy in front of the nodes with [service] http); unset, the
        # keeper opens none and stops those there are.
        self.webhook_url: str | None = google.get("webhook_url")
        self._opened: dict[str, _Opened] = {}
        # A tick still running when the next one comes: the next one is skipped.
        self._busy = threading.Lock()

    def tick(self) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            # One keeper at a time in the cluster, too (a slow tick overlapping the next one
            # elsewhere would open a second channel on a calendar).
            with locks.lock(self.store.engine, "channels", 0) as held:
                if held:
                    self._tick(datetime.now(UTC))
        finally:
            self._busy.release()

    def _tick(self, now: datetime) -> None:
        kept: dict[str, list[cursors.Channel]] = {}
        for channel in cursors.channels(self.store):
            kept.setdefault(channel.athlete_id, []).append(channel)
        live = {
            row.id: row
            for row in athletes.stored(self.store)
            if self.webhook_url and "google" in row.settings
        }
        made = state.recall_locators(self.store, TRAINING)
        gone = [i for i in kept if i not in live]
        rows = [*live.values(), *athletes.settings_of(self.store, gone)] if gone else live.values()
        for row in rows:
            with observe.counted() as tally:
                try:
                    self._keep(row, row.id in live, kept.get(row.id, []), made.get(row.id), now)
                except ConfigError as exc:  # said at every pass already
                    log.debug("athlete %s: no push channels: %s", row.id, exc)
                except Exception:  # one athlete's trouble must not stop the others'
                    log.exception("athlete %s: keeping its push channels failed", row.id)
            if tally["google"]:
                try:
                    quota.spent(self.store, row.id, tally["google"], 0, passed=False)
                except Exception:  # the store being down: the minute undercounts a little
                    log.warning("athlete %s: push channel requests not recorded", row.id)
        for athlete_id in set(self._opened) - set(live):
            self._opened.pop(athlete_id).calendars.close()
        for athlete_id in set(gone) - {row.id for row in rows}:
            # No settings left to stop them with: they lapse at the server.
            for channel in kept[athlete_id]:
                cursors.close_channel(self.store, channel.id)

    def _calendars(self, row: Stored, training: str | None) -> AthleteCalendars:
        opened = self._opened.get(row.id)
        if opened is not None and (opened.version, opened.training) == (row.version, training):
            return opened.calendars
        if opened is not None:
            opened.calendars.close()
        calendars = AthleteCalendars(build(self.config, row), store=self.store, create=False)
        self._opened[row.id] = _Opened(row.version, training, calendars)
        return calendars

    def _keep(
        self,
        row: Stored,
        live: bool,
        kept: list[cursors.Channel],
        training: str | None,
        now: datetime,
    ) -> None:
        calendars = self._calendars(row, training)
        if live:
            with contextlib.suppress(SourceError):  # not made yet: its first pass makes it
                calendars.training()
        followed = calendars.watched()
        wanted = {c.watch_key: c for c in followed} if live else {}
        # Of two on one calendar (a renewal cut short), the one that lasts longer is kept.
        kept = sorted(kept, key=lambda c: c.expires, reverse=True)
        lasting: set[str] = set()
        for channel in kept:
            if not channel.resource_id:  # its watch was cut short (a keeper killed meanwhile)
                cursors.close_channel(self.store, channel.id)
                continue
            good = (
                channel.calendar_id in wanted
                and channel.calendar_id not in lasting
                and channel.address == self.webhook_url
            )
            if good and channel.expires - now > RENEW_BEFORE:
                lasting.add(channel.calendar_id)
            elif not good:
                self._stop(channel, wanted.get(channel.calendar_id) or next(iter(followed), None))
        for calendar_id, calendar in wanted.items():
            if calendar_id not in lasting:
                self._open(row.id, calendar, now)
        for channel in kept:  # renewed: the old ones go once the new ones are open
            if channel.calendar_id in wanted and channel.calendar_id not in lasting:
                self._stop(channel, wanted[channel.calendar_id])

    def _open(self, athlete_id: str, calendar: Watchable, now: datetime) -> None:
        assert self.webhook_url is not None
        pending = cursors.Channel(
            str(uuid.uuid4()),
            athlete_id,
            calendar.watch_key,
            "",
            secrets.token_urlsafe(32),
            self.webhook_url,
            now + timedelta(minutes=5),
        )
        cursors.open_channel(self.store, pending, now)
        try:
            ttl = int(TTL.total_seconds())
            opened = calendar.watch(pending.id, self.webhook_url, pending.token, ttl)
        except CalendarError as exc:
            cursors.close_channel(self.store, pending.id)
            log.warning("athlete %s: no push channel (%s); polling goes on", athlete_id, exc)
            return
        done = replace(pending, resource_id=opened.resource_id, expires=opened.expires)
        cursors.open_channel(self.store, done, now)
        log.info("athlete %s: push channel open on a calendar until %s", athlete_id, done.expires)

    def _stop(self, channel: cursors.Channel, calendar: Watchable | None) -> None:
        """Stopped at the server (through any calendar of the athlete's: Google stops a
        channel by its ids), then let go of."""
        if calendar is None:
            if channel.expires > datetime.now(UTC):
                return  # nothing to stop it through yet
        else:
            try:
                calendar.unwatch(channel.id, channel.resource_id)
            except CalendarError as exc:
                # Kept: the next tick tries again (or it lapses at the server).
                log.info("athlete %s: stopping a push channel failed (%s)", channel.athlete_id, exc)
                return
        cursors.close_channel(self.store, channel.id)
        log.info("athlete %s: push channel stopped", channel.athlete_id)

    def close(self) -> None:
        for opened in self._opened.values():
            opened.calendars.close()
        self._opened.clear()
