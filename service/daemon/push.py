"""Push notifications: a change channel on every calendar the service follows whose server
pushes (capabilities.push: Google's `events.watch` today), and the webhook that turns a
notification into a pass for that athlete.

A notification carries no data; it only says "something changed", so the pass does the usual
incremental pull. It is accepted only with the secret token racecal gave its channel (compared
in constant time); anything else is 403. Channels are renewed a day before they expire and
stopped on shutdown. Polling stays on as the fallback.

Every channel opened is kept in the store until it is stopped (service.store.cursors), so a
daemon that was killed takes its channels up again when it starts: their notifications are
accepted at once, and after the athlete's first pass each is reused while it has more than a
day left, or stopped at the server (expiring, on a calendar no longer followed, posting to
another address). None is left open and forgotten.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from connectors.base import CalendarError, Watchable
from service.store import cursors
from service.store.database import Store

log = logging.getLogger("racecal.push")

TTL = timedelta(days=7)
RENEW_BEFORE = timedelta(days=1)


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    token: str
    athlete_id: str
    # The calendar it follows (the connector's watch_key).
    calendar_id: str
    expires: datetime


class Push:
    def __init__(
        self, webhook_url: str, trigger: Callable[[str], None], store: Store | None = None
    ) -> None:
        self.webhook_url = webhook_url
        self.trigger = trigger
        self.store = store
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        # The calendar each channel was opened on, which stops it.
        self._opened: dict[str, Watchable] = {}
        # Channels an earlier process opened, not yet taken up or stopped by this one.
        self._inherited: dict[str, tuple[Channel, str]] = {}
        if store is not None:
            self._inherit(store)

    def _inherit(self, store: Store) -> None:
        now = datetime.now(UTC)
        for kept in cursors.channels(store):
            if kept.expires <= now:  # the server has closed it already
                cursors.close_channel(store, kept.id)
                continue
            channel = Channel(
                kept.id,
                kept.resource_id,
                kept.token,
                kept.athlete_id,
                kept.calendar_id,
                kept.expires,
            )
            self._inherited[kept.id] = (channel, kept.address)
            # Its notifications are the athlete's until it is stopped.
            self._channels[kept.id] = channel

    def ensure(self, athlete_id: str, calendars: list[Watchable]) -> None:
        """A live channel on each calendar, and on no other: new ones a day before the old ones
        expire; one on a calendar no longer followed (a training calendar deleted and made
        again has a new id), or one an earlier process opened that cannot be reused, is
        stopped."""
        now = datetime.now(UTC)
        wanted = {c.watch_key: c for c in calendars}
        self._take_up(athlete_id, wanted, now)
        with self._lock:
            current = {
                c.calendar_id: c for c in self._channels.values() if c.athlete_id == athlete_id
            }
        for calendar_id, stale in current.items():
            if calendar_id not in wanted:
                self._stop(stale)
        for calendar_id, calendar in wanted.items():
            old = current.get(calendar_id)
            if old is not None and old.expires - now > RENEW_BEFORE:
                continue
            # Known before it is opened: Google's first message ("sync") may arrive before
            # the watch call returns.
            pending = Channel(
                str(uuid.uuid4()), "", secrets.token_urlsafe(32), athlete_id, calendar_id, now
            )
            with self._lock:
                self._channels[pending.id] = pending
            try:
                channel = self._watch(pending, calendar)
            except CalendarError as exc:
                with self._lock:
                    self._channels.pop(pending.id, None)
                log.warning("athlete %s: no push channel (%s); polling goes on", athlete_id, exc)
                continue
            with self._lock:
                self._channels[channel.id] = channel
            if old is not None:
                self._stop(old)

    def _take_up(self, athlete_id: str, wanted: Mapping[str, Watchable], now: datetime) -> None:
        """The athlete's channels an earlier process opened: each is stopped through one of
        the athlete's calendars (a channel is stopped by its id at the server, whichever
        calendar it follows) unless it follows a calendar still wanted, posts here and has
        more than a day left, when it is kept as this process's own."""
        with self._lock:
            mine = [(c, a) for c, a in self._inherited.values() if c.athlete_id == athlete_id]
        # Of two on one calendar (a renewal cut short), the one that lasts longer is kept.
        mine.sort(key=lambda pair: pair[0].expires, reverse=True)
        if not wanted:
            return  # nothing to stop them through yet: they wait (or expire at the server)
        any_calendar = next(iter(wanted.values()))
        taken: set[str] = set()
        for channel, address in mine:
            calendar = wanted.get(channel.calendar_id)
            reuse = (
                calendar is not None
                and channel.calendar_id not in taken
                and address == self.webhook_url
                and channel.expires - now > RENEW_BEFORE
            )
            with self._lock:
                self._inherited.pop(channel.id, None)
                self._opened[channel.id] = calendar or any_calendar
            if reuse:
                taken.add(channel.calendar_id)
            else:
                self._stop(channel)

    def _watch(self, pending: Channel, calendar: Watchable) -> Channel:
        ttl = int(TTL.total_seconds())
        opened = calendar.watch(pending.id, self.webhook_url, pending.token, ttl)
        with self._lock:
            self._opened[pending.id] = calendar
        channel = replace(pending, resource_id=opened.resource_id, expires=opened.expires)
        if self.store is not None:
            self._keep(channel)
        return channel

    def _keep(self, channel: Channel) -> None:
        assert self.store is not None
        kept = cursors.Channel(
            channel.id,
            channel.athlete_id,
            channel.calendar_id,
            channel.resource_id,
            channel.token,
            self.webhook_url,
            channel.expires,
        )
        try:
            cursors.open_channel(self.store, kept, datetime.now(UTC))
        except Exception:  # the store being down must not lose the channel: it still works
            log.warning("athlete %s: a push channel could not be stored", channel.athlete_id)

    def notify(self, headers: Mapping[str, str]) -> int:
        """The HTTP status for one notification; a good one triggers the athlete's pass."""
        lowered = {k.lower(): v for k, v in headers.items()}
        channel_id = lowered.get("x-goog-channel-id", "")
        given = lowered.get("x-goog-channel-token", "")
        channel = self._find(channel_id)
        expected = channel.token if channel else secrets.token_urlsafe(32)
        # Compared even for an unknown channel, so timing tells nothing about which ids exist.
        if not hmac.compare_digest(given.encode(), expected.encode()) or channel is None:
            return 403
        if lowered.get("x-goog-resource-state") != "sync":
            self.trigger(channel.athlete_id)
        return 200

    def _find(self, channel_id: str) -> Channel | None:
        with self._lock:
            return self._channels.get(channel_id)

    def forget(self, athlete_id: str) -> None:
        """The athlete is no longer synced: its channels are stopped at the server."""
        with self._lock:
            mine = [c for c in self._channels.values() if c.athlete_id == athlete_id]
        for channel in mine:
            self._stop(channel)

    def stop_all(self) -> None:
        """Every channel this process holds is stopped at the server (and leaves the store);
        ones an earlier process opened for athletes who had no pass since stay stored, for
        the next start to stop or take up."""
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            self._stop(channel)

    def _stop(self, channel: Channel) -> None:
        with self._lock:
            calendar = self._opened.pop(channel.id, None)
            self._channels.pop(channel.id, None)
        if calendar is None:
            return
        try:
            calendar.unwatch(channel.id, channel.resource_id)
        except CalendarError as exc:
            # Kept in the store: the next start tries again (or it expires at the server).
            log.info("athlete %s: stopping a push channel failed (%s)", channel.athlete_id, exc)
            return
        if self.store is not None:
            try:
                cursors.close_channel(self.store, channel.id)
            except Exception:  # stopped at the server all the same; polling covers the rest
                log.warning("athlete %s: a stopped push channel stays stored", channel.athlete_id)

    def channels(self) -> list[Channel]:
        with self._lock:
            return list(self._channels.values())
