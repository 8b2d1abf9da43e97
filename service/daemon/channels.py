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
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from connectors import observe
from connectors.base import CalendarError, SourceError, Watchable
from service.calendars import AthleteCalendars
from service.config.load import Config
from service.config.reader import ConfigError
from service.daemon.push import RENEW_BEFORE, TTL, Channel, Push
from service.store import cursors, locks, quota
from service.store.database import Store
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


# Athletes looked at per tick at most: a large roster coming due at once (the upgrade that
# made everyone due, a new webhook address) is spread over ticks.
LOOKS_PER_TICK = 200
# A look that failed (a token revoked, Google down) is tried again this much later, not every
# tick: polling goes on meanwhile.
RETRY_AFTER = timedelta(minutes=10)


class Keeper:
    """The cluster's channel keeper, run by the periodic `racecal.channels` task (one per
    cluster per tick): a channel on every calendar of every Google athlete whose server
    pushes, opened when missing and a day before it expires; channels of athletes removed (or
    no longer on Google), on calendars no longer followed or posting to another address,
    stopped at the server. Every channel is in the store before Google is asked for it (its
    first message may come before the answer), and leaves the store once stopped. The Google
    requests each athlete's channels cost are recorded in the quota.

    A tick looks only at the athletes with something to do (cursors.looks: changed, a
    training calendar made, a channel near its end, a failed look due again), so its cost
    does not grow with the roster; a keeper's first tick in a process also makes due those
    whose channels do not post where its config says (cursors.recheck). A look's problem is
    warned of once per change for the whole cluster (kept with the athlete), at DEBUG after."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        google = config.shared.get("google", {})
        # Where Google posts (a proxy in front of the nodes with [service] http); unset, the
        # keeper opens none and stops those there are.
        self.webhook_url: str | None = google.get("webhook_url")
        self._rechecked = False
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
        if not self._rechecked:
            made = cursors.recheck(self.store, self.webhook_url, now)
            if made:
                log.info("push channels: %d athlete(s) to look at for this address", made)
            self._rechecked = True
        for look in cursors.looks(self.store, now, now + RENEW_BEFORE, LOOKS_PER_TICK):
            with observe.counted() as tally:
                try:
                    said = self._look(look, now)
                except ConfigError as exc:  # said at every pass already; looked at once changed
                    log.debug("athlete %s: no push channels: %s", look.id, exc)
                    said = None
                except Exception:  # one athlete's trouble must not stop the others'
                    log.exception("athlete %s: keeping its push channels failed", look.id)
                    said = "keeping its push channels failed"
            if tally["google"]:
                try:
                    quota.spent(self.store, look.id, tally["google"], 0, passed=False)
                except Exception:  # the store being down: the minute undercounts a little
                    log.warning("athlete %s: push channel requests not recorded", look.id)
            self._tell(look, said)
            cursors.looked(self.store, look, now + RETRY_AFTER if said else None, said)

    def _tell(self, look: cursors.Look, said: str | None) -> None:
        """A look's problem at WARNING when it first shows (for the cluster: the last look's
        is kept with the athlete), at DEBUG while it stands; its end at INFO."""
        if said is not None and said != look.said:
            log.warning("athlete %s: push channels: %s; polling goes on", look.id, said)
        elif said is not None:
            log.debug("athlete %s: push channels: %s (still)", look.id, said)
        elif look.said is not None:
            log.info("athlete %s: push channels: no problem any more", look.id)

    def _look(self, look: cursors.Look, now: datetime) -> str | None:
        """The athlete's channels as they should be; the first problem met, or None."""
        row = look.athlete
        live = (
            row is not None
            and not look.removed
            and self.webhook_url is not None
            and "google" in row.settings
        )
        if row is None or (not live and not look.channels):
            # No settings left to stop them with: they lapse at the server.
            for channel in look.channels:
                cursors.close_channel(self.store, channel.id)
            return None
        calendars = AthleteCalendars(build(self.config, row), store=self.store, create=False)
        try:
            return self._keep(calendars, look, live, now)
        finally:
            calendars.close()

    def _keep(
        self, calendars: AthleteCalendars, look: cursors.Look, live: bool, now: datetime
    ) -> str | None:
        problems: list[str] = []
        # Opened (never made here), so a removed athlete's channel on it is stopped through it.
        with contextlib.suppress(SourceError):  # not made yet: its first pass makes it
            calendars.training()
        followed = calendars.watched()
        wanted = {c.watch_key: c for c in followed} if live else {}
        # Of two on one calendar (a renewal cut short), the one that lasts longer is kept.
        lasting: set[str] = set()
        ending: list[cursors.Channel] = []  # good but near its end: renewed
        for channel in look.channels:
            if not channel.resource_id or channel.expires <= now:
                # Its watch was cut short (a keeper killed meanwhile), or it has ended.
                cursors.close_channel(self.store, channel.id)
                continue
            good = (
                channel.calendar_id in wanted
                and channel.calendar_id not in lasting
                and channel.address == self.webhook_url
            )
            if good and channel.expires - now > RENEW_BEFORE:
                lasting.add(channel.calendar_id)
            elif good:
                ending.append(channel)
            else:
                through = wanted.get(channel.calendar_id) or next(iter(followed), None)
                problems += self._stop(channel, through)
        renewed: set[str] = set()
        for calendar_id, calendar in wanted.items():
            if calendar_id not in lasting:
                failed = self._open(look.id, calendar, now)
                problems += failed
                if not failed:
                    renewed.add(calendar_id)
        for channel in ending:  # the old ones go once the new ones are open
            if channel.calendar_id in renewed:
                problems += self._stop(channel, wanted[channel.calendar_id])
        return problems[0] if problems else None

    def _open(self, athlete_id: str, calendar: Watchable, now: datetime) -> list[str]:
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
            return [f"none opened ({exc})"]
        done = replace(pending, resource_id=opened.resource_id, expires=opened.expires)
        cursors.open_channel(self.store, done, now)
        log.info("athlete %s: push channel open on a calendar until %s", athlete_id, done.expires)
        return []

    def _stop(self, channel: cursors.Channel, calendar: Watchable | None) -> list[str]:
        """Stopped at the server (through any calendar of the athlete's: Google stops a
        channel by its ids), then let go of."""
        if calendar is None:
            # No calendar of the athlete's at its server any more: it lapses there, and its
            # notifications are refused meanwhile.
            cursors.close_channel(self.store, channel.id)
            log.info("athlete %s: push channel left to lapse", channel.athlete_id)
            return []
        try:
            calendar.unwatch(channel.id, channel.resource_id)
        except CalendarError as exc:
            # Kept: the next look tries again (or it lapses at the server).
            return [f"one could not be stopped ({exc})"]
        cursors.close_channel(self.store, channel.id)
        log.info("athlete %s: push channel stopped", channel.athlete_id)
        return []

    def close(self) -> None:
        """Nothing held between ticks: each look opens the athlete's calendars and closes them."""
